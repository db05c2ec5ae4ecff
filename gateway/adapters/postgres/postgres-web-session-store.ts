/**
 * The WebSessionStore port on PostgreSQL: the portal's server-side sessions in the shared database, so a
 * session started on one gateway is known to all of them and a restart logs nobody out. The table holds a
 * SHA-256 of each session id (the cookie value), so reading the database does not yield usable cookies.
 * `delete` is one DELETE, so a login in progress is consumed exactly once even across instances.
 */
import type { WebSessionRecord, WebSessionStore } from '../../core/ports.js';
import type { PostgresDatabase, PostgresMigration } from './postgres-database.js';
import { int } from './postgres-values.js';

export const POSTGRES_WEB_SESSION_MIGRATIONS: PostgresMigration[] = [
  {
    id: 'web-session/1',
    sql: `
      CREATE TABLE web_sessions (
        id_hash TEXT PRIMARY KEY,
        data TEXT NOT NULL CHECK (data::jsonb IS NOT NULL),
        created_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
      CREATE INDEX web_sessions_by_last_seen ON web_sessions (last_seen_at);
    `,
  },
];

interface SessionRow {
  id_hash: string;
  data: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

/** The schema comes from POSTGRES_WEB_SESSION_MIGRATIONS, applied by whoever opens the database. */
export class PostgresWebSessionStore implements WebSessionStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async create(record: WebSessionRecord): Promise<void> {
    await this.#database.query(
      `INSERT INTO web_sessions (id_hash, data, created_at, last_seen_at, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [record.idHash, record.data, record.createdAt, record.lastSeenAt, record.expiresAt],
    );
  }

  async get(idHash: string): Promise<WebSessionRecord | undefined> {
    const { rows } = await this.#database.query<SessionRow>('SELECT * FROM web_sessions WHERE id_hash = $1', [
      idHash,
    ]);
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      idHash: row.id_hash,
      data: row.data,
      createdAt: int(row.created_at),
      lastSeenAt: int(row.last_seen_at),
      expiresAt: int(row.expires_at),
    };
  }

  /** Moves lastSeenAt forward only (two instances touching at once keep the later time). */
  async touch(idHash: string, lastSeenAt: number): Promise<void> {
    await this.#database.query(
      'UPDATE web_sessions SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $2',
      [idHash, lastSeenAt],
    );
  }

  async delete(idHash: string): Promise<boolean> {
    const result = await this.#database.query('DELETE FROM web_sessions WHERE id_hash = $1', [idHash]);
    return (result.rowCount ?? 0) > 0;
  }

  async purge(nowMs: number, idleBefore: number): Promise<number> {
    const result = await this.#database.query(
      'DELETE FROM web_sessions WHERE expires_at <= $1 OR last_seen_at < $2',
      [nowMs, idleBefore],
    );
    return result.rowCount ?? 0;
  }
}
