/**
 * The DPO's transfer log (PROTOCOL.md §4): the filters (a GET form, so every view is a link), the results with
 * paging, and the CSV and JSON Lines exports of the same filter. Every value shown is escaped by `html`.
 */
import { codeLabel, participantText, timeElement, type CodeKind } from '../format.js';
import { html, type Html } from '../html.js';
import { translator, type Lang } from '../i18n.js';
import { dataTable } from '../table.js';
import { renderPage } from '../layout.js';
import type { FilterChoices, TransferRow } from '../services.js';
import { filterQuery, LIST_OUTCOMES, type DpoFrame, type FilterForm } from './dpo-shared.js';

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
