/**
 * A consent request as its citizen reviews it (docs/citizen.md): the agency's notice in the citizen's language,
 * what would be fetched, for which purpose and procedure, by when to answer — and, while open, the form to approve
 * or decline. The form carries the portal's CSRF token and the request's own anti-forgery token. Every value is
 * escaped by `html`.
 */
import { codeLabel, timeElement } from '../format.js';
import { html } from '../html.js';
import { translator } from '../i18n.js';
import { renderPage } from '../layout.js';
import type { ConsentFrame } from './consent-pages.js';
import type { ConsentRequestView } from '../services.js';

const label = codeLabel;

export function consentRequestPage(frame: ConsentFrame, request: ConsentRequestView): string {
  const { lang, user } = frame;
  const t = translator(lang);
  const notice = lang === 'en' && request.notice.en !== undefined ? request.notice.en : request.notice.de;
  const open = request.status === 'requested' && request.token !== undefined;
  return renderPage({
    lang,
    path: frame.path,
    user,
    title: t('request.title'),
    body: html`<h1>${t('request.title')}</h1>
      <blockquote class="notice-text">${notice}</blockquote>
      <dl class="facts">
        <dt>${t('consents.consumer')}</dt>
        <dd>${request.consumer.name ?? ''} (<code>${request.consumer.id}</code>)</dd>
        <dt>${t('consents.evidence')}</dt>
        <dd>
          ${request.evidenceTypes.map((e, i) => html`${i > 0 ? ', ' : ''}${label(lang, 'evidence', e)}`)}
        </dd>
        <dt>${t('consents.purpose')}</dt>
        <dd>${label(lang, 'purpose', request.purpose)}</dd>
        <dt>${t('request.reference')}</dt>
        <dd>${request.procedure.reference}</dd>
        <dt>${t('request.respondBy')}</dt>
        <dd>${timeElement(lang, request.respondBy)}</dd>
        <dt>${t('consents.state')}</dt>
        <dd>${t(`request.status.${request.status}` as Parameters<typeof t>[0])}</dd>
      </dl>
      ${
        open
          ? html`<form method="post" action="/meine-daten/einwilligungsanfragen/${request.id}">
              <input type="hidden" name="_csrf" value="${user.csrf}" />
              <input type="hidden" name="token" value="${request.token!}" />
              <button type="submit" name="decision" value="approve">${t('request.approve')}</button>
              <button type="submit" name="decision" value="decline" class="secondary">
                ${t('request.decline')}
              </button>
            </form>`
          : ''
      }
      <p><a href="/meine-daten">${t('consent.back')}</a></p>`,
  });
}
