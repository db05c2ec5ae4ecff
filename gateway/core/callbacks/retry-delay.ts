/** Retry timing of callback deliveries (docs/callbacks.md "Delivery"). */

export interface RetrySchedule {
  /** Delay before the second attempt, ms; doubles with each further attempt. */
  readonly baseDelayMs: number;
  /** No single delay is longer than this, ms. */
  readonly maxDelayMs: number;
}

/**
 * How long to wait after failed attempt number `attempt` (1 = the first attempt failed): exponential back-off
 * `base·2^(attempt-1)`, capped at `maxDelayMs`, with "equal jitter" (half fixed, half random) so that many
 * callbacks that failed together do not retry in lock-step. `random` returns a number in [0, 1).
 */
export function retryDelayMs(attempt: number, schedule: RetrySchedule, random: () => number): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(schedule.maxDelayMs, schedule.baseDelayMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling / 2 + (ceiling / 2) * r);
}
