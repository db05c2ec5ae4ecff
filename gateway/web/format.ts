/**
 * How the pages show times, codes and participants, the same on every page: dates in German time
 * (Europe/Berlin), codes with their catalogue label where there is one, participants by name with their id.
 */
import { html, type Html } from './html.js';
import { translateOptional, type Lang } from './i18n.js';

const TIME_ZONE = 'Europe/Berlin';

/** Date and time in Germany, for people. */
export function dateTime(lang: Lang, at: number | string): string {
  return new Intl.DateTimeFormat(lang === 'de' ? 'de-DE' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: TIME_ZONE,
  }).format(new Date(at));
}

/** A `<time>` element with the machine-readable instant and the German-time text. */
export function timeElement(lang: Lang, at: number | string): Html {
  return html`<time datetime="${new Date(at).toISOString()}">${dateTime(lang, at)}</time>`;
}

/** The calendar day in Germany of an instant, `YYYY-MM-DD`. */
export function berlinDay(at: number | string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(new Date(at));
}

/** The instant at which day `YYYY-MM-DD` begins in Germany (midnight, CET or CEST). */
export function berlinMidnight(day: string): number {
  const utc = Date.parse(`${day}T00:00:00Z`);
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: TIME_ZONE,
    hour: '2-digit',
    hourCycle: 'h23',
    day: '2-digit',
  }).formatToParts(new Date(utc));
  const hour = Number(parts.find((p) => p.type === 'hour')!.value);
  // At UTC midnight Germany is at 01:00 (CET) or 02:00 (CEST): its midnight was that many hours earlier.
  return utc - hour * 3_600_000;
}

export type CodeKind = 'evidence' | 'purpose' | 'outcome' | 'error';

/** A code with its catalogue label if there is one, else the code itself. */
export function codeLabel(lang: Lang, kind: CodeKind, code: string): string {
  return translateOptional(lang, `${kind}.${code}`) ?? code;
}

/** A participant as `Name (id)`, or just the id if it has no registered name. */
export function participantText(party: { readonly id: string; readonly name?: string } | undefined): Html {
  if (party === undefined) return html``;
  return party.name === undefined
    ? html`<code>${party.id}</code>`
    : html`${party.name} (<code>${party.id}</code>)`;
}
