/**
 * The gateway's background work, each a job on one timer helper: signing checkpoints, verifying the stored log,
 * the retention purge, settling orphaned exchanges and expiring overdue previews. Every job runs one pass at a
 * time (a tick while a pass is under way is skipped), logs a failure under its own event and tries again at the
 * next tick; none stops the gateway. Timers do not keep the process alive. Each start function returns a closer
 * that stops the timer and waits for the pass under way, so the store is not closed beneath it.
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/ports.js';
import { isoTime } from '../core/time.js';
import { ORPHAN_GRACE_MS, type OrphanSettlement } from '../core/exchange/index.js';
import type { TransferLog, VerificationRuns } from '../core/transfer-log/index.js';
import type { LogStore } from './open-storage.js';

/** Stops something started; the composition root runs them in reverse order at shutdown. */
export type Closer = () => Promise<void> | void;

/** The events a failed pass is logged as (docs/log-events.md), one per job. */
export type JobFailedEvent =
  | 'log.checkpoint_failed'
  | 'log.verify_failed'
  | 'log.purge_failed'
  | 'exchange.orphans_failed'
  | 'preview.sweep_failed';

export interface Job {
  /** Every `intervalMs` ms. */
  readonly intervalMs: number;
  /** One pass; its own result lines are its business, a rejection is logged as `failedEvent`. */
  readonly run: () => Promise<void>;
  readonly failedEvent: JobFailedEvent;
  /** Before the first tick: 'await' runs a pass before the start resolves, 'background' starts one. */
  readonly first?: 'await' | 'background';
  /** A last pass when the closer runs (after the one under way). */
  readonly last?: boolean;
}

/** Starts a job (see the file comment); resolves when its first pass is done if `first` is 'await'. */
export async function startJob(job: Job, logger: Logger): Promise<Closer> {
  let running: Promise<void> | undefined;
  const pass = () =>
    job.run().catch((error: unknown) => {
      logger.error({ event: job.failedEvent, err: error }, job.failedEvent);
    });
  const tick = () =>
    (running ??= pass().finally(() => {
      running = undefined;
    }));
  if (job.first === 'await') await tick();
  else if (job.first === 'background') void tick();
  const timer = setInterval(tick, job.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
    if (job.last) await pass();
  };
}

/**
 * Signs a checkpoint every `intervalS` seconds if the log grew (TransferLog.checkpoint signs only then), so no
 * record stays unsigned for longer, and a last one at shutdown (the closer runs after the HTTP server and the
 * other background work have stopped, before the store closes).
 */
export function startCheckpoints(log: TransferLog, logger: Logger, intervalS: number): Promise<Closer> {
  return startJob(
    {
      intervalMs: intervalS * 1000,
      run: async () => {
        await log.checkpoint();
      },
      failedEvent: 'log.checkpoint_failed',
      last: true,
    },
    logger,
  );
}

/**
 * The full verification (every leaf recomputed): one run in the background at the start, so a restart on a large
 * log serves within seconds, then every `intervalS` seconds (0: only at the start). The runs record and report
 * their own results (createVerificationRuns' onRun).
 */
export async function startVerification(
  runs: VerificationRuns,
  logger: Logger,
  intervalS: number,
): Promise<Closer> {
  const failedEvent: JobFailedEvent = 'log.verify_failed';
  const startup = runs
    .run('startup')
    .then(() => undefined)
    .catch((error: unknown) => logger.error({ event: failedEvent, err: error }, failedEvent));
  const schedule =
    intervalS > 0
      ? await startJob(
          {
            intervalMs: intervalS * 1000,
            run: async () => {
              await runs.run('schedule');
            },
            failedEvent,
          },
          logger,
        )
      : async () => undefined;
  return async () => {
    await schedule();
    await startup;
  };
}

/** The retention purge (DESIGN.md "Retention"): every `intervalS` seconds, expired records lose their content. */
export function startPurge(
  store: LogStore,
  clock: Clock,
  logger: Logger,
  intervalS: number,
): Promise<Closer> {
  return startJob(
    {
      intervalMs: intervalS * 1000,
      run: async () => {
        const started = Date.now();
        const purged = await store.purgeRecords(isoTime(clock.nowMs()));
        const level = purged > 0 ? 'info' : 'debug';
        logger[level]({ event: 'log.purged', purged, ms: Date.now() - started }, 'log.purged');
      },
      failedEvent: 'log.purge_failed',
    },
    logger,
  );
}

/**
 * Settles orphaned exchanges (core/exchange/settle-orphans.ts) once before the gateway serves, then as often as an
 * intent can become due: the provider timeout plus the grace, at most every 10 s.
 */
export function startOrphanSettlement(
  orphans: OrphanSettlement,
  logger: Logger,
  providerTimeoutMs: number,
): Promise<Closer> {
  return startJob(
    {
      intervalMs: Math.min(providerTimeoutMs + ORPHAN_GRACE_MS, 10_000),
      run: async () => {
        const settled = await orphans.settle();
        if (settled > 0)
          logger.warn({ event: 'exchange.orphans_settled', settled }, 'exchange.orphans_settled');
      },
      failedEvent: 'exchange.orphans_failed',
      first: 'await',
    },
    logger,
  );
}

/** Expires previews whose decision or collection window has passed, every `intervalS` seconds. */
export function startPreviewSweep(
  previews: { sweep(): Promise<unknown> },
  logger: Logger,
  intervalS: number,
): Promise<Closer> {
  return startJob(
    {
      intervalMs: intervalS * 1000,
      run: async () => {
        await previews.sweep();
      },
      failedEvent: 'preview.sweep_failed',
    },
    logger,
  );
}
