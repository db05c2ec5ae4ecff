/**
 * The answers a provider gave to forwarded requests, by (sender, message id), for as long as the request could
 * still pass the freshness check (issue 11). A forwarded request that arrives again — the gateway's connector
 * cannot always tell whether a request it lost the connection on had been read — is the same request: the same
 * bytes under the same id get the first answer again, byte for byte, and the register is asked only once. Other
 * bytes under an id already answered are a replay and are refused.
 *
 * Bounded in time (an entry goes when its request turns stale) and in size: when `maxEntries` answers are still
 * live, a new request is refused with ERR_RATE_LIMITED rather than forgetting an answer early, since a forgotten
 * id would let a replay through as a new request.
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../../gateway/core/errors.js';

/** An HTTP answer as sent: status, Content-Type and the exact body. */
export interface RememberedAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

interface Entry {
  readonly bodyDigest: string;
  readonly untilMs: number;
  /** Settles once the first request is answered; a repeat that comes in meanwhile waits for the same answer. */
  readonly answer: Promise<RememberedAnswer>;
}

export const DEFAULT_MAX_REMEMBERED_ANSWERS = 10_000;

export interface AnswerMemory {
  /**
   * The answer to the request `body` from `sender` with `messageId`: the remembered one if these bytes were
   * answered under this id before and it has not expired, else `produce()`'s, remembered until `untilMs`.
   * Throws ERR_REPLAY for other bytes under a live id, ERR_RATE_LIMITED when the memory is full of live answers.
   */
  answerOnce(
    request: {
      readonly sender: string;
      readonly messageId: string;
      readonly body: string;
      readonly untilMs: number;
    },
    nowMs: number,
    produce: () => Promise<RememberedAnswer>,
  ): Promise<RememberedAnswer>;
  readonly size: number;
}

export function createAnswerMemory(maxEntries = DEFAULT_MAX_REMEMBERED_ANSWERS): AnswerMemory {
  if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0)
    throw new TypeError('maxEntries: a positive integer');
  // Insertion order is roughly expiry order (every request has the same freshness window), so pruning from the
  // front is amortised O(1); an entry behind a longer-lived one goes a little later, still within the bound.
  const entries = new Map<string, Entry>();

  function prune(nowMs: number): void {
    for (const [key, entry] of entries) {
      if (entry.untilMs > nowMs) break;
      entries.delete(key);
    }
  }

  return {
    answerOnce(request, nowMs, produce) {
      prune(nowMs);
      const key = `${request.sender}\u0000${request.messageId}`;
      const bodyDigest = createHash('sha256').update(request.body, 'utf8').digest('base64url');
      const seen = entries.get(key);
      if (seen !== undefined && seen.untilMs > nowMs) {
        if (seen.bodyDigest !== bodyDigest) {
          return Promise.reject(
            new GatewayError('ERR_REPLAY', 'another request was answered under this message id'),
          );
        }
        return seen.answer;
      }
      if (seen !== undefined) entries.delete(key);
      if (entries.size >= maxEntries) {
        const [oldest] = entries.values();
        const retryAfterS = Math.max(1, Math.ceil((oldest!.untilMs - nowMs) / 1000));
        return Promise.reject(
          new GatewayError('ERR_RATE_LIMITED', 'too many requests in the freshness window', { retryAfterS }),
        );
      }
      const answer = produce();
      entries.set(key, { bodyDigest, untilMs: request.untilMs, answer });
      return answer;
    },
    get size() {
      return entries.size;
    },
  };
}
