/**
 * One SQLite file in WAL mode with synchronous=FULL (SECURITY.md "The transfer log"), shared by the gateway's
 * stores. Writes are group-committed: every `write()` queued during one turn of the event loop runs inside a
 * single `BEGIN IMMEDIATE … COMMIT`, each in its own savepoint, and its promise resolves only after the COMMIT
 * returned, i.e. once the write is durable. One durable commit then carries many exchanges, which is what lets
 * a single SQLite file take thousands of log appends per second.
 *
 * A failure of the transaction itself (disk full, file read-only, file deleted behind our back) rejects every
 * write of the batch with ERR_LOG_UNAVAILABLE: nothing was written, and the callers fail closed.
 */
import { accessSync, constants, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { GatewayError } from '../../core/errors.js';

type Job = {
  run: (db: Database.Database) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
};

export interface SqliteDatabaseOptions {
  /** Open read-only (tools that only inspect a store). */
  readonly readonly?: boolean;
}

export class SqliteDatabase {
  readonly db: Database.Database;
  readonly path: string;
  #queue: Job[] = [];
  #scheduled = false;
  #inode: number | undefined;
  #closed = false;

  constructor(path: string, options: SqliteDatabaseOptions = {}) {
    this.path = path;
    try {
      this.db = new Database(path, {
        readonly: options.readonly ?? false,
        fileMustExist: options.readonly ?? false,
      });
      if (!options.readonly) this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('foreign_keys = ON');
    } catch (cause) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the store cannot be opened', { cause });
    }
    this.#inode = path === ':memory:' ? undefined : statSync(path).ino;
  }

  /** Runs DDL once per migration id, in order (idempotent across restarts). */
  migrate(migrations: readonly { id: string; sql: string }[]): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
    const has = this.db.prepare('SELECT 1 FROM schema_migrations WHERE id = ?');
    const mark = this.db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
    for (const m of migrations) {
      if (has.get(m.id)) continue;
      this.db
        .transaction(() => {
          this.db.exec(m.sql);
          mark.run(m.id, Date.now());
        })
        .immediate();
    }
  }

  /**
   * Queues a write; resolves with its result once the batch containing it is committed. If `run` throws, only
   * that write is rolled back (to its savepoint) and its promise rejects with the error.
   */
  write<T>(run: (db: Database.Database) => T): Promise<T> {
    if (this.#closed) return Promise.reject(new GatewayError('ERR_LOG_UNAVAILABLE', 'the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      this.#checkFileStillOurs();
      this.db.exec('BEGIN IMMEDIATE');
      try {
        for (const job of batch) {
          this.db.exec('SAVEPOINT w');
          try {
            results.push({ ok: true, value: job.run(this.db) });
            this.db.exec('RELEASE w');
          } catch (error) {
            this.db.exec('ROLLBACK TO w');
            this.db.exec('RELEASE w');
            results.push({ ok: false, value: error });
          }
        }
        this.db.exec('COMMIT');
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    } catch (cause) {
      const failure =
        cause instanceof GatewayError
          ? cause
          : new GatewayError('ERR_LOG_UNAVAILABLE', 'the store cannot be written', { cause });
      for (const job of batch) job.reject(failure);
      return;
    }
    batch.forEach((job, i) => {
      const r = results[i]!;
      if (r.ok) job.resolve(r.value);
      else job.reject(r.value);
    });
  }

  /** A database file deleted or replaced behind the gateway's back would silently swallow writes: refuse them. */
  #checkFileStillOurs(): void {
    if (this.#inode === undefined) return;
    let ino: number;
    try {
      ino = statSync(this.path).ino;
    } catch (cause) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the store file is gone', { cause });
    }
    if (ino !== this.#inode) throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the store file was replaced');
  }

  /** True if the store can be written now (readiness probe). */
  writable(): boolean {
    try {
      this.#checkFileStillOurs();
      // SQLite quietly opens a write-protected file read-only; ask the file system, not the handle.
      if (this.#inode !== undefined) accessSync(this.path, constants.W_OK);
      return !this.db.readonly && !this.#closed;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.db.close();
  }
}
