/**
 * The DPO's dashboard entry: the state of the transfer log (size, latest signed checkpoint: time, tree size,
 * root hash). The filterable transfer list, detail view, exports and charts come with the DPO API.
 */
import { html } from '../html.js';
import { translator, type Lang } from '../i18n.js';
import { renderPage, type FrameUser } from '../layout.js';
import type { LogState } from '../services.js';

export function dashboardPage(
  frame: { readonly lang: Lang; readonly path: string; readonly user: FrameUser },
  state: LogState,
  participants: readonly string[] | undefined,
): string {
  const t = translator(frame.lang);
  const checkpoint = state.checkpoint;
  const time = (ms: number) =>
    new Intl.DateTimeFormat(frame.lang === 'de' ? 'de-DE' : 'en-GB', {
      dateStyle: 'medium',
      timeStyle: 'medium',
      timeZone: 'Europe/Berlin',
    }).format(new Date(ms));
  return renderPage({
    ...frame,
    title: t('dashboard.title'),
    body: html`<h1>${t('dashboard.title')}</h1>
      <p>${t('dashboard.intro')}</p>
      ${participants ? html`<p>${t('dashboard.scope', { participants: participants.join(', ') })}</p>` : ''}
      <dl class="facts">
        <dt>${t('dashboard.size')}</dt>
        <dd id="log-size">${state.size}</dd>
      </dl>
      <h2>${t('dashboard.checkpoint')}</h2>
      ${
        checkpoint
          ? html`<dl class="facts">
              <dt>${t('dashboard.checkpoint.time')}</dt>
              <dd>
                <time datetime="${new Date(checkpoint.time).toISOString()}">${time(checkpoint.time)}</time>
              </dd>
              <dt>${t('dashboard.checkpoint.size')}</dt>
              <dd id="checkpoint-size">${checkpoint.treeSize}</dd>
              <dt>${t('dashboard.checkpoint.root')}</dt>
              <dd><code id="checkpoint-root">${checkpoint.rootHash}</code></dd>
            </dl>`
          : html`<p>${t('dashboard.checkpoint.none')}</p>`
      }`,
  });
}
