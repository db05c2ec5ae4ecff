/**
 * A budget of logged refusals of unauthenticated messages per source address (issue 2's note: such refusals are
 * logged so that an agency sees who tried to speak in its name, which also let anyone grow the transfer log at
 * will). Each address may have `perMinute` of them logged, refilled continuously (a token bucket); beyond that
 * its unauthenticated messages are answered 429 ERR_RATE_LIMITED with no record. Signed, authenticated requests
 * never spend from it, so an agency's own traffic is not limited by this.
 *
 * Memory stays bounded: at most `maxSources` addresses are tracked, the least recently seen forgotten first (a
 * forgotten address starts again with a full budget).
 */

export type BudgetAnswer = { readonly ok: true } | { readonly ok: false; readonly retryAfterS: number };

export interface RefusalBudget {
  /** Spends one logged refusal for `source`, or says how long until one is available. */
  take(source: string): BudgetAnswer;
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
  return {
    take(source) {
      const now = clock.nowMs();
      const seen = buckets.get(source);
      const tokens =
        seen === undefined
          ? perMinute
          : Math.min(perMinute, seen.tokens + Math.max(0, now - seen.at) * perMs);
      // Re-inserted on every use: the Map's order is then least recently seen first.
      buckets.delete(source);
      if (buckets.size >= maxSources) buckets.delete(buckets.keys().next().value!);
      if (tokens >= 1) {
        buckets.set(source, { tokens: tokens - 1, at: now });
        return { ok: true };
      }
      buckets.set(source, { tokens, at: now });
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
    },
  };
}
