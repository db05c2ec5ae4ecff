/**
 * The log's verification history (issue "web pages": "the state of the log … last verification"): every full
 * verification of the stored log (verifyStoredLog) is recorded with when, why, how long and what it found, so
 * the DPO sees when the log was last checked and with what result. One run at a time: asking while a run is
 * under way joins that run instead of starting a second pass over the whole log.
 */
import type { StoredLogVerification } from './verify-stored-log.js';

/** Why a run happened: the check before the gateway serves, the schedule, or a DPO asking for one. */
export type VerificationTrigger = 'startup' | 'schedule' | 'dpo';

export interface VerificationRun extends StoredLogVerification {
  readonly trigger: VerificationTrigger;
  /** ms since epoch */
  readonly startedAt: number;
  readonly finishedAt: number;
}

export interface VerificationRunStore {
  add(run: VerificationRun): Promise<void>;
  latest(): Promise<VerificationRun | undefined>;
}

export interface VerificationRuns {
  /** Starts a run, or joins the one under way; resolves when it is recorded. */
  run(trigger: VerificationTrigger): Promise<VerificationRun>;
  /** Whether a run is under way, and the last recorded one. */
  state(): Promise<{ readonly running: boolean; readonly last?: VerificationRun }>;
}

export function createVerificationRuns(deps: {
  readonly verify: () => Promise<StoredLogVerification>;
  readonly store: VerificationRunStore;
  readonly clock: { nowMs(): number };
  /** Told of every recorded run (to raise an alarm when one fails). */
  readonly onRun?: (run: VerificationRun) => void;
}): VerificationRuns {
  let current: Promise<VerificationRun> | undefined;
  return {
    run(trigger) {
      current ??= (async () => {
        try {
          const startedAt = deps.clock.nowMs();
          const result = await deps.verify();
          const run: VerificationRun = { ...result, trigger, startedAt, finishedAt: deps.clock.nowMs() };
          await deps.store.add(run);
          deps.onRun?.(run);
          return run;
        } finally {
          current = undefined;
        }
      })();
      return current;
    },
    async state() {
      const last = await deps.store.latest();
      return { running: current !== undefined, ...(last === undefined ? {} : { last }) };
    },
  };
}
