/**
 * The evidence exchange, stage by stage (DESIGN.md "The exchange, step by step"; PROTOCOL.md §1–§2).
 *
 * Invariants this file exists to keep:
 * - every refusal after the envelope was read is written to the transfer log before the caller hears of it;
 * - the intent is durable in the log before anything is forwarded to a provider;
 * - the outcome is durable before the consumer receives evidence;
 * - if the log cannot be written, the answer is ERR_LOG_UNAVAILABLE and nothing is forwarded or released.
 *
 * Throws ExchangeRefusal (a GatewayError) with every code of PROTOCOL.md §6 that an exchange can end in; the
 * refusal names the exchange and the sender the message named.
 */
import { GatewayError, toGatewayError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { Participant, TransferRecord } from '../ports.js';
import { addIsoDuration } from '../policy/index.js';
import { isoTime } from '../time.js';
import { ExchangeRefusal, type ClaimedSender } from './refusal.js';
import type {
  AwaitingExchange,
  ClaimedRequest,
  EvidenceRequest,
  ExchangeDeps,
  ForwardedRequestInput,
  MessageFormat,
  ReleasedExchange,
} from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type RecordBase = Omit<Mutable<TransferRecord>, 'v' | 'time' | 'outcome'>;

const DEFAULT_RETENTION = 'P2Y';

export interface Exchange {
  /**
   * Runs one exchange for a message in the given format; resolves with the released evidence and receipt, or, if
   * the policy wants the citizen's preview, with the exchange awaiting the citizen. Rejects with ExchangeRefusal:
   * the refusal, its exchange id and the sender the message named.
   */
  /** `source`: the sender's network address, for the budget of logged unauthenticated refusals. */
  submit(format: MessageFormat, body: string, source?: string): Promise<ReleasedExchange | AwaitingExchange>;
  /** Whether this exchange is still running here (its outcome is yet to be recorded): orphans are not. */
  running(exchangeId: string): boolean;
}

/** Builds the exchange use case over its ports (DESIGN.md stages 2–12). */
export function createExchange(deps: ExchangeDeps): Exchange {
  const { clock } = deps;

  function record(base: RecordBase, outcome: TransferRecord['outcome'], extra: Partial<TransferRecord> = {}) {
    const now = clock.nowMs();
    return {
      v: 1,
      time: isoTime(now),
      outcome,
      ...base,
      ...extra,
      retentionUntil: extra.retentionUntil ?? isoTime(addIsoDuration(now, DEFAULT_RETENTION)),
    } satisfies TransferRecord as TransferRecord;
  }

  /** Logs a refusal; if even that cannot be written the caller gets ERR_LOG_UNAVAILABLE instead. */
  async function refuse(
    base: RecordBase,
    error: GatewayError,
    extra: Partial<TransferRecord> = {},
  ): Promise<never> {
    try {
      await deps.log.append(record(base, 'refused', { ...extra, code: error.code }));
    } catch (logError) {
      throw toLogUnavailable(logError);
    }
    throw error;
  }

  function rateLimited(retryAfterS: number, cause?: unknown): GatewayError {
    return new GatewayError(
      'ERR_RATE_LIMITED',
      'too many refused unauthenticated messages from this address',
      {
        cause,
        retryAfterS,
      },
    );
  }

  function baseFromClaimed(exchangeId: string, format: MessageFormat, claimed: ClaimedRequest): RecordBase {
    return {
      exchangeId,
      format,
      authenticated: false,
      consumer: claimed.consumer,
      messageId: claimed.messageId,
      evidenceType: claimed.evidenceType,
      purpose: claimed.purpose,
    };
  }

  const running = new Set<string>();

  async function submit(
    format: MessageFormat,
    body: string,
    source = 'unknown',
  ): Promise<ReleasedExchange | AwaitingExchange> {
    const exchangeId = deps.newId();
    const named: { sender?: ClaimedSender } = {};
    running.add(exchangeId);
    try {
      return await run(exchangeId, format, body, source, named);
    } catch (error) {
      throw new ExchangeRefusal(toGatewayError(error), { exchangeId, sender: named.sender });
    } finally {
      running.delete(exchangeId);
    }
  }

  /** The stages; `named.sender` is set as soon as the message names one, for the refusal to carry. */
  async function run(
    exchangeId: string,
    format: MessageFormat,
    body: string,
    source: string,
    named: { sender?: ClaimedSender },
  ): Promise<ReleasedExchange | AwaitingExchange> {
    // An address past its budget of unauthenticated refusals gets nothing parsed or verified until it refills.
    const standing = deps.refusalBudget?.peek(source);
    if (standing !== undefined && !standing.ok) throw rateLimited(standing.retryAfterS);

    // Stages 2–5: envelope, trust, freshness, schema, identifiers (the reader for this format).
    let request: EvidenceRequest;
    try {
      request = await deps.formats[format].read(body);
    } catch (error) {
      const refusal = toGatewayError(error);
      const claimed = deps.claimedOf(error);
      if (claimed?.consumer) named.sender = { id: claimed.consumer, messageId: claimed.messageId };
      // A message that could not even be framed has no sender to speak of: nothing to log.
      if (claimed) {
        // Past its address's budget, an unauthenticated message is not logged but answered 429.
        const spent = deps.refusalBudget?.take(source);
        if (spent !== undefined && !spent.ok) throw rateLimited(spent.retryAfterS, error);
        await refuse(baseFromClaimed(exchangeId, format, claimed), refusal);
      }
      throw refusal;
    }
    named.sender = { id: request.consumer, messageId: request.messageId };

    const subjectRef = deps.subjectRef(request.subjectIdnr);
    const base: RecordBase = {
      exchangeId,
      format,
      authenticated: true,
      consumer: request.consumer,
      messageId: request.messageId,
      evidenceType: request.evidenceType,
      purpose: request.purpose,
      procedure: request.procedure,
      actor: request.actor,
      subjectRef,
      provider: request.provider,
    };

    // Stage 4: replay, durably, keyed on (issuer, message id) and never on the token bytes.
    let fresh: boolean;
    try {
      fresh = await deps.replay.remember(request.consumer, request.messageId, request.replayUntil * 1000);
    } catch (error) {
      throw toLogUnavailable(error);
    }
    if (!fresh)
      return refuse(base, new GatewayError('ERR_REPLAY', 'this message id was already used by this sender'));

    // Stage 6: purpose binding.
    const verdict = deps.evaluatePolicy(request);
    if (!verdict.permit) return refuse(base, new GatewayError(verdict.code, verdict.reason));
    const decided: RecordBase = {
      ...base,
      provider: verdict.provider,
      policy: verdict.policy,
      legalBasis: verdict.legalBasis,
      fields: verdict.fields,
    };
    const retentionUntil = isoTime(addIsoDuration(clock.nowMs(), verdict.retention));

    if (request.test && deps.production) {
      return refuse(
        decided,
        new GatewayError('ERR_POLICY_DENIED', 'a test message is not answered from a production register'),
      );
    }

    const provider = deps.trust.participant(verdict.provider);
    const endpoint = provider?.endpoint;
    const connector = endpoint ? deps.connectors[endpoint.kind] : undefined;
    if (!provider || !provider.roles.includes('provider') || !endpoint || !connector) {
      return refuse(
        decided,
        new GatewayError('ERR_PROVIDER_UNAVAILABLE', 'the provider is not reachable from this gateway'),
      );
    }

    // Stage 7: consent from the gateway's own store; a message cannot assert it.
    let consentId: string | undefined;
    if (verdict.consentRequired) {
      const consent = await guardStore(() => deps.checkConsent(request, subjectRef));
      if (!consent.ok) return refuse(decided, new GatewayError(consent.code));
      consentId = consent.consentId;
      if (consent.singleUse && !(await guardStore(() => deps.claimConsent(consent.consentId, exchangeId)))) {
        return refuse(
          { ...decided, consentId },
          new GatewayError('ERR_CONSENT_EXPIRED', 'the single-use consent was already used'),
        );
      }
    }
    const consented: RecordBase = { ...decided, consentId, idnrUsed: true };

    // Stage 8: record intent, durably, before anything leaves the gateway.
    try {
      await deps.log.append(record(consented, 'intent', { retentionUntil }));
    } catch (error) {
      throw toLogUnavailable(error);
    }

    // Stage 9: forward a minimised request signed by the gateway.
    const providerFormat: MessageFormat = endpoint.kind === 'http-xoev' ? 'xoev' : 'json';
    const wire = deps.formats[providerFormat];
    const input: ForwardedRequestInput = { exchangeId, request, provider, verdict };
    const forwarded = await wire.signForwarded(input);
    let evidence;
    try {
      const answer = await send(provider, providerFormat, forwarded, exchangeId);
      // Stage 10: the provider's signature, binding to this request, schema, and no field beyond the permitted.
      evidence = await wire.verifyAnswer(answer, { forwarded, input });
    } catch (error) {
      const failure = providerFailure(error);
      return refuse(consented, failure, { retentionUntil });
    }

    // Stage 11: preview. The evidence waits, sealed, for the citizen; held only while the consent still holds, so a
    // withdrawal either comes first (refused here) or finds the held evidence and cancels it.
    if (verdict.previewRequired) {
      const hold = () =>
        deps.holdForPreview(
          record(consented, 'awaiting-citizen', {
            retentionUntil,
            fields: evidence.fields,
            evidenceDigest: evidence.digest,
            preview: 'pending',
          }),
          { evidence: evidence.token, digest: evidence.digest, fields: evidence.fields, data: evidence.data },
          clock.nowMs() + verdict.previewTimeoutMinutes * 60_000,
        );
      const held = await guarded(consentId, exchangeId, hold);
      if (!held.ok) return refuse(consented, consentEnded(held.code), { retentionUntil });
      return { exchangeId, status: 'awaiting-citizen' };
    }

    // Stage 12: record the outcome durably — while the consent still holds — then release with a receipt that
    // proves the entry.
    const release = () =>
      deps.log.append(
        record(consented, 'released', {
          retentionUntil,
          fields: evidence.fields,
          evidenceDigest: evidence.digest,
          preview: 'not-required',
        }),
      );
    const released = await guarded(consentId, exchangeId, release);
    if (!released.ok) return refuse(consented, consentEnded(released.code), { retentionUntil });
    const receipt = await deps.log.receipt(exchangeId, released.value);
    return { exchangeId, status: 'released', evidence: evidence.token, receipt };
  }

  /** Runs `fn` under the consent's guard (if the exchange relied on one); log failures fail closed. */
  async function guarded<T>(
    consentId: string | undefined,
    exchangeId: string,
    fn: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; code: ErrorCode }> {
    try {
      if (consentId === undefined) return { ok: true, value: await fn() };
      return await deps.guardRelease(consentId, exchangeId, fn);
    } catch (error) {
      throw toLogUnavailable(error);
    }
  }

  async function send(provider: Participant, format: MessageFormat, body: string, exchangeId: string) {
    const connector = deps.connectors[provider.endpoint!.kind]!;
    return connector.send(
      { exchangeId, provider, format, body },
      AbortSignal.timeout(deps.providerTimeoutMs),
    );
  }

  return { submit, running: (exchangeId) => running.has(exchangeId) };
}

/** The consent an exchange relied on ended while the provider answered: withdrawn, or past its end. */
function consentEnded(code: ErrorCode): GatewayError {
  return new GatewayError(code, 'the consent this exchange relied on no longer holds; nothing was released');
}

/** Store failures on the consent or replay path fail closed like a log failure. */
async function guardStore<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof GatewayError && error.code !== 'ERR_INTERNAL') throw error;
    throw toLogUnavailable(error);
  }
}

function toLogUnavailable(error: unknown): GatewayError {
  if (error instanceof GatewayError && error.code === 'ERR_LOG_UNAVAILABLE') return error;
  return new GatewayError('ERR_LOG_UNAVAILABLE', 'the transfer log cannot be written', { cause: error });
}

/** ERR_NOT_FOUND: the provider's register has no record of this person, a definite answer, not a failure. */
const PROVIDER_CODES: readonly ErrorCode[] = [
  'ERR_PROVIDER_UNAVAILABLE',
  'ERR_PROVIDER_RESPONSE',
  'ERR_NOT_FOUND',
];

/** Whatever goes wrong between forwarding and a verified answer is the provider's failure, typed as such. */
function providerFailure(error: unknown): GatewayError {
  if (error instanceof GatewayError && PROVIDER_CODES.includes(error.code)) return error;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new GatewayError('ERR_PROVIDER_UNAVAILABLE', 'the provider did not answer in time', {
      cause: error,
      status: 504,
    });
  }
  return new GatewayError('ERR_PROVIDER_RESPONSE', "the provider's answer could not be verified", {
    cause: error,
  });
}
