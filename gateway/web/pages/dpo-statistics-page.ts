/**
 * The DPO's charts: transfers per day by outcome and by purpose, refused transfers by error code, for a period.
 * Every value shown is escaped by `html`.
 */
import type { TransferCount } from '../../core/index.js';
import { horizontalBars, legend, OUTCOME_COLORS, PALETTE, stackedDayBars, type Series } from '../charts.js';
import { codeLabel } from '../format.js';
import { html } from '../html.js';
import { translator } from '../i18n.js';
import { dataTable } from '../table.js';
import { renderPage } from '../layout.js';
import type { DpoFrame } from './dpo-shared.js';

/** Counts by Berlin day and a key, from the hourly groups. */
function tally(
  counts: readonly TransferCount[],
  dayOf: (hour: string) => string,
  keyOf: (c: TransferCount) => string | null,
): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const c of counts) {
    const key = keyOf(c);
    if (key === null) continue;
    const day = dayOf(c.hour);
    const row = out.get(day) ?? new Map<string, number>();
    row.set(key, (row.get(key) ?? 0) + c.count);
    out.set(day, row);
  }
  return out;
}

export function statisticsPage(
  frame: DpoFrame,
  data: {
    readonly from: string;
    readonly to: string;
    readonly days: readonly string[];
    readonly counts: readonly TransferCount[];
    readonly dayOf: (hour: string) => string;
  },
): string {
  const { lang } = frame;
  const t = translator(lang);
  const dayLabel = (day: string) => `${day.slice(8, 10)}.${day.slice(5, 7)}.`;
  const byOutcome = tally(data.counts, data.dayOf, (c) => c.outcome);
  const byPurpose = tally(data.counts, data.dayOf, (c) => c.purpose);
  const outcomes: Series[] = ['released', 'refused', 'withheld'].map((o) => ({
    key: o,
    label: codeLabel(lang, 'outcome', o),
    color: OUTCOME_COLORS[o]!,
  }));
  const purposeKeys = [
    ...new Set(data.counts.map((c) => c.purpose).filter((p): p is string => p !== null)),
  ].sort();
  const purposes: Series[] = purposeKeys.map((p, i) => ({
    key: p,
    label: codeLabel(lang, 'purpose', p),
    color: PALETTE[i % PALETTE.length]!,
  }));
  const refusedCodes = new Map<string, number>();
  for (const c of data.counts) {
    if (c.outcome !== 'released') {
      const code = c.code ?? '–';
      refusedCodes.set(code, (refusedCodes.get(code) ?? 0) + c.count);
    }
  }
  const total = data.counts.reduce((sum, c) => sum + c.count, 0);
  const dayTable = (
    id: string,
    caption: string,
    series: readonly Series[],
    table: Map<string, Map<string, number>>,
  ) =>
    html`<details>
      <summary>${t('stats.asTable')}</summary>
      ${dataTable({
        id,
        caption,
        headers: [t('stats.day'), ...series.map((s) => s.label)],
        rows: data.days
          .filter((d) => table.has(d))
          .map(
            (d) =>
              html`<tr>
                <th scope="row">${d}</th>
                ${series.map((s) => html`<td>${table.get(d)?.get(s.key) ?? 0}</td>`)}
              </tr>`,
          ),
        scroll: true,
      })}
    </details>`;
  const codeItems = [...refusedCodes.entries()].map(([code, value]) => ({ label: code, value }));
  return renderPage({
    ...frame,
    title: t('stats.title'),
    body: html`<h1>${t('stats.title')}</h1>
      <form method="get" action="/dpo/statistik" class="filters">
        <fieldset>
          <legend>${t('stats.period')}</legend>
          <div class="field">
            <label for="from">${t('log.from')}</label>
            <input id="from" name="from" type="date" value="${data.from}" required />
          </div>
          <div class="field">
            <label for="to">${t('log.to')}</label>
            <input id="to" name="to" type="date" value="${data.to}" required />
          </div>
        </fieldset>
        <button type="submit" class="primary">${t('log.apply')}</button>
      </form>
      <p id="stats-total">${t('stats.total', { count: String(total), from: data.from, to: data.to })}</p>
      <h2>${t('stats.byOutcome')}</h2>
      ${legend(outcomes)}
      ${stackedDayBars({
        id: 'chart-outcome',
        title: t('stats.byOutcome'),
        days: data.days,
        series: outcomes,
        counts: (d, k) => byOutcome.get(d)?.get(k) ?? 0,
        dayLabel,
      })}
      ${dayTable('table-outcome', t('stats.byOutcome'), outcomes, byOutcome)}
      <h2>${t('stats.byPurpose')}</h2>
      ${purposes.length === 0 ? html`<p>${t('stats.none')}</p>` : legend(purposes)}
      ${
        purposes.length === 0
          ? ''
          : stackedDayBars({
              id: 'chart-purpose',
              title: t('stats.byPurpose'),
              days: data.days,
              series: purposes,
              counts: (d, k) => byPurpose.get(d)?.get(k) ?? 0,
              dayLabel,
            })
      }
      ${purposes.length === 0 ? '' : dayTable('table-purpose', t('stats.byPurpose'), purposes, byPurpose)}
      <h2>${t('stats.byCode')}</h2>
      ${
        codeItems.length === 0
          ? html`<p>${t('stats.noRefusals')}</p>`
          : html`${horizontalBars({
              id: 'chart-code',
              title: t('stats.byCode'),
              items: codeItems,
              color: OUTCOME_COLORS['refused']!,
            })}
            ${dataTable({
              id: 'table-code',
              caption: t('stats.byCode'),
              headers: [t('error.code'), t('stats.count')],
              rows: [...codeItems]
                .sort((a, b) => b.value - a.value)
                .map(
                  (i) =>
                    html`<tr>
                      <th scope="row"><code>${i.label}</code></th>
                      <td>${i.value}</td>
                    </tr>`,
                ),
            })}`
      }`,
  });
}
