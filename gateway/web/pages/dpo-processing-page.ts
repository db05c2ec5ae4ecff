/**
 * The records of processing (DSGVO Art. 30) from the loaded policies, one card per activity, with the JSON
 * download. Every value shown is escaped by `html`.
 */
import { codeLabel, participantText } from '../format.js';
import { html, type Html } from '../html.js';
import { translator } from '../i18n.js';
import { renderPage } from '../layout.js';
import type { ProcessingRecords } from '../services.js';
import type { DpoFrame } from './dpo-shared.js';

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
