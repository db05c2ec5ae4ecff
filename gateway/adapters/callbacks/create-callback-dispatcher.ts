/**
 * Delivers callbacks (docs/callbacks.md "Delivery"): the CallbackNotifier port on the SQLite outbox, plus the
 * dispatcher that works the outbox off with fetch and timers.
 *
 * - `notify` checks the event, looks up the consumer's registered callback URL and secret, and durably enqueues
 *   the signed body (or records it as dropped when the queue is full). No URL or no secret: nothing is queued.
 * - Each attempt re-reads the URL registered for the consumer from the trust store at send time, signs with a
 *   fresh timestamp, and POSTs with `redirect: 'manual'` (a 3xx is a failure: another URL is never contacted),
 *   a per-attempt timeout; of the answer only the status counts (2xx is success), its body is read up to 4 KiB
 *   and dropped.
 * - A failed attempt is retried after an exponential back-off with jitter, up to `maxAttempts`; then the row is
 *   marked failed, kept for operations and logged. Delivery is at least once: a receiver deduplicates on
 *   (type, id, status).
 * - Pending rows survive a restart: `start()` picks them up. Rows are leased while attempted (the outbox port):
 *   a stop gives the leases back, a crash leaves them to expire, so another gateway or the restart repeats them.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { callbackBody, checkCallbackEvent, retryDelayMs, signCallback } from '../../core/callbacks/index.js';
import type { RetrySchedule } from '../../core/callbacks/index.js';
import { isCallbackUrl } from '../../core/trust/index.js';
import type {
  CallbackEvent,
  CallbackNotifier,
  CallbackOutbox,
  Clock,
  OutboxRow,
  TrustStore,
} from '../../core/ports.js';

export interface CallbackDispatcherOptions extends RetrySchedule {
  readonly outbox: CallbackOutbox;
  readonly trust: Pick<TrustStore, 'participant'>;
  /** Participant id → shared secret (loadCallbackSecrets). */
  readonly secrets: ReadonlyMap<string, string>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Attempts in all, the first included; then the row is marked failed. */
  readonly maxAttempts: number;
  /** Per attempt: connect, send and the answer's status line, ms. */
  readonly timeoutMs: number;
  /** Also call http:// URLs of loopback hosts (demo mode); otherwise only https. */
  readonly allowHttp: boolean;
  /** Deliveries in flight at once; default 16. */
  readonly concurrency?: number;
  /** Longest sleep between looks at the outbox, ms (a row due earlier wakes it anyway); default 60 s. */
  readonly idleMs?: number;
  readonly registry?: Registry;
  /** [0, 1); default Math.random (tests pin the jitter). */
  readonly random?: () => number;
}

export interface CallbackDispatcher extends CallbackNotifier {
  /** Starts working the outbox off (also what a restart left pending). */
  start(): void;
  /** Stops: no new attempts, the ones in flight aborted (their rows stay pending and are retried later). */
  close(): Promise<void>;
  /** Resolves when nothing is due now and nothing is in flight (tests). */
  idle(): Promise<void>;
}

type Outcome = { ok: true } | { ok: false; error: string; retry: boolean };

/** How much longer than an attempt's timeout its lease lasts (the outcome is recorded within it). */
const LEASE_MARGIN_MS = 10_000;

/** Answers' bodies are never used; up to this much is read only so the connection can be reused. */
const MAX_DISCARDED_BODY_BYTES = 4_096;

/**
 * Reads and drops a small answer body, so that keep-alive reuses the connection (measured: ~1.4–1.9× the rate of
 * cancelling it unread); a larger one is cancelled after MAX_DISCARDED_BODY_BYTES, which closes the connection.
 */
async function discardBody(response: Response): Promise<void> {
  const reader = response.body?.getReader();
  if (reader === undefined) return;
  try {
    let seen = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
      if (seen > MAX_DISCARDED_BODY_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // a body that breaks off does not change the status we already have
  }
}

function counter(registry: Registry | undefined, name: string, help: string): Counter {
  const existing = registry?.getSingleMetric(name) as Counter | undefined;
  return existing ?? new Counter({ name, help, registers: registry ? [registry] : [] });
}

/** Builds the dispatcher; call start() to begin delivering. */
export function createCallbackDispatcher(options: CallbackDispatcherOptions): CallbackDispatcher {
  const { outbox, trust, secrets, clock, logger } = options;
  const concurrency = options.concurrency ?? 16;
  const idleMs = options.idleMs ?? 60_000;
  const random = options.random ?? Math.random;
  // Longer than an attempt can take (its timeout, then recording the outcome), so a lease never ends under it.
  const leaseMs = options.timeoutMs + LEASE_MARGIN_MS;
  const log = logger.child({ area: 'callbacks' });

  const metrics = {
    delivered: counter(options.registry, 'oog_callbacks_delivered_total', 'Callbacks delivered (2xx)'),
    failed: counter(
      options.registry,
      'oog_callbacks_failed_total',
      'Callbacks given up after their last attempt, or whose consumer lost its callback registration',
    ),
    dropped: counter(options.registry, 'oog_callbacks_dropped_total', 'Callbacks not queued: queue full'),
    retried: counter(
      options.registry,
      'oog_callbacks_retried_total',
      'Failed callback attempts to be retried',
    ),
  };
  if (options.registry && !options.registry.getSingleMetric('oog_callbacks_pending')) {
    new Gauge({
      name: 'oog_callbacks_pending',
      help: 'Callbacks waiting for delivery',
      registers: [options.registry],
      async collect() {
        this.set(await outbox.pendingCount());
      },
    });
  }

  let started = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let again = false;
  const inFlight = new Map<number, { controller: AbortController; done: Promise<void> }>();
  let idleWaiters: (() => void)[] = [];

  /** The URL this consumer may be called at now, with its secret, or why not. */
  function target(consumer: string): { url: string; secret: string } | { reason: string } {
    const url = trust.participant(consumer)?.callbackUrl;
    if (url === undefined) return { reason: 'no-callback-url' };
    if (!isCallbackUrl(url) || (!options.allowHttp && new URL(url).protocol !== 'https:'))
      return { reason: 'callback-url-not-allowed' };
    const secret = secrets.get(consumer);
    if (secret === undefined) return { reason: 'no-callback-secret' };
    return { url, secret };
  }

  async function attempt(row: OutboxRow, url: string, secret: string, signal: AbortSignal): Promise<Outcome> {
    const headers = signCallback(secret, row.body, Math.floor(clock.nowMs() / 1000));
    const timeout = AbortSignal.timeout(options.timeoutMs);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: row.body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, timeout]),
      });
      await discardBody(response);
      if (response.status >= 200 && response.status < 300) return { ok: true };
      return {
        ok: false,
        error:
          response.status >= 300 && response.status < 400
            ? `redirect-${response.status}`
            : `http-${response.status}`,
        retry: true,
      };
    } catch (error) {
      if (signal.aborted) return { ok: false, error: 'aborted', retry: false };
      if (timeout.aborted) return { ok: false, error: 'timeout', retry: true };
      const cause = (error as { cause?: { code?: unknown } }).cause;
      const code = typeof cause?.code === 'string' ? cause.code : 'network';
      return { ok: false, error: `network-${code}`.slice(0, 60), retry: true };
    }
  }

  async function deliver(row: OutboxRow, controller: AbortController): Promise<void> {
    const attemptNo = row.attempts + 1;
    const about = { consumer: row.consumer, type: row.eventType, id: row.eventId, attempt: attemptNo };
    const to = target(row.consumer);
    if ('reason' in to) {
      await outbox.finish(row.id, 'failed', clock.nowMs(), to.reason, false);
      metrics.failed.inc();
      log.warn({ event: 'callback.failed', ...about, reason: to.reason }, 'callback.failed');
      return;
    }
    const outcome = await attempt(row, to.url, to.secret, controller.signal);
    if (outcome.ok) {
      await outbox.finish(row.id, 'delivered', clock.nowMs());
      metrics.delivered.inc();
      log.info({ event: 'callback.delivered', ...about }, 'callback.delivered');
      return;
    }
    if (!outcome.retry) {
      // Aborted by close(): the lease is given back, the row stays pending, uncounted, due again at once.
      await outbox.release([row.id], clock.nowMs());
      return;
    }
    if (attemptNo >= options.maxAttempts) {
      await outbox.finish(row.id, 'failed', clock.nowMs(), outcome.error);
      metrics.failed.inc();
      log.warn({ event: 'callback.failed', ...about, reason: outcome.error }, 'callback.failed');
      return;
    }
    const delay = retryDelayMs(attemptNo, options, random);
    await outbox.reschedule(row.id, clock.nowMs() + delay, outcome.error);
    metrics.retried.inc();
    log.info({ event: 'callback.retry', ...about, reason: outcome.error, delayMs: delay }, 'callback.retry');
  }

  async function schedule(): Promise<void> {
    if (closed || !started) return;
    // Rows in flight are leased: their time is the lease's end, so they do not wake the dispatcher early.
    const next = await outbox.nextDueAt().catch((error: unknown) => {
      log.error({ event: 'callback.error', err: error }, 'callback.error');
      return undefined; // look again after idleMs
    });
    if (closed) return;
    if (timer) clearTimeout(timer);
    const wait = next === undefined ? idleMs : Math.min(Math.max(next - clock.nowMs(), 0), idleMs);
    timer = setTimeout(() => kick(), wait);
    timer.unref();
  }

  async function settleIdle(): Promise<void> {
    if (inFlight.size > 0 || ticking || idleWaiters.length === 0) return;
    const next = closed ? undefined : await outbox.nextDueAt().catch(() => undefined);
    if (inFlight.size > 0 || ticking) return;
    if (next !== undefined && next <= clock.nowMs()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  async function tick(): Promise<void> {
    const free = concurrency - inFlight.size;
    if (free <= 0) return;
    const rows = await outbox.lease(clock.nowMs(), free, leaseMs);
    if (closed) {
      await outbox.release(
        rows.map((row) => row.id),
        clock.nowMs(),
      );
      return;
    }
    for (const row of rows) {
      if (inFlight.has(row.id)) continue; // a lease outlived by its attempt: still ours
      const controller = new AbortController();
      const done = deliver(row, controller)
        .catch((error: unknown) => {
          log.error({ event: 'callback.error', err: error, consumer: row.consumer }, 'callback.error');
        })
        .finally(() => {
          inFlight.delete(row.id);
          kick();
        });
      inFlight.set(row.id, { controller, done });
    }
  }

  function kick(): void {
    if (closed || !started) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = (async () => {
      for (;;) {
        again = false;
        await tick();
        if (!again) await schedule();
        if (!again || closed) return;
      }
    })()
      .catch(async (error: unknown) => {
        // The outbox could not be read or written: look again later rather than stall until the next notify.
        log.error({ event: 'callback.error', err: error }, 'callback.error');
        await schedule();
      })
      .finally(() => {
        ticking = undefined;
        void settleIdle();
      });
  }

  return {
    async notify(event: CallbackEvent): Promise<void> {
      const checked = checkCallbackEvent(event);
      const about = { consumer: checked.consumer, type: checked.type, id: checked.id };
      const to = target(checked.consumer);
      if ('reason' in to) {
        log.info({ event: 'callback.skipped', ...about, reason: to.reason }, 'callback.skipped');
        return;
      }
      const result = await outbox.enqueue(
        {
          consumer: checked.consumer,
          eventType: checked.type,
          eventId: checked.id,
          body: callbackBody(checked),
        },
        clock.nowMs(),
      );
      if (result === 'dropped') {
        metrics.dropped.inc();
        log.warn({ event: 'callback.dropped', ...about }, 'callback.dropped');
        return;
      }
      kick();
    },
    start() {
      if (started || closed) return;
      started = true;
      kick();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      for (const { controller } of inFlight.values()) controller.abort();
      await ticking;
      await Promise.all([...inFlight.values()].map((f) => f.done));
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        void settleIdle();
      });
    },
  };
}
