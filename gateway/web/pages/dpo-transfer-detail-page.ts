/**
 * One transfer as the DPO sees it (PROTOCOL.md §4): its records with leaf, checkpoint and proofs, and the
 * "verified" mark computed from them. Every value shown is escaped by `html`.
 */
import { codeLabel, participantText, timeElement, type CodeKind } from '../format.js';
import { html, type Html } from '../html.js';
import { translator, type Lang } from '../i18n.js';
import { renderPage } from '../layout.js';
import type { TransferCheck, TransferDetail } from '../verify-transfer.js';
import type { DpoFrame } from './dpo-shared.js';

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
