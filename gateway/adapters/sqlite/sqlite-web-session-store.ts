/**
 * The WebSessionStore port on SQLite: the portal's server-side sessions in the gateway's own database, so a
 * restart does not log everybody out and no session lives only in one process's memory. The table holds a
 * SHA-256 of each session id (the cookie value), so reading the database does not yield usable cookies.
 */
import type { Statement } from 'better-sqlite3';
import type { WebSessionRecord, WebSessionStore } from '../../core/ports.js';
import type { SqliteDatabase } from './sqlite-database.js';

const MIGRATIONS = [
  {
    id: 'web-session-001-table',
    sql: `
      CREATE TABLE web_sessions (
        id_hash TEXT PRIMARY KEY,
        data TEXT NOT NULL CHECK (json_valid(data)),
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
    `,
  },
] as const;

interface SessionRow {
  id_hash: string;
  data: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export class SqliteWebSessionStore implements WebSessionStore {
  readonly #database: SqliteDatabase;
  readonly #insert: Statement;
  readonly #byId: Statement<[string], SessionRow>;
  readonly #touch: Statement<[number, string, number]>;
  readonly #delete: Statement<[string]>;
  readonly #purge: Statement<[number, number]>;

  constructor(database: SqliteDatabase) {
    this.#database = database;
    database.migrate(MIGRATIONS);
    const db = database.db;
    this.#insert = db.prepare(
      `INSERT INTO web_sessions (id_hash, data, created_at, last_seen_at, expires_at)
       VALUES (@id_hash, @data, @created_at, @last_seen_at, @expires_at)`,
    );
    this.#byId = db.prepare('SELECT * FROM web_sessions WHERE id_hash = ?');
    this.#touch = db.prepare(
      'UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?',
    );
    this.#delete = db.prepare('DELETE FROM web_sessions WHERE id_hash = ?');
    this.#purge = db.prepare('DELETE FROM web_sessions WHERE expires_at <= ? OR last_seen_at < ?');
  }

  create(record: WebSessionRecord): Promise<void> {
    return this.#database.write(() => {
      this.#insert.run({
        id_hash: record.idHash,
        data: record.data,
        created_at: record.createdAt,
        last_seen_at: record.lastSeenAt,
        expires_at: record.expiresAt,
      });
    });
  }

  async get(idHash: string): Promise<WebSessionRecord | undefined> {
    const row = this.#byId.get(idHash);
    if (row === undefined) return undefined;
    return {
      idHash: row.id_hash,
      data: row.data,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
    };
  }

  async touch(idHash: string, lastSeenAt: number): Promise<void> {
    await this.#database.write(() => this.#touch.run(lastSeenAt, idHash, lastSeenAt));
  }

  delete(idHash: string): Promise<boolean> {
    return this.#database.write(() => this.#delete.run(idHash).changes > 0);
  }

  purge(nowMs: number, idleBefore: number): Promise<number> {
    return this.#database.write(() => this.#purge.run(nowMs, idleBefore).changes);
  }
}
