/**
 * The replay store on PostgreSQL (DESIGN.md step 4; SECURITY.md "Deduplicate on (issuer, message id)"), shared
 * by every gateway on the database. The primary key makes the check-and-record one atomic
 * `INSERT … ON CONFLICT DO NOTHING`: of any number of simultaneous calls for one (issuer, message id), from one
 * instance or several, exactly one inserts the row and resolves true. The commit is durable before the promise
 * resolves (synchronous_commit is on, postgres-database.ts).
 */
import { GatewayError } from '../../core/errors.js';
import type { Clock, ReplayStore } from '../../core/ports.js';
import { systemClock } from '../system-clock.js';
import type { PostgresDatabase, PostgresMigration } from './postgres-database.js';

export const POSTGRES_REPLAY_MIGRATIONS: PostgresMigration[] = [
  {
    id: 'replay/1',
    sql: `
      CREATE TABLE replay (
        issuer TEXT NOT NULL,
        message_id TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (issuer, message_id)
      );
      CREATE INDEX replay_expires ON replay (expires_at);
    `,
  },
];

/** How often expired entries are pruned (per instance), and how many per pass (keeps each pass short). */
const PRUNE_EVERY_MS = 60_000;
const PRUNE_LIMIT = 5000;

/** The schema comes from POSTGRES_REPLAY_MIGRATIONS, applied by whoever opens the database. */
export class PostgresReplayStore implements ReplayStore {
  readonly #database: PostgresDatabase;
  readonly #clock: Clock;
  #lastPruneMs = Number.NEGATIVE_INFINITY;

  constructor(database: PostgresDatabase, clock: Clock = systemClock) {
    this.#database = database;
    this.#clock = clock;
  }

  async remember(issuer: string, messageId: string, expiresAtMs: number): Promise<boolean> {
    if (typeof issuer !== 'string' || typeof messageId !== 'string' || !Number.isSafeInteger(expiresAtMs)) {
      throw new GatewayError('ERR_INTERNAL', 'replay entry malformed');
    }
    this.#pruneNowAndThen();
    try {
      const result = await this.#database.query(
        `INSERT INTO replay (issuer, message_id, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (issuer, message_id) DO NOTHING`,
        [issuer, messageId, expiresAtMs],
      );
      return result.rowCount === 1;
    } catch (cause) {
      throw cause instanceof GatewayError
        ? cause
        : new GatewayError('ERR_LOG_UNAVAILABLE', 'the replay store cannot be written', { cause });
    }
  }

  /**
   * Deletes entries whose message could no longer pass the freshness check anyway. Best effort and in its own
   * statement: a failed prune must not fail the exchange that happened to trigger it. Two instances pruning at
   * once delete disjoint or the same rows; either is harmless.
   */
  #pruneNowAndThen(): void {
    const now = this.#clock.nowMs();
    if (now - this.#lastPruneMs < PRUNE_EVERY_MS) return;
    this.#lastPruneMs = now;
    this.prune(now).catch(() => undefined);
  }

  /** Deletes up to PRUNE_LIMIT entries that expired before `nowMs`; resolves with how many. */
  async prune(nowMs: number): Promise<number> {
    const result = await this.#database.query(
      'DELETE FROM replay WHERE ctid IN (SELECT ctid FROM replay WHERE expires_at < $1 LIMIT $2)',
      [nowMs, PRUNE_LIMIT],
    );
    return result.rowCount ?? 0;
  }
}
