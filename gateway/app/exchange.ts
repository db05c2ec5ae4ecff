/**
 * The exchange as the HTTP API offers it (the wire contract's evidence request and its polling): submitting a
 * request to the pipeline (core/exchange) with the `transfer.*` line every outcome logs, the consumer's view of
 * one of its exchanges read from the transfer log, and the signed XÖV `rueckweisung` for a refused XÖV message.
 */
import type { Logger } from 'pino';
import { ExchangeRefusal, type Exchange, type MessageFormat } from '../core/exchange/index.js';
import { signXoevRejection } from '../core/envelope/xoev/index.js';
import type { Clock, Signer, TransferLogQueries, TrustStore } from '../core/ports.js';
import type { PreviewService as CorePreviewService } from '../core/preview/index.js';
import type { TransferLog } from '../core/transfer-log/index.js';
import type { ExchangeService, ExchangeView } from './contracts.js';

export interface ExchangeAppDeps {
  readonly exchange: Pick<Exchange, 'submit'>;
  readonly store: Pick<TransferLogQueries, 'recordsByExchange'>;
  readonly log: Pick<TransferLog, 'issueReceipt'>;
  readonly previews: Pick<CorePreviewService, 'collect'>;
  readonly trust: Pick<TrustStore, 'participant'>;
  readonly signer: Signer;
  readonly clock: Clock;
  readonly gatewayId: string;
  readonly logger: Logger;
}

export function createExchangeApp(deps: ExchangeAppDeps): ExchangeService {
  const { exchange, logger, trust } = deps;
  return {
    async submit({ body, contentType, requestId, source }) {
      const format: MessageFormat = contentType === 'application/xml' ? 'xoev' : 'json';
      let released;
      try {
        released = await exchange.submit(format, body.toString('utf8'), source);
      } catch (error) {
        const refusal = error instanceof ExchangeRefusal ? error : undefined;
        logger.info(
          { event: 'transfer.refused', exchangeId: refusal?.exchangeId, requestId, code: refusal?.code },
          'transfer.refused',
        );
        throw error;
      }
      if (released.status === 'awaiting-citizen') {
        logger.info({ event: 'transfer.held', exchangeId: released.exchangeId, requestId }, 'transfer.held');
        return { status: 202, body: released };
      }
      logger.info(
        { event: 'transfer.released', exchangeId: released.exchangeId, requestId },
        'transfer.released',
      );
      return { status: 200, body: released };
    },
    get: ({ exchangeId, agency }) => describeExchange(deps, exchangeId, agency),
    renderRefusal(thrown, problem) {
      // Refused before anyone was authenticated or logged, like a too-large body: problem+json (docs/xoev.md).
      if (problem.code === 'ERR_RATE_LIMITED') return undefined;
      // The refusal names the sender its message named (verified, or only claimed before the signature).
      const sender = thrown instanceof ExchangeRefusal ? thrown.sender : undefined;
      if (sender === undefined) return undefined;
      try {
        const text = signXoevRejection(
          { signer: deps.signer, clock: deps.clock, name: trust.participant(deps.gatewayId)?.name },
          { to: { id: sender.id, name: trust.participant(sender.id)?.name ?? sender.id } },
          {
            code: problem.code,
            description: `${problem.instance}${problem.detail ? ` ${problem.detail}` : ''}`,
            refersTo: sender.messageId,
          },
        );
        return { contentType: 'application/xml; charset=utf-8', text };
      } catch {
        return undefined; // a claimed id XML cannot carry: the problem document it is
      }
    },
  };
}

/** The consumer's view of one of its exchanges, read from the transfer log (the wire contract's polling). */
async function describeExchange(
  deps: ExchangeAppDeps,
  exchangeId: string,
  agency: string,
): Promise<ExchangeView | undefined> {
  const leaves = await deps.store.recordsByExchange(exchangeId);
  // A retention extension is about the exchange, not a step of it: the consumer's view shows the transfer.
  const records = leaves
    .filter((l) => l.record !== null)
    .map((l) => ({ leaf: l, record: JSON.parse(l.record!) as Record<string, unknown> }))
    .filter((r) => r.record['outcome'] !== 'retention-extended');
  if (
    records.length === 0 ||
    records.some((r) => r.record['consumer'] !== agency || r.record['authenticated'] !== true)
  ) {
    return undefined;
  }
  const last = records[records.length - 1]!;
  const outcome = last.record['outcome'] as string;
  const view: {
    -readonly [K in keyof ExchangeView]: ExchangeView[K];
  } = {
    exchangeId,
    status: (outcome === 'intent' ? 'pending' : outcome) as ExchangeView['status'],
    evidenceType: last.record['evidenceType'] as string | undefined,
    purpose: last.record['purpose'] as string | undefined,
    time: last.record['time'] as string,
  };
  if (outcome === 'refused' || outcome === 'withheld') view.code = last.record['code'] as string;
  if (outcome === 'released' && last.record['preview'] === 'approved') {
    // Approved after preview: the evidence was held for collection; absent once the window has passed.
    const held = await deps.previews.collect(exchangeId, agency);
    if (held !== undefined) view.evidence = held.evidence;
  }
  if (outcome === 'released') {
    view.receipt = await deps.log.issueReceipt({
      exchangeId,
      leaf: { index: last.leaf.index, leafHash: last.leaf.leafHash },
    });
  }
  return view;
}
