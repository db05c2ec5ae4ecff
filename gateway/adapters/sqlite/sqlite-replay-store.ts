/**
 * The replay store on SQLite (DESIGN.md step 4; SECURITY.md "Deduplicate on (issuer, message id)"). The primary
 * key makes the check-and-record one atomic `INSERT OR IGNORE`, durable through the database's group commit, so
 * it holds across concurrent requests and restarts.
 */
import type Database from 'better-sqlite3';
import { GatewayError } from '../../core/errors.js';
import type { Clock, ReplayStore } from '../../core/ports.js';
import { systemClock } from '../system-clock.js';
import type { SqliteDatabase } from './sqlite-database.js';

export const REPLAY_MIGRATIONS: readonly { id: string; sql: string }[] = [
  {
    id: 'replay/1',
    sql: `
      CREATE TABLE replay (
        issuer TEXT NOT NULL,
        message_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (issuer, message_id)
      ) WITHOUT ROWID;
      CREATE INDEX replay_expires ON replay (expires_at);
    `,
  },
];

/** How often expired entries are pruned, and how many per pass (keeps each pass short). */
const PRUNE_EVERY_MS = 60_000;
const PRUNE_LIMIT = 5000;

export class SqliteReplayStore implements ReplayStore {
  readonly #database: SqliteDatabase;
  readonly #clock: Clock;
  readonly #insert: Database.Statement<[string, string, number]>;
  readonly #prune: Database.Statement<[number, number]>;
  #lastPruneMs = Number.NEGATIVE_INFINITY;

  /** Opens the store, creating its table if needed. Throws ERR_LOG_UNAVAILABLE if the database cannot be used. */
  constructor(database: SqliteDatabase, clock: Clock = systemClock) {
    this.#database = database;
    this.#clock = clock;
    try {
      if (!database.db.readonly) database.migrate(REPLAY_MIGRATIONS);
      this.#insert = database.db.prepare(
        'INSERT OR IGNORE INTO replay (issuer, message_id, expires_at) VALUES (?, ?, ?)',
      );
      this.#prune = database.db.prepare(
        `DELETE FROM replay WHERE (issuer, message_id) IN
           (SELECT issuer, message_id FROM replay WHERE expires_at < ? LIMIT ?)`,
      );
    } catch (cause) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the replay store cannot be opened', { cause });
    }
  }

  async remember(issuer: string, messageId: string, expiresAtMs: number): Promise<boolean> {
    if (typeof issuer !== 'string' || typeof messageId !== 'string' || !Number.isSafeInteger(expiresAtMs)) {
      throw new GatewayError('ERR_INTERNAL', 'replay entry malformed');
    }
    this.#pruneNowAndThen();
    try {
      return await this.#database.write(() => this.#insert.run(issuer, messageId, expiresAtMs).changes === 1);
    } catch (cause) {
      throw cause instanceof GatewayError
        ? cause
        : new GatewayError('ERR_LOG_UNAVAILABLE', 'the replay store cannot be written', { cause });
    }
  }

  /**
   * Deletes entries whose message could no longer pass the freshness check anyway. Best effort and in its own
   * write: a failed prune must not fail the exchange that happened to trigger it.
   */
  #pruneNowAndThen(): void {
    const now = this.#clock.nowMs();
    if (now - this.#lastPruneMs < PRUNE_EVERY_MS || this.#database.db.readonly) return;
    this.#lastPruneMs = now;
    this.#database.write(() => this.#prune.run(now, PRUNE_LIMIT).changes).catch(() => undefined);
  }
}
