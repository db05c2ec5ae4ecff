/**
 * The callback outbox on PostgreSQL (docs/callbacks.md "Delivery"), shared by every gateway on the database.
 * Rows are leased with `FOR UPDATE SKIP LOCKED`: two instances leasing at once get disjoint rows, a leased row
 * is due again only when its lease ends (a crashed instance's callbacks are taken over then), and none is
 * attempted twice while a lease holds. Bounds are counted in SQL inside the insert's transaction, under an
 * advisory lock per outbox, so they hold across instances (the SQLite outbox counts in memory, one process).
 */
import { GatewayError } from '../../core/errors.js';
import type { CallbackOutbox, OutboxRow, OutboxState } from '../../core/ports.js';
import type { PostgresDatabase, PostgresMigration } from './postgres-database.js';
import { int, intOrNull } from './postgres-values.js';

export const POSTGRES_CALLBACK_OUTBOX_MIGRATIONS: PostgresMigration[] = [
  {
    id: 'callback-outbox/1',
    sql: `
      CREATE TABLE callback_outbox (
        id BIGSERIAL PRIMARY KEY,
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
      CREATE INDEX callback_outbox_consumer ON callback_outbox (consumer) WHERE state = 'pending';
      CREATE INDEX callback_outbox_finished ON callback_outbox (id) WHERE state <> 'pending';
    `,
  },
];

export interface PostgresOutboxBounds {
  readonly maxPending: number;
  readonly maxPendingPerConsumer: number;
  readonly maxFinished: number;
}

/** Finished rows beyond maxFinished are pruned every this many finished rows (per instance). */
const PRUNE_EVERY = 64;
/** The advisory lock under which enqueues count and insert (a fixed number: 'oog-outbox'). */
const ENQUEUE_LOCK = '122138582541176';

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

const clip = (text: string): string => text.slice(0, 200);

/** The schema comes from POSTGRES_CALLBACK_OUTBOX_MIGRATIONS, applied by whoever opens the database. */
export class PostgresCallbackOutbox implements CallbackOutbox {
  readonly #database: PostgresDatabase;
  readonly #bounds: PostgresOutboxBounds;
  #finishedSincePrune = 0;

  constructor(database: PostgresDatabase, bounds: PostgresOutboxBounds) {
    this.#database = database;
    this.#bounds = bounds;
  }

  async enqueue(
    item: { consumer: string; eventType: string; eventId: string; body: string },
    nowMs: number,
  ): Promise<'queued' | 'dropped'> {
    const result = await this.#database.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [ENQUEUE_LOCK]);
      const counts = await client.query<{ total: string; mine: string }>(
        `SELECT count(*) AS total, count(*) FILTER (WHERE consumer = $1) AS mine
         FROM callback_outbox WHERE state = 'pending'`,
        [item.consumer],
      );
      const { total, mine } = counts.rows[0]!;
      const full =
        int(total) >= this.#bounds.maxPending
          ? 'queue-full'
          : int(mine) >= this.#bounds.maxPendingPerConsumer
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
          full === undefined ? item.body : '',
          full === undefined ? 'pending' : 'dropped',
          nowMs,
          full === undefined ? null : nowMs,
          full ?? null,
        ],
      );
      return full === undefined ? 'queued' : 'dropped';
    });
    if (result === 'dropped') await this.#pruneNowAndThen();
    return result;
  }

  async lease(nowMs: number, limit: number, leaseMs: number): Promise<OutboxRow[]> {
    if (limit <= 0) return [];
    const result = await this.#database.query<RawRow & { was: string }>(
      `WITH due AS (
         SELECT id, next_attempt_at AS was FROM callback_outbox
         WHERE state = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id LIMIT $2
         FOR UPDATE SKIP LOCKED)
       UPDATE callback_outbox AS c SET next_attempt_at = $3 FROM due WHERE c.id = due.id
       RETURNING c.*, due.was`,
      [nowMs, limit, nowMs + leaseMs],
    );
    // Earliest next attempt first, then enqueue order, as they were due.
    return result.rows
      .sort((a, b) => int(a.was) - int(b.was) || int(a.id) - int(b.id))
      .map((raw) => toRow(raw));
  }

  async finish(
    id: number,
    state: 'delivered' | 'failed',
    nowMs: number,
    error?: string,
    attempted = true,
  ): Promise<void> {
    await this.#database.query(
      `UPDATE callback_outbox SET state = $1, finished_at = $2, last_error = $3, attempts = attempts + $4
       WHERE id = $5 AND state = 'pending'`,
      [state, nowMs, error === undefined ? null : clip(error), attempted ? 1 : 0, id],
    );
    await this.#pruneNowAndThen();
  }

  async reschedule(id: number, nextAttemptAtMs: number, error: string): Promise<void> {
    await this.#database.query(
      `UPDATE callback_outbox SET next_attempt_at = $1, last_error = $2, attempts = attempts + 1
       WHERE id = $3 AND state = 'pending'`,
      [nextAttemptAtMs, clip(error), id],
    );
  }

  async release(ids: readonly number[], nowMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.#database.query(
      `UPDATE callback_outbox SET next_attempt_at = $1 WHERE id = ANY($2::bigint[]) AND state = 'pending'`,
      [nowMs, ids],
    );
  }

  async nextDueAt(): Promise<number | undefined> {
    const result = await this.#database.query<{ t: string }>(
      `SELECT next_attempt_at AS t FROM callback_outbox WHERE state = 'pending'
       ORDER BY next_attempt_at, id LIMIT 1`,
    );
    const t = result.rows[0]?.t;
    return t === undefined ? undefined : int(t);
  }

  async pendingCount(): Promise<number> {
    const result = await this.#database.query<{ n: string }>(
      "SELECT count(*) AS n FROM callback_outbox WHERE state = 'pending'",
    );
    return int(result.rows[0]!.n);
  }

  /** Rows by state (ops and tests). */
  async counts(): Promise<Record<OutboxState, number>> {
    const out: Record<OutboxState, number> = { pending: 0, delivered: 0, failed: 0, dropped: 0 };
    const result = await this.#database.query<{ state: OutboxState; n: string }>(
      'SELECT state, count(*) AS n FROM callback_outbox GROUP BY state',
    );
    for (const { state, n } of result.rows) out[state] = int(n);
    return out;
  }

  async row(id: number): Promise<OutboxRow | undefined> {
    const result = await this.#database.query<RawRow>('SELECT * FROM callback_outbox WHERE id = $1', [id]);
    return result.rows[0] === undefined ? undefined : toRow(result.rows[0]);
  }

  /** Every row in id order (tests and ops; the table is bounded). */
  async rows(): Promise<OutboxRow[]> {
    return (await this.#database.query<RawRow>('SELECT * FROM callback_outbox ORDER BY id')).rows.map(toRow);
  }

  /** Deletes the oldest finished rows beyond maxFinished, every PRUNE_EVERY finished rows of this instance. */
  async #pruneNowAndThen(): Promise<void> {
    this.#finishedSincePrune += 1;
    if (this.#finishedSincePrune < PRUNE_EVERY) return;
    this.#finishedSincePrune = 0;
    await this.#database
      .query(
        `DELETE FROM callback_outbox WHERE id IN (
           SELECT id FROM callback_outbox WHERE state <> 'pending' ORDER BY id DESC OFFSET $1)`,
        [this.#bounds.maxFinished],
      )
      .catch((cause: unknown) => {
        // Pruning is housekeeping: the next finished row tries again.
        if (!(cause instanceof GatewayError)) throw cause;
      });
  }
}
