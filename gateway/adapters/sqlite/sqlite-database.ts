/**
 * One SQLite file in WAL mode with synchronous=FULL (SECURITY.md "The transfer log"), shared by the gateway's
 * stores. Writes are group-committed: every `write()` queued during one turn of the event loop runs inside a
 * single `BEGIN IMMEDIATE … COMMIT`, each in its own savepoint, and its promise resolves only after the COMMIT
 * returned, i.e. once the write is durable. One durable commit then carries many exchanges, which is what lets
 * a single SQLite file take thousands of log appends per second.
 *
 * A failure of the transaction itself (disk full, file read-only, file deleted behind our back) rejects every
 * write of the batch with ERR_LOG_UNAVAILABLE: nothing was written, and the callers fail closed.
 *
 * Another connection holding the writer lock (a backup tool, `sqlite3` at a prompt) never holds the event loop:
 * better-sqlite3 is synchronous, so SQLite's own busy wait would freeze every request (issue 11 saw `/healthz`
 * wait 7.9 s). SQLite waits at most `BUSY_SLICE_MS` per attempt; a batch that finds the lock taken is tried
 * again on a timer, and after `busyWaitMs` in all its writes get ERR_LOG_UNAVAILABLE (503) while everything
 * that does not write keeps answering.
 */
import { accessSync, constants, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { GatewayError } from '../../core/errors.js';

type Job = {
  run: (db: Database.Database) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** When it was queued (ms, monotonic): how long it has waited for the writer lock. */
  at: number;
};

export interface SqliteDatabaseOptions {
  /** Open read-only (tools that only inspect a store). */
  readonly readonly?: boolean;
  /** How long a write may wait for another connection's writer lock before it fails; default 2 000 ms. */
  readonly busyWaitMs?: number;
}

/** The longest SQLite itself waits for a lock, blocking the event loop. */
const BUSY_SLICE_MS = 10;
/** The pause between two attempts to take the writer lock. */
const BUSY_RETRY_MS = 25;

/** better-sqlite3's result code of an SQLite error (`SQLITE_BUSY`, `SQLITE_FULL`, …); undefined for others. */
function sqliteCodeOf(error: unknown): string | undefined {
  if (error instanceof GatewayError || !(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

const isBusy = (error: unknown): boolean => sqliteCodeOf(error)?.startsWith('SQLITE_BUSY') ?? false;

/** SQLite errors that say the store cannot take writes, as opposed to a write's own fault (a constraint). */
const isStoreFault = (error: unknown): boolean =>
  /^SQLITE_(FULL|IOERR|READONLY|CORRUPT|CANTOPEN|NOTADB|BUSY)/.test(sqliteCodeOf(error) ?? '');

export class SqliteDatabase {
  readonly db: Database.Database;
  readonly path: string;
  #queue: Job[] = [];
  #scheduled = false;
  #inode: number | undefined;
  #closed = false;
  readonly #busyWaitMs: number;
  /** Whether the last batch committed without a store fault, and when it ran (epoch ms): readiness. */
  #lastWrite: { readonly ok: boolean; readonly atMs: number } = { ok: true, atMs: 0 };

  constructor(path: string, options: SqliteDatabaseOptions = {}) {
    this.path = path;
    this.#busyWaitMs = options.busyWaitMs ?? 2_000;
    try {
      this.db = new Database(path, {
        readonly: options.readonly ?? false,
        fileMustExist: options.readonly ?? false,
      });
      if (!options.readonly) this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma(`busy_timeout = ${BUSY_SLICE_MS}`);
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
      this.#queue.push({ run, resolve: resolve as (v: unknown) => void, reject, at: performance.now() });
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
    if (this.#closed) {
      const closed = new GatewayError('ERR_LOG_UNAVAILABLE', 'the store is closed');
      for (const job of batch) job.reject(closed);
      return;
    }
    const results: { ok: boolean; value: unknown }[] = [];
    // A write that failed because of the store (disk full, I/O), not because of its own content.
    let fault: unknown;
    try {
      this.#checkFileStillOurs();
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch (error) {
        if (!isBusy(error) || performance.now() - batch[0]!.at >= this.#busyWaitMs) throw error;
        // Another connection writes: try again soon, with whatever was queued meanwhile, oldest first.
        this.#queue = batch.concat(this.#queue);
        this.#scheduled = true;
        setTimeout(() => this.#flush(), BUSY_RETRY_MS);
        return;
      }
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
            if (isStoreFault(error)) fault ??= error;
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
          : new GatewayError(
              'ERR_LOG_UNAVAILABLE',
              isBusy(cause) ? 'the store is locked by another connection' : 'the store cannot be written',
              { cause },
            );
      this.#lastWrite = { ok: false, atMs: Date.now() };
      for (const job of batch) job.reject(failure);
      return;
    }
    this.#lastWrite = { ok: fault === undefined, atMs: Date.now() };
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

  /**
   * True if the store can be written now (readiness probe): the file is still ours and writable, and the last
   * batch committed. A batch that failed (disk full, I/O error, locked past `busyWaitMs`) makes the store
   * unready until a later one commits; `ready()` makes such a later one when no traffic comes.
   */
  writable(): boolean {
    try {
      this.#checkFileStillOurs();
      // SQLite quietly opens a write-protected file read-only; ask the file system, not the handle.
      if (this.#inode !== undefined) accessSync(this.path, constants.W_OK);
      return !this.db.readonly && !this.#closed && this.#lastWrite.ok;
    } catch {
      return false;
    }
  }

  /**
   * Readiness: `writable()`, and after a failed batch a probe write that needs a new page (a row of 8 KiB,
   * deleted in the same transaction), at most one a second: a full disk, or a store that came back, shows
   * without waiting for traffic.
   */
  async ready(): Promise<boolean> {
    if (!this.#lastWrite.ok && Date.now() - this.#lastWrite.atMs >= 1_000) {
      await this.write((db) => {
        db.exec('CREATE TABLE IF NOT EXISTS store_probe (id INTEGER PRIMARY KEY, pad BLOB NOT NULL)');
        db.prepare('INSERT INTO store_probe (pad) VALUES (zeroblob(8192))').run();
        db.exec('DELETE FROM store_probe');
      }).catch(() => undefined);
    }
    return this.writable();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.db.close();
  }
}
