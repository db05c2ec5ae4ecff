/**
 * A budget of logged refusals of unauthenticated messages per source address (issue 2's note: such refusals are
 * logged so that an agency sees who tried to speak in its name, which also let anyone grow the transfer log at
 * will). Each address may have `perMinute` of them logged, refilled continuously (a token bucket); beyond that
 * its unauthenticated messages are answered 429 ERR_RATE_LIMITED with no record. Signed, authenticated requests
 * never spend from it. While an address is past its budget, every message from it is answered 429 before it is
 * parsed or its signature checked (`peek`, issue 11): a stream of garbage must not buy XML parsing and signature
 * checks at will, so a well-behaved agency does not share an address with one that sends garbage.
 *
 * Memory stays bounded: at most `maxSources` addresses are tracked, the least recently seen forgotten first (a
 * forgotten address starts again with a full budget).
 */

export type BudgetAnswer = { readonly ok: true } | { readonly ok: false; readonly retryAfterS: number };

export interface RefusalBudget {
  /** Spends one logged refusal for `source`, or says how long until one is available. */
  take(source: string): BudgetAnswer;
  /** Whether `source` has a logged refusal left, without spending it. */
  peek(source: string): BudgetAnswer;
}

export function createRefusalBudget(options: {
  readonly perMinute: number;
  readonly clock: { nowMs(): number };
  readonly maxSources?: number;
}): RefusalBudget {
  const { perMinute, clock } = options;
  const maxSources = options.maxSources ?? 10_000;
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const tokensOf = (source: string, now: number): number => {
    const seen = buckets.get(source);
    return seen === undefined
      ? perMinute
      : Math.min(perMinute, seen.tokens + Math.max(0, now - seen.at) * perMs);
  };
  const waitFor = (tokens: number): BudgetAnswer => ({
    ok: false,
    retryAfterS: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)),
  });
  return {
    peek(source) {
      const tokens = tokensOf(source, clock.nowMs());
      return tokens >= 1 ? { ok: true } : waitFor(tokens);
    },
    take(source) {
      const now = clock.nowMs();
      const tokens = tokensOf(source, now);
      // Re-inserted on every use: the Map's order is then least recently seen first.
      buckets.delete(source);
      if (buckets.size >= maxSources) buckets.delete(buckets.keys().next().value!);
      if (tokens >= 1) {
        buckets.set(source, { tokens: tokens - 1, at: now });
        return { ok: true };
      }
      buckets.set(source, { tokens, at: now });
      return waitFor(tokens);
    },
  };
}
