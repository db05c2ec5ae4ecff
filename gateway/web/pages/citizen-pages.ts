/**
 * "Meine Daten" beyond consents (PROTOCOL.md §3): every transfer about me with the Art. 15 download, evidence
 * waiting for my preview (exactly what would be released, with approve and reject), and the consent requests
 * agencies sent me. Every value shown is escaped by `html`.
 */
import type { PreviewItem } from '../../app/index.js';
import { codeLabel, participantText, timeElement } from '../format.js';
import { html, type Html } from '../html.js';
import { translateOptional, translator, type Lang, type MessageKey } from '../i18n.js';
import { dataTable } from '../table.js';
import { renderPage } from '../layout.js';
import type { ConsentFrame } from './consent-pages.js';
import type { MyConsentRequestView, MyTransferView } from '../services.js';

function outcomeText(lang: Lang, outcome: string, code: string | undefined): Html {
  const t = translator(lang);
  const reason = code === undefined ? undefined : (translateOptional(lang, `refusal.${code}`) ?? code);
  const text = codeLabel(lang, 'outcome', outcome);
  const shown = outcome === 'awaiting-citizen' ? html`<a href="/meine-daten/vorschau">${text}</a>` : text;
  return html`<span class="outcome outcome-${outcome}">${shown}</span>${
      reason === undefined ? '' : html`<br /><span class="hint">${t('transfers.reason')}: ${reason}</span>`
    }`;
}

function noticeOf(lang: Lang, notice: string | undefined, keys: Readonly<Record<string, MessageKey>>): Html {
  const key = notice === undefined ? undefined : keys[notice];
  return key === undefined ? html`` : html`<p class="notice" role="status">${translator(lang)(key)}</p>`;
}

export function transfersPage(frame: ConsentFrame, transfers: readonly MyTransferView[]): string {
  const { lang } = frame;
  const t = translator(lang);
  const rows = transfers.map(
    (x) =>
      html`<tr>
        <td>${timeElement(lang, x.time)}</td>
        <td>${participantText(x.consumer)}</td>
        <td>${participantText(x.provider)}</td>
        <td>${x.evidenceType === undefined ? '' : codeLabel(lang, 'evidence', x.evidenceType)}</td>
        <td>
          ${x.purpose === undefined ? '' : codeLabel(lang, 'purpose', x.purpose)}
          ${
            x.procedure?.reference === undefined
              ? ''
              : html`<br /><span class="hint">${t('request.reference')}: ${x.procedure.reference}</span>`
          }
          ${
            x.legalBasis === undefined
              ? ''
              : html`<br /><span class="hint">${t('transfers.legalBasis')}: ${x.legalBasis}</span>`
          }
        </td>
        <td>${(x.fields ?? []).map((f) => fieldLabel(lang, f)).join(', ')}</td>
        <td>${outcomeText(lang, x.outcome, x.code)}</td>
      </tr>`,
  );
  return renderPage({
    lang,
    path: frame.path,
    user: frame.user,
    title: t('transfers.title'),
    body: html`<h1>${t('transfers.title')}</h1>
      <p>${t('transfers.intro')}</p>
      <p><a class="button" href="/meine-daten/auskunft" download>${t('transfers.export')}</a></p>
      <p class="hint">${t('transfers.exportHint')}</p>
      ${
        transfers.length === 0
          ? html`<p>${t('transfers.empty')}</p>`
          : dataTable({
              id: 'transfers',
              caption: t('transfers.list'),
              headers: [
                t('transfers.time'),
                t('consents.consumer'),
                t('transfers.provider'),
                t('consents.evidence'),
                t('consents.purpose'),
                t('transfers.fields'),
                t('transfers.outcome'),
              ],
              rows,
              scroll: true,
            })
      }`,
  });
}

/**
 * Evidence content as nested description lists, each key with its catalogue label where there is one (the key
 * itself otherwise, kept in `data-field`): keys and values are text, never markup.
 */
function dataList(lang: Lang, value: unknown): Html {
  if (value === null || value === undefined) return html`–`;
  if (Array.isArray(value))
    return html`<ul>
      ${value.map((v) => html`<li>${dataList(lang, v)}</li>`)}
    </ul>`;
  if (typeof value === 'object') {
    return html`<dl class="data">
      ${Object.entries(value as Record<string, unknown>).map(
        ([key, v]) =>
          html`<dt data-field="${key}">${fieldLabel(lang, key)}</dt>
            <dd>${dataList(lang, v)}</dd>`,
      )}
    </dl>`;
  }
  return html`${String(value)}`;
}

/** A data item's name for people: its catalogue label, else the item's own name. */
export function fieldLabel(lang: Lang, field: string): string {
  return translateOptional(lang, `field.${field}`) ?? field;
}

export function previewsPage(
  frame: ConsentFrame,
  previews: readonly PreviewItem[],
  notice: string | undefined,
): string {
  const { lang, user } = frame;
  const t = translator(lang);
  const pending = previews.filter((p) => p.state === 'pending');
  const decided = previews.filter((p) => p.state !== 'pending');
  const heading = (p: PreviewItem) =>
    `${p.consumer.name ?? p.consumer.id} – ${codeLabel(lang, 'evidence', p.evidenceType)}`;
  const open = pending.map(
    (p) =>
      html`<section class="card" aria-labelledby="preview-${p.exchangeId}">
        <h2 id="preview-${p.exchangeId}">${heading(p)}</h2>
        <dl class="facts">
          <dt>${t('consents.consumer')}</dt>
          <dd>${participantText(p.consumer)}</dd>
          <dt>${t('transfers.provider')}</dt>
          <dd>${participantText(p.provider)}</dd>
          <dt>${t('consents.purpose')}</dt>
          <dd>${codeLabel(lang, 'purpose', p.purpose)}</dd>
          <dt>${t('transfers.legalBasis')}</dt>
          <dd>${p.legalBasis}</dd>
          <dt>${t('request.reference')}</dt>
          <dd>${p.procedure.reference}</dd>
          <dt>${t('previews.decideBy')}</dt>
          <dd>${timeElement(lang, p.decideBy)}</dd>
        </dl>
        <h3>${t('previews.content')}</h3>
        <div class="evidence">${dataList(lang, p.data)}</div>
        <form method="post" action="/meine-daten/vorschau/${p.exchangeId}" class="decision">
          <input type="hidden" name="_csrf" value="${user.csrf}" />
          <button
            type="submit"
            name="decision"
            value="approve"
            class="primary"
            aria-label="${t('previews.approveLabel', { what: heading(p) })}"
          >
            ${t('previews.approve')}
          </button>
          <button
            type="submit"
            name="decision"
            value="reject"
            class="danger"
            aria-label="${t('previews.rejectLabel', { what: heading(p) })}"
          >
            ${t('previews.reject')}
          </button>
        </form>
      </section>`,
  );
  const past = decided.map(
    (p) =>
      html`<tr>
        <td>${timeElement(lang, p.heldAt)}</td>
        <td>${participantText(p.consumer)}</td>
        <td>${codeLabel(lang, 'evidence', p.evidenceType)}</td>
        <td>${codeLabel(lang, 'purpose', p.purpose)}</td>
        <td>
          ${translateOptional(lang, `previews.state.${p.state}`) ?? p.state}
          ${p.decidedAt === undefined ? '' : html`, ${timeElement(lang, p.decidedAt)}`}
        </td>
      </tr>`,
  );
  return renderPage({
    lang,
    path: frame.path,
    user,
    title: t('previews.title'),
    body: html`<h1>${t('previews.title')}</h1>
      ${noticeOf(lang, notice, { approved: 'previews.approved', rejected: 'previews.rejected' })}
      <p>${t('previews.intro')}</p>
      ${pending.length === 0 ? html`<p>${t('previews.none')}</p>` : open}
      ${
        decided.length === 0
          ? ''
          : html`<h2>${t('previews.decided')}</h2>
              ${dataTable({
                caption: t('previews.decided'),
                headers: [
                  t('previews.heldAt'),
                  t('consents.consumer'),
                  t('consents.evidence'),
                  t('consents.purpose'),
                  t('consents.state'),
                ],
                rows: past,
              })}`
      }`,
  });
}

export function consentRequestsPage(frame: ConsentFrame, requests: readonly MyConsentRequestView[]): string {
  const { lang } = frame;
  const t = translator(lang);
  const rows = requests.map(
    (r) =>
      html`<tr>
        <td>${participantText(r.consumer)}</td>
        <td>${r.evidenceTypes.map((e, i) => html`${i > 0 ? ', ' : ''}${codeLabel(lang, 'evidence', e)}`)}</td>
        <td>${codeLabel(lang, 'purpose', r.purpose)}</td>
        <td>${r.procedure.reference}</td>
        <td>${timeElement(lang, r.respondBy)}</td>
        <td>${translateOptional(lang, `request.status.${r.status}`) ?? r.status}</td>
        <td>
          <a href="/meine-daten/einwilligungsanfragen/${r.id}"
            >${r.status === 'requested' ? t('requests.answer') : t('requests.show')}<span
              class="visually-hidden"
            >
              (${r.consumer.name ?? r.consumer.id}, ${r.procedure.reference})</span
            ></a
          >
        </td>
      </tr>`,
  );
  return renderPage({
    lang,
    path: frame.path,
    user: frame.user,
    title: t('requests.title'),
    body: html`<h1>${t('requests.title')}</h1>
      <p>${t('requests.intro')}</p>
      ${
        requests.length === 0
          ? html`<p>${t('requests.empty')}</p>`
          : dataTable({
              caption: t('requests.list'),
              headers: [
                t('consents.consumer'),
                t('consents.evidence'),
                t('consents.purpose'),
                t('request.reference'),
                t('request.respondBy'),
                t('consents.state'),
                t('consents.actions'),
              ],
              rows,
            })
      }`,
  });
}
