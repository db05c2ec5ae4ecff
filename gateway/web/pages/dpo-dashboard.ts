/**
 * The DPO's overview: the state of the transfer log (size, latest signed checkpoint: time, tree size, root
 * hash), its last full verification with the button to run one now, and the way to the other DPO pages.
 */
import type { VerificationRun } from '../../core/transfer-log/index.js';
import { timeElement } from '../format.js';
import { html } from '../html.js';
import { translateOptional, translator, type Lang } from '../i18n.js';
import { renderPage, type FrameUser } from '../layout.js';
import type { LogState } from '../services.js';

export function dashboardPage(
  frame: { readonly lang: Lang; readonly path: string; readonly user: FrameUser },
  state: LogState,
  participants: readonly string[] | undefined,
  verification: { readonly running: boolean; readonly last?: VerificationRun },
): string {
  const { lang } = frame;
  const t = translator(lang);
  const checkpoint = state.checkpoint;
  const last = verification.last;
  const result = last
    ? html`<dl class="facts">
        <dt>${t('dashboard.verification.when')}</dt>
        <dd>${timeElement(lang, last.finishedAt)}</dd>
        <dt>${t('dashboard.verification.trigger')}</dt>
        <dd>${translateOptional(lang, `dashboard.verification.trigger.${last.trigger}`) ?? last.trigger}</dd>
        <dt>${t('dashboard.verification.result')}</dt>
        <dd id="verification-result">
          ${
            last.ok
              ? html`<span class="mark-ok"
                  >✓ ${t('dashboard.verification.ok', { size: String(last.size) })}</span
                >`
              : html`<span class="mark-bad"
                  >✗
                  ${t('dashboard.verification.failed', {
                    reason: last.reason ?? '',
                    index: String(last.firstBadIndex ?? '–'),
                  })}</span
                >`
          }
        </dd>
        <dt>${t('dashboard.verification.duration')}</dt>
        <dd>${((last.finishedAt - last.startedAt) / 1000).toFixed(1)} s</dd>
      </dl>`
    : html`<p>${t('dashboard.verification.none')}</p>`;
  return renderPage({
    ...frame,
    title: t('dashboard.title'),
    body: html`<h1>${t('dashboard.title')}</h1>
      <p>${t('dashboard.intro')}</p>
      ${participants ? html`<p>${t('dashboard.scope', { participants: participants.join(', ') })}</p>` : ''}
      <ul class="links">
        <li><a href="/dpo/uebermittlungen">${t('nav.transfers')}</a></li>
        <li><a href="/dpo/statistik">${t('nav.statistics')}</a></li>
        <li><a href="/dpo/verarbeitungen">${t('nav.processing')}</a></li>
      </ul>
      <dl class="facts">
        <dt>${t('dashboard.size')}</dt>
        <dd id="log-size">${state.size}</dd>
      </dl>
      <h2>${t('dashboard.checkpoint')}</h2>
      ${
        checkpoint
          ? html`<dl class="facts">
              <dt>${t('dashboard.checkpoint.time')}</dt>
              <dd>${timeElement(lang, checkpoint.time)}</dd>
              <dt>${t('dashboard.checkpoint.size')}</dt>
              <dd id="checkpoint-size">${checkpoint.treeSize}</dd>
              <dt>${t('dashboard.checkpoint.root')}</dt>
              <dd><code id="checkpoint-root">${checkpoint.rootHash}</code></dd>
            </dl>`
          : html`<p>${t('dashboard.checkpoint.none')}</p>`
      }
      <h2>${t('dashboard.verification')}</h2>
      <p>${t('dashboard.verification.intro')}</p>
      ${result}
      ${
        verification.running
          ? html`<p class="notice" role="status" id="verification-running">
              ${t('dashboard.verification.running')}
            </p>`
          : participants
            ? ''
            : html`<form method="post" action="/dpo/pruefung">
                <input type="hidden" name="_csrf" value="${frame.user.csrf}" />
                <button type="submit" class="primary">${t('dashboard.verification.run')}</button>
              </form>`
      }`,
  });
}
