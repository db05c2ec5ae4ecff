/**
 * The DPO's pages beyond the overview (PROTOCOL.md §4): the transfer log with filters and paging, one transfer
 * with its leaf, checkpoint and proofs and the "verified" mark computed from them, the charts (transfers per day
 * by outcome and by purpose, refused transfers by error code) and the records of processing (Art. 30). Every
 * value shown is escaped by `html`; the filters are a GET form, so every view is a link.
 */
import type { TransferCount } from '../../core/index.js';
import { horizontalBars, legend, OUTCOME_COLORS, PALETTE, stackedDayBars, type Series } from '../charts.js';
import { codeLabel, participantText, timeElement, type CodeKind } from '../format.js';
import { html, type Html } from '../html.js';
import { translator, type Lang } from '../i18n.js';
import { dataTable } from '../table.js';
import { renderPage, type FrameUser } from '../layout.js';
import { TRANSFER_FILTERS } from '../../http/index.js';
import type { FilterChoices, ProcessingRecords, TransferRow } from '../services.js';
import type { TransferCheck, TransferDetail } from '../verify-transfer.js';

export interface DpoFrame {
  readonly lang: Lang;
  readonly path: string;
  readonly user: FrameUser;
}

/** The filter form's fields (the API's filters), as the DPO typed them (dates as `YYYY-MM-DD`). */
export const FILTER_FIELDS = TRANSFER_FILTERS;
export type FilterForm = Partial<Record<(typeof FILTER_FIELDS)[number], string>>;

export const LIST_OUTCOMES = [
  'released',
  'refused',
  'withheld',
  'awaiting-citizen',
  'intent',
  'retention-extended',
];

/** The query string of a filter (empty fields left out), with extra parameters. */
export function filterQuery(form: FilterForm, extra: Readonly<Record<string, string>> = {}): string {
  const params = new URLSearchParams();
  for (const name of FILTER_FIELDS) {
    const value = form[name];
    if (value !== undefined && value !== '') params.set(name, value);
  }
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function select(
  id: string,
  label: string,
  any: string,
  options: readonly { readonly value: string; readonly text: string }[],
  chosen: string | undefined,
): Html {
  return html`<div class="field">
    <label for="${id}">${label}</label>
    <select id="${id}" name="${id}">
      <option value="">${any}</option>
      ${options.map(
        (o) =>
          html`<option value="${o.value}" ${o.value === chosen ? html`selected` : ''}>${o.text}</option>`,
      )}
    </select>
  </div>`;
}

function filterForm(lang: Lang, form: FilterForm, choices: FilterChoices): Html {
  const t = translator(lang);
  const parties = choices.participants.map((p) => ({ value: p.id, text: `${p.name} (${p.id})` }));
  const coded = (kind: CodeKind, codes: readonly string[]) =>
    codes.map((code) => ({ value: code, text: codeLabel(lang, kind, code) }));
  return html`<form method="get" action="/dpo/uebermittlungen" class="filters" role="search">
    <fieldset>
      <legend>${t('log.filters')}</legend>
      <div class="field">
        <label for="from">${t('log.from')}</label>
        <input id="from" name="from" type="date" value="${form.from ?? ''}" />
      </div>
      <div class="field">
        <label for="to">${t('log.to')}</label>
        <input id="to" name="to" type="date" value="${form.to ?? ''}" />
      </div>
      ${select('consumer', t('consents.consumer'), t('log.any'), parties, form.consumer)}
      ${select('provider', t('transfers.provider'), t('log.any'), parties, form.provider)}
      ${select('evidenceType', t('consents.evidence'), t('log.any'), coded('evidence', choices.evidenceTypes), form.evidenceType)}
      ${select('purpose', t('consents.purpose'), t('log.any'), coded('purpose', choices.purposes), form.purpose)}
      ${select('outcome', t('transfers.outcome'), t('log.final'), coded('outcome', LIST_OUTCOMES), form.outcome)}
      <div class="field">
        <label for="subject">${t('log.subject')}</label>
        <input
          id="subject"
          name="subject"
          type="text"
          inputmode="numeric"
          autocomplete="off"
          pattern="[0-9]{11}"
          maxlength="11"
          aria-describedby="subject-hint"
          value="${form.subject ?? ''}"
        />
        <span class="hint" id="subject-hint">${t('log.subjectHint')}</span>
      </div>
    </fieldset>
    <button type="submit" class="primary">${t('log.apply')}</button>
    <a href="/dpo/uebermittlungen">${t('log.reset')}</a>
  </form>`;
}

export function transferListPage(
  frame: DpoFrame,
  data: {
    readonly form: FilterForm;
    readonly choices: FilterChoices;
    readonly transfers: readonly TransferRow[];
    readonly next?: string;
    readonly first: boolean;
    /** A filter the gateway refused: the code, shown instead of results. */
    readonly problem?: string;
  },
): string {
  const { lang } = frame;
  const t = translator(lang);
  const rows = data.transfers.map(
    (x) =>
      html`<tr>
        <td>${x.index}</td>
        <td>${timeElement(lang, x.time)}</td>
        <td>${participantText(x.consumer)}</td>
        <td>${participantText(x.provider)}</td>
        <td>${x.evidenceType === undefined ? '' : codeLabel(lang, 'evidence', x.evidenceType)}</td>
        <td>${x.purpose === undefined ? '' : codeLabel(lang, 'purpose', x.purpose)}</td>
        <td>${x.procedure?.reference ?? ''}</td>
        <td>
          <span class="outcome outcome-${x.outcome}">${codeLabel(lang, 'outcome', x.outcome)}</span>
          ${x.code === undefined ? '' : html`<br /><code>${x.code}</code>`}
        </td>
        <td>
          <a href="/dpo/uebermittlungen/${x.exchangeId}"
            >${t('log.open')}<span class="visually-hidden"> ${x.exchangeId}</span></a
          >
        </td>
      </tr>`,
  );
  const results = data.problem
    ? html`<p class="problem" role="alert">
        ${t('log.badFilter')} <code id="error-code">${data.problem}</code>
      </p>`
    : data.transfers.length === 0
      ? html`<p id="no-transfers">${t('log.empty')}</p>`
      : dataTable({
          id: 'transfer-list',
          caption: t('log.list'),
          headers: [
            t('log.index'),
            t('transfers.time'),
            t('consents.consumer'),
            t('transfers.provider'),
            t('consents.evidence'),
            t('consents.purpose'),
            t('request.reference'),
            t('transfers.outcome'),
            t('consents.actions'),
          ],
          rows,
          scroll: true,
        });
  const paging = html`<nav class="paging" aria-label="${t('log.paging')}">
    ${data.first ? '' : html`<a href="/dpo/uebermittlungen${filterQuery(data.form)}">${t('log.newest')}</a>`}
    ${
      data.next === undefined
        ? ''
        : html`<a href="/dpo/uebermittlungen${filterQuery(data.form, { cursor: data.next })}" rel="next"
            >${t('log.older')}</a
          >`
    }
  </nav>`;
  return renderPage({
    ...frame,
    title: t('log.title'),
    body: html`<h1>${t('log.title')}</h1>
      <p>${t('log.intro')}</p>
      ${filterForm(lang, data.form, data.choices)}
      <p class="exports">
        ${t('log.export')}:
        <a href="/dpo/uebermittlungen/export${filterQuery(data.form, { format: 'csv' })}" download>CSV</a>
        <a href="/dpo/uebermittlungen/export${filterQuery(data.form, { format: 'jsonl' })}" download
          >JSON Lines</a
        >
      </p>
      ${results} ${paging}`,
  });
}

function mark(lang: Lang, ok: boolean | 'purged'): Html {
  const t = translator(lang);
  if (ok === 'purged') return html`<span class="mark-neutral">${t('detail.purged')}</span>`;
  return ok
    ? html`<span class="mark-ok">✓ ${t('detail.ok')}</span>`
    : html`<span class="mark-bad">✗ ${t('detail.bad')}</span>`;
}

export function transferDetailPage(
  frame: DpoFrame,
  detail: TransferDetail,
  check: TransferCheck,
  participantName: (id: string) => string | undefined,
): string {
  const { lang } = frame;
  const t = translator(lang);
  const { checkpoint } = detail;
  const named = (id: string | undefined): Html => {
    if (id === undefined) return html``;
    const name = participantName(id);
    return participantText(name === undefined ? { id } : { id, name });
  };
  const coded = (kind: CodeKind, code: string | undefined): Html => {
    if (code === undefined) return html``;
    const text = codeLabel(lang, kind, code);
    return text === code ? html`<code>${code}</code>` : html`${text} (<code>${code}</code>)`;
  };
  const records = detail.records.map((r, i) => {
    const c = check.records[i]!;
    const rec = r.record;
    return html`<section class="card" aria-labelledby="record-${r.index}">
      <h3 id="record-${r.index}">${t('detail.record', { index: String(r.index) })}</h3>
      ${
        rec === null
          ? html`<p>${t('detail.purgedText')}</p>`
          : html`<dl class="facts">
                <dt>${t('transfers.time')}</dt>
                <dd>${timeElement(lang, rec.time)}</dd>
                <dt>${t('transfers.outcome')}</dt>
                <dd>
                  ${codeLabel(lang, 'outcome', rec.outcome)}
                  ${rec.code === undefined ? '' : html`<code>${rec.code}</code>`}
                </dd>
                <dt>${t('consents.consumer')}</dt>
                <dd>${named(rec.consumer)}</dd>
                <dt>${t('transfers.provider')}</dt>
                <dd>${named(rec.provider)}</dd>
                <dt>${t('consents.evidence')}</dt>
                <dd>${coded('evidence', rec.evidenceType)}</dd>
                <dt>${t('consents.purpose')}</dt>
                <dd>${coded('purpose', rec.purpose)}</dd>
                <dt>${t('transfers.legalBasis')}</dt>
                <dd>${rec.legalBasis ?? ''}</dd>
                <dt>${t('request.reference')}</dt>
                <dd>${rec.procedure?.reference ?? ''}</dd>
                <dt>${t('transfers.fields')}</dt>
                <dd>${(rec.fields ?? []).join(', ')}</dd>
              </dl>
              <details>
                <summary>${t('detail.recordJson')}</summary>
                <pre class="token">${JSON.stringify(rec, null, 2)}</pre>
              </details>`
      }
      <dl class="facts">
        <dt>${t('detail.leafHash')}</dt>
        <dd><code>${r.leafHash}</code></dd>
        <dt>${t('detail.leafCheck')}</dt>
        <dd>${mark(lang, c.leaf)}</dd>
        <dt>${t('detail.proofCheck')}</dt>
        <dd>${mark(lang, c.proof)}</dd>
      </dl>
      <details>
        <summary>${t('detail.proof', { count: String(r.inclusionProof.length) })}</summary>
        <ol class="hashes">
          ${r.inclusionProof.map((h) => html`<li><code>${h}</code></li>`)}
        </ol>
      </details>
    </section>`;
  });
  return renderPage({
    ...frame,
    title: t('detail.title'),
    body: html`<h1>${t('detail.title')}</h1>
      <p><code>${detail.exchangeId}</code></p>
      ${
        check.verified
          ? html`<p id="verified" class="notice">✓ ${t('detail.verified')}</p>`
          : html`<p id="verified" class="problem">✗ ${t('detail.notVerified')}</p>`
      }
      <p>${t('detail.how')}</p>
      <h2>${t('dashboard.checkpoint')}</h2>
      <dl class="facts">
        <dt>${t('dashboard.checkpoint.time')}</dt>
        <dd>${timeElement(lang, checkpoint.time)}</dd>
        <dt>${t('dashboard.checkpoint.size')}</dt>
        <dd>${checkpoint.treeSize}</dd>
        <dt>${t('dashboard.checkpoint.root')}</dt>
        <dd><code>${checkpoint.rootHash}</code></dd>
        <dt>${t('detail.signature')}</dt>
        <dd>${mark(lang, check.checkpoint)}</dd>
      </dl>
      <details>
        <summary>${t('detail.checkpointJws')}</summary>
        <pre class="token">${checkpoint.jws}</pre>
      </details>
      <h2>${t('detail.records')}</h2>
      ${records}
      <p><a href="/dpo/uebermittlungen">${t('detail.back')}</a></p>`,
  });
}

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

function plain(value: unknown): Html {
  if (value === undefined || value === null) return html`–`;
  if (typeof value !== 'object') return html`${String(value)}`;
  if (Array.isArray(value)) return html`${value.map((v, i) => html`${i > 0 ? ', ' : ''}${plain(v)}`)}`;
  return html`${Object.entries(value as Record<string, unknown>).map(
    ([k, v], i) => html`${i > 0 ? '; ' : ''}${k}: ${plain(v)}`,
  )}`;
}

export function processingPage(frame: DpoFrame, report: ProcessingRecords): string {
  const { lang } = frame;
  const t = translator(lang);
  const yesNo = (b: boolean) => t(b ? 'processing.yes' : 'processing.no');
  return renderPage({
    ...frame,
    title: t('processing.title'),
    body: html`<h1>${t('processing.title')}</h1>
      <p>${t('processing.intro', { gateway: report.gateway })}</p>
      <p><a class="button" href="/dpo/verarbeitungen.json" download>${t('processing.download')}</a></p>
      ${report.activities.map(
        (a) =>
          html`<section class="card" aria-labelledby="activity-${a.policy.id}">
            <h2 id="activity-${a.policy.id}">${a.description ?? a.policy.id}</h2>
            <dl class="facts">
              <dt>${t('processing.policy')}</dt>
              <dd><code>${a.policy.id}@${String(a.policy.version)}</code></dd>
              <dt>${t('processing.controller')}</dt>
              <dd>${plain(a.controller)}</dd>
              <dt>${t('consents.consumer')}</dt>
              <dd>${participantText(a.recipient)}</dd>
              <dt>${t('transfers.provider')}</dt>
              <dd>${participantText(a.provider)}</dd>
              <dt>${t('consents.evidence')}</dt>
              <dd>${codeLabel(lang, 'evidence', a.evidenceType)}</dd>
              <dt>${t('consents.purpose')}</dt>
              <dd>${a.purposes.map((p, i) => html`${i > 0 ? ', ' : ''}${codeLabel(lang, 'purpose', p)}`)}</dd>
              <dt>${t('transfers.legalBasis')}</dt>
              <dd>${a.legalBasis}</dd>
              <dt>${t('processing.dataCategories')}</dt>
              <dd>${a.dataCategories.join(', ')}</dd>
              <dt>${t('processing.dataSubjects')}</dt>
              <dd>${plain(a.dataSubjects)}</dd>
              <dt>${t('transfers.fields')}</dt>
              <dd>${a.fields.join(', ')}</dd>
              <dt>${t('processing.recipients')}</dt>
              <dd>${plain(a.recipients)}</dd>
              <dt>${t('processing.retention')}</dt>
              <dd>${plain(a.retention)}</dd>
              <dt>${t('processing.consent')}</dt>
              <dd>${yesNo(a.consentRequired)}</dd>
              <dt>${t('processing.preview')}</dt>
              <dd>${yesNo(a.previewRequired)}</dd>
            </dl>
          </section>`,
      )}`,
  });
}
