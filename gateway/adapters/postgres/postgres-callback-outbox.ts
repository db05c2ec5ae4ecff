/**
 * The callback outbox on PostgreSQL (docs/callbacks.md "Delivery"), shared by every gateway on the database:
 * one row per callback, holding the consumer and the signed body, never the URL (the dispatcher reads the URL
 * registered for the consumer at send time).
 *
 * Leases across instances: `lease` takes the due rows with `FOR UPDATE SKIP LOCKED` and moves each one's next
 * attempt to the end of the lease in the same statement, so two gateways leasing at once get disjoint rows, a
 * leased row is not due for anybody until its lease ends, and the rows of a gateway that died are due again then.
 *
 * Bounded across instances: at most `maxPending` pending rows in total and `maxPendingPerConsumer` per consumer;
 * a callback over the bound is recorded as 'dropped'. The SQLite outbox keeps the pending counts in memory,
 * which cannot see another process's rows; here every enqueue counts in SQL (partial index on pending rows,
 * each count stopping at its bound) inside a transaction that first takes a transaction-scoped advisory lock,
 * so two instances enqueueing at once count one after the other and the bounds hold. Only enqueue takes the
 * lock: finishing a row only lowers the counts, so an enqueue that overlaps one errs towards dropping.
 *
 * Finished rows (delivered, failed, dropped) are kept up to about `maxFinished`, the oldest pruned first, every
 * PRUNE_EVERY finishes of each instance (so at most maxFinished + PRUNE_EVERY per instance are kept).
 */
import type pg from 'pg';
import { GatewayError } from '../../core/errors.js';
import type { CallbackOutbox, OutboxRow, OutboxState } from '../../core/ports.js';
import type { PostgresDatabase, PostgresMigration } from './postgres-database.js';
import { int, intOrNull } from './postgres-values.js';

export const POSTGRES_CALLBACK_OUTBOX_MIGRATIONS: PostgresMigration[] = [
  {
    id: 'callback-outbox/1',
    sql: `
      CREATE TABLE callback_outbox (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        consumer TEXT NOT NULL,
        event_type TEXT NOT NULL,
        event_id TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'dropped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        finished_at BIGINT,
        last_error TEXT
      );
      CREATE INDEX callback_outbox_due ON callback_outbox (next_attempt_at, id) WHERE state = 'pending';
      CREATE INDEX callback_outbox_pending_consumer ON callback_outbox (consumer) WHERE state = 'pending';
      CREATE INDEX callback_outbox_finished ON callback_outbox (id) WHERE state <> 'pending';
    `,
  },
];

export interface OutboxBounds {
  readonly maxPending: number;
  readonly maxPendingPerConsumer: number;
  /** Finished rows kept for operations; older ones are pruned. */
  readonly maxFinished: number;
}

/** The same bounds under the name the wiring on main first used. */
export type PostgresOutboxBounds = OutboxBounds;

/**
 * Finished rows are pruned once per this many finishes of one instance, not on each: the prune walks
 * `maxFinished` rows, which would otherwise cost more than the delivery.
 */
export const PRUNE_EVERY = 64;

/** The advisory lock (a bigint) under which enqueues count and insert: 'oog-cbq' as an arbitrary fixed number. */
const ENQUEUE_LOCK = 0x6f6f_6763_6271n;

interface RawRow {
  id: string;
  consumer: string;
  event_type: string;
  event_id: string;
  body: string;
  state: OutboxState;
  attempts: number;
  next_attempt_at: string;
  created_at: string;
  finished_at: string | null;
  last_error: string | null;
}

const toRow = (r: RawRow): OutboxRow => ({
  id: int(r.id),
  consumer: r.consumer,
  eventType: r.event_type,
  eventId: r.event_id,
  body: r.body,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: int(r.next_attempt_at),
  createdAt: int(r.created_at),
  finishedAt: intOrNull(r.finished_at),
  lastError: r.last_error,
});

/** Error texts stored per row are ours (a status or an error code), but keep them short anyway. */
const clip = (text: string): string => text.slice(0, 200);

const unavailable = (cause: unknown): GatewayError =>
  cause instanceof GatewayError && cause.code === 'ERR_LOG_UNAVAILABLE'
    ? cause
    : new GatewayError('ERR_LOG_UNAVAILABLE', 'the callback outbox cannot be written', { cause });

/** The schema comes from POSTGRES_CALLBACK_OUTBOX_MIGRATIONS, applied by whoever opens the database. */
export class PostgresCallbackOutbox implements CallbackOutbox {
  readonly #database: PostgresDatabase;
  readonly #bounds: OutboxBounds;
  #finishedSincePrune = 0;

  constructor(database: PostgresDatabase, bounds: OutboxBounds) {
    this.#database = database;
    this.#bounds = bounds;
  }

  async #write<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await this.#database.transaction(fn);
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  /**
   * Durably stores a callback as pending, due at `nowMs`, or — when the consumer's or the total bound is
   * reached, counting every instance's rows — as 'dropped'.
   */
  async enqueue(
    item: { consumer: string; eventType: string; eventId: string; body: string },
    nowMs: number,
  ): Promise<'queued' | 'dropped'> {
    const full = await this.#write(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [ENQUEUE_LOCK.toString()]);
      // Each count stops at its bound, so a full queue costs no more to check than a nearly full one.
      const { rows } = await client.query<{ total: number; mine: number }>(
        `SELECT
           (SELECT count(*)::int FROM (SELECT 1 FROM callback_outbox WHERE state = 'pending' LIMIT $1) t) AS total,
           (SELECT count(*)::int FROM (SELECT 1 FROM callback_outbox WHERE state = 'pending' AND consumer = $3
              LIMIT $2) c) AS mine`,
        [this.#bounds.maxPending, this.#bounds.maxPendingPerConsumer, item.consumer],
      );
      const counts = rows[0] ?? { total: 0, mine: 0 };
      const reason =
        counts.total >= this.#bounds.maxPending
          ? 'queue-full'
          : counts.mine >= this.#bounds.maxPendingPerConsumer
            ? 'consumer-queue-full'
            : undefined;
      await client.query(
        `INSERT INTO callback_outbox
           (consumer, event_type, event_id, body, state, next_attempt_at, created_at, finished_at, last_error)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)`,
        [
          item.consumer,
          item.eventType,
          item.eventId,
          reason === undefined ? item.body : '',
          reason === undefined ? 'pending' : 'dropped',
          nowMs,
          reason === undefined ? null : nowMs,
          reason ?? null,
        ],
      );
      if (reason !== undefined) await this.#pruneNowAndThen(client);
      return reason;
    });
    return full === undefined ? 'queued' : 'dropped';
  }

  /**
   * Leases up to `limit` pending rows due at `nowMs`, earliest first, until `nowMs + leaseMs`: rows another
   * instance is leasing at this moment are skipped, not waited for, and a row leased before is not due.
   */
  async lease(nowMs: number, limit: number, leaseMs: number): Promise<OutboxRow[]> {
    if (limit <= 0) return [];
    try {
      const { rows } = await this.#database.query<RawRow & { was_due: string }>(
        `WITH due AS (
           SELECT id, next_attempt_at AS was_due FROM callback_outbox
           WHERE state = 'pending' AND next_attempt_at <= $1
           ORDER BY next_attempt_at, id LIMIT $2
           FOR UPDATE SKIP LOCKED)
         UPDATE callback_outbox o SET next_attempt_at = $3
         FROM due WHERE o.id = due.id
         RETURNING o.*, due.was_due`,
        [nowMs, limit, nowMs + leaseMs],
      );
      return rows
        .sort((a, b) => int(a.was_due) - int(b.was_due) || int(a.id) - int(b.id))
        .map((raw) => toRow(raw));
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  /** Gives leased rows back without counting an attempt (it was cut off by a stop): due again at `nowMs`. */
  async release(ids: readonly number[], nowMs: number): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.#database.query(
        `UPDATE callback_outbox SET next_attempt_at = $2 WHERE id = ANY($1::bigint[]) AND state = 'pending'`,
        [ids, nowMs],
      );
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  /**
   * Marks a pending row delivered or failed, counting the attempt that ended it (`attempted`: false when it
   * failed without one), and prunes finished rows beyond the bound now and then.
   */
  async finish(
    id: number,
    state: 'delivered' | 'failed',
    nowMs: number,
    error?: string,
    attempted = true,
  ): Promise<void> {
    await this.#write(async (client) => {
      await client.query(
        `UPDATE callback_outbox SET state = $1, finished_at = $2, last_error = $3, attempts = attempts + $4
         WHERE id = $5 AND state = 'pending'`,
        [state, nowMs, error === undefined ? null : clip(error), attempted ? 1 : 0, id],
      );
      await this.#pruneNowAndThen(client);
    });
  }

  /** Inside a write: deletes the oldest finished rows beyond maxFinished, every PRUNE_EVERY finished rows. */
  async #pruneNowAndThen(client: pg.PoolClient): Promise<void> {
    this.#finishedSincePrune += 1;
    if (this.#finishedSincePrune < PRUNE_EVERY) return;
    this.#finishedSincePrune = 0;
    await client.query(
      `DELETE FROM callback_outbox WHERE id IN (
         SELECT id FROM callback_outbox WHERE state <> 'pending' ORDER BY id DESC OFFSET $1)`,
      [this.#bounds.maxFinished],
    );
  }

  /** Counts a failed attempt of a pending row and sets its next one (ending its lease). */
  async reschedule(id: number, nextAttemptAtMs: number, error: string): Promise<void> {
    try {
      await this.#database.query(
        `UPDATE callback_outbox SET next_attempt_at = $1, last_error = $2, attempts = attempts + 1
         WHERE id = $3 AND state = 'pending'`,
        [nextAttemptAtMs, clip(error), id],
      );
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  /** The earliest time a pending row is due (a leased one: when its lease ends), or undefined if none is. */
  async nextDueAt(): Promise<number | undefined> {
    const { rows } = await this.#database.query<{ t: string }>(
      `SELECT next_attempt_at AS t FROM callback_outbox WHERE state = 'pending'
       ORDER BY next_attempt_at, id LIMIT 1`,
    );
    return rows[0] === undefined ? undefined : int(rows[0].t);
  }

  /** Pending rows in all, of every instance (the metrics gauge; counted through the partial index). */
  async pendingCount(): Promise<number> {
    const { rows } = await this.#database.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM callback_outbox WHERE state = 'pending'",
    );
    return rows[0]?.n ?? 0;
  }

  /** Rows by state (ops and tests; counts the table). */
  async counts(): Promise<Record<OutboxState, number>> {
    const out: Record<OutboxState, number> = { pending: 0, delivered: 0, failed: 0, dropped: 0 };
    const { rows } = await this.#database.query<{ state: OutboxState; n: number }>(
      'SELECT state, count(*)::int AS n FROM callback_outbox GROUP BY state',
    );
    for (const { state, n } of rows) out[state] = n;
    return out;
  }

  async row(id: number): Promise<OutboxRow | undefined> {
    const { rows } = await this.#database.query<RawRow>('SELECT * FROM callback_outbox WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  /** Every row in id order (tests and ops; the table is bounded). */
  async rows(): Promise<OutboxRow[]> {
    const { rows } = await this.#database.query<RawRow>('SELECT * FROM callback_outbox ORDER BY id');
    return rows.map(toRow);
  }
}
