/**
 * "Meine Daten" – the citizen's consents (PROTOCOL.md §3): the list with each consent's history and a withdraw
 * button, the form to give a consent (only combinations a policy offers), and one consent's details with its
 * signed receipt. Every value shown is escaped by `html`.
 */
import { decodeJwt } from 'jose';
import type { ConsentRecord } from '../../core/index.js';
import { consentState } from '../../core/consent/index.js';
import { codeLabel, dateTime } from '../format.js';
import { html, type Html } from '../html.js';
import { translator, type Lang, type MessageKey } from '../i18n.js';
import { dataTable } from '../table.js';
import { renderPage, type FrameUser } from '../layout.js';
import type { ConsentOption } from '../services.js';

export interface ConsentFrame {
  readonly lang: Lang;
  readonly path: string;
  readonly user: FrameUser;
  readonly nowMs: number;
  readonly participantName: (id: string) => string | undefined;
}

/** The value a give-consent form option submits: the three codes joined by a separator none of them may hold. */
export function optionValue(option: Pick<ConsentOption, 'consumer' | 'evidenceType' | 'purpose'>): string {
  return `${option.consumer}|${option.evidenceType}|${option.purpose}`;
}

const label = codeLabel;

function recipient(frame: ConsentFrame, id: string): Html {
  const name = frame.participantName(id);
  return name === undefined ? html`<code>${id}</code>` : html`${name} (<code>${id}</code>)`;
}

export function consentsPage(
  frame: ConsentFrame,
  data: {
    readonly consents: readonly ConsentRecord[];
    readonly options: readonly ConsentOption[];
    readonly notice?: 'given' | 'withdrawn';
    /** What waits for the citizen elsewhere: open consent requests, evidence waiting for preview. */
    readonly waiting?: { readonly requests: number; readonly previews: number };
  },
): string {
  const { lang, user } = frame;
  const t = translator(lang);
  const waiting = data.waiting ?? { requests: 0, previews: 0 };
  const todo =
    waiting.requests + waiting.previews === 0
      ? ''
      : html`<section class="todo" aria-labelledby="todo-title">
          <h2 id="todo-title">${t('todo.title')}</h2>
          <ul>
            ${
              waiting.requests > 0
                ? html`<li>
                    <a href="/meine-daten/einwilligungsanfragen"
                      >${t('todo.requests', { count: String(waiting.requests) })}</a
                    >
                  </li>`
                : ''
            }
            ${
              waiting.previews > 0
                ? html`<li>
                    <a href="/meine-daten/vorschau"
                      >${t('todo.previews', { count: String(waiting.previews) })}</a
                    >
                  </li>`
                : ''
            }
          </ul>
        </section>`;
  const notice = data.notice
    ? html`<p class="notice" role="status">
        ${t(data.notice === 'given' ? 'consents.given' : 'consents.withdrawn')}
      </p>`
    : '';
  const rows = data.consents.map((consent) => {
    const state = consentState(consent, frame.nowMs);
    const consumerName = frame.participantName(consent.consumer) ?? consent.consumer;
    return html`<tr>
      <td>${recipient(frame, consent.consumer)}</td>
      <td>${consent.evidenceTypes.map((e, i) => html`${i > 0 ? ', ' : ''}${label(lang, 'evidence', e)}`)}</td>
      <td>${label(lang, 'purpose', consent.purpose)}</td>
      <td>
        ${t(`consents.state.${state}` as MessageKey)}
        ${consent.singleUse ? html`<br />${t('consents.singleUse')}` : ''}
        <br />${t('consents.validUntil')}:
        ${consent.validUntil === null ? t('consents.unlimited') : dateTime(lang, consent.validUntil)}
      </td>
      <td>
        <ul class="events">
          ${consent.events.map(
            (event) =>
              html`<li>${t(`consents.event.${event.type}` as MessageKey)}, ${dateTime(lang, event.at)}</li>`,
          )}
        </ul>
      </td>
      <td>
        <a href="/meine-daten/einwilligungen/${consent.id}">${t('consents.details')}</a>
        ${
          state === 'active'
            ? html`<form method="post" action="/meine-daten/einwilligungen/${consent.id}/widerruf">
                <input type="hidden" name="_csrf" value="${user.csrf}" />
                <button
                  type="submit"
                  class="danger"
                  aria-label="${t('consents.withdrawLabel', {
                    consumer: consumerName,
                    purpose: label(lang, 'purpose', consent.purpose),
                  })}"
                >
                  ${t('consents.withdraw')}
                </button>
              </form>`
            : ''
        }
      </td>
    </tr>`;
  });
  const list =
    data.consents.length === 0
      ? html`<p>${t('consents.empty')}</p>`
      : dataTable({
          caption: t('consents.list'),
          headers: [
            t('consents.consumer'),
            t('consents.evidence'),
            t('consents.purpose'),
            t('consents.state'),
            t('consents.events'),
            t('consents.actions'),
          ],
          rows,
        });
  const form =
    data.options.length === 0
      ? html`<p>${t('consents.give.none')}</p>`
      : html`<form class="stacked" method="post" action="/meine-daten/einwilligungen">
          <input type="hidden" name="_csrf" value="${user.csrf}" />
          <label for="option">${t('consents.give.option')}</label>
          <select id="option" name="option" required>
            ${data.options.map(
              (option) =>
                html`<option value="${optionValue(option)}">
                  ${frame.participantName(option.consumer) ?? option.consumer} –
                  ${label(lang, 'evidence', option.evidenceType)} – ${label(lang, 'purpose', option.purpose)}
                </option>`,
            )}
          </select>
          <label for="validUntil">${t('consents.give.validUntil')}</label>
          <span class="hint" id="validUntil-hint">${t('consents.give.validUntilHint')}</span>
          <input id="validUntil" name="validUntil" type="date" aria-describedby="validUntil-hint" />
          <label class="check" for="singleUse">
            <input id="singleUse" name="singleUse" type="checkbox" value="yes" />
            ${t('consents.give.singleUse')}
          </label>
          <button type="submit" class="primary">${t('consents.give.submit')}</button>
        </form>`;
  return renderPage({
    lang,
    path: frame.path,
    user,
    title: t('consents.title'),
    body: html`<h1>${t('consents.title')}</h1>
      ${notice} ${todo}
      <p>${t('consents.intro')}</p>
      ${list}
      <h2>${t('consents.give')}</h2>
      <p>${t('consents.give.intro')}</p>
      ${form}`,
  });
}

export function consentDetailPage(frame: ConsentFrame, consent: ConsentRecord, receipt: string): string {
  const { lang } = frame;
  const t = translator(lang);
  const claims = decodeJwt(receipt);
  const state = consentState(consent, frame.nowMs);
  return renderPage({
    lang,
    path: frame.path,
    user: frame.user,
    title: t('consent.title'),
    body: html`<h1>${t('consent.title')}</h1>
      <dl class="facts">
        <dt>${t('consent.id')}</dt>
        <dd><code>${consent.id}</code></dd>
        <dt>${t('consents.consumer')}</dt>
        <dd>${recipient(frame, consent.consumer)}</dd>
        <dt>${t('consents.evidence')}</dt>
        <dd>
          ${consent.evidenceTypes.map((e, i) => html`${i > 0 ? ', ' : ''}${label(lang, 'evidence', e)}`)}
        </dd>
        <dt>${t('consents.purpose')}</dt>
        <dd>${label(lang, 'purpose', consent.purpose)}</dd>
        <dt>${t('consents.state')}</dt>
        <dd>${t(`consents.state.${state}` as MessageKey)}</dd>
        <dt>${t('consent.createdAt')}</dt>
        <dd>${dateTime(lang, consent.createdAt)}</dd>
        <dt>${t('consents.validUntil')}</dt>
        <dd>${consent.validUntil === null ? t('consents.unlimited') : dateTime(lang, consent.validUntil)}</dd>
      </dl>
      <h2>${t('consents.events')}</h2>
      <ul>
        ${consent.events.map(
          (event) =>
            html`<li>${t(`consents.event.${event.type}` as MessageKey)}, ${dateTime(lang, event.at)}</li>`,
        )}
      </ul>
      <h2>${t('consent.receipt')}</h2>
      <p>${t('consent.receipt.intro')}</p>
      <p>
        <a class="button" href="/meine-daten/einwilligungen/${consent.id}/quittung" download
          >${t('consent.receipt.download')}</a
        >
      </p>
      <h3>${t('consent.receipt.claims')}</h3>
      <pre class="token">${JSON.stringify(claims, null, 2)}</pre>
      <p><a href="/meine-daten">${t('consent.back')}</a></p>`,
  });
}
