/**
 * The log's verification history on SQLite (core/transfer-log/verification-runs.ts): one row per full
 * verification of the stored log, kept beside the log in the gateway's database.
 */
import type { Statement } from 'better-sqlite3';
import type { VerificationRun, VerificationRunStore } from '../../core/transfer-log/index.js';
import type { SqliteDatabase } from './sqlite-database.js';

const MIGRATIONS = [
  {
    id: 'log-verification-001-table',
    sql: `
      CREATE TABLE log_verifications (
        id INTEGER PRIMARY KEY,
        trigger TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER NOT NULL,
        ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
        size INTEGER NOT NULL,
        checkpoint_size INTEGER,
        reason TEXT,
        first_bad_index INTEGER
      ) STRICT;
    `,
  },
] as const;

interface RunRow {
  trigger: string;
  started_at: number;
  finished_at: number;
  ok: number;
  size: number;
  checkpoint_size: number | null;
  reason: string | null;
  first_bad_index: number | null;
}

export class SqliteVerificationRunStore implements VerificationRunStore {
  readonly #database: SqliteDatabase;
  readonly #insert: Statement<[RunRow]>;
  readonly #latest: Statement<[], RunRow>;

  constructor(database: SqliteDatabase) {
    this.#database = database;
    database.migrate(MIGRATIONS);
    this.#insert = database.db.prepare(
      `INSERT INTO log_verifications (trigger, started_at, finished_at, ok, size, checkpoint_size, reason, first_bad_index)
       VALUES (@trigger, @started_at, @finished_at, @ok, @size, @checkpoint_size, @reason, @first_bad_index)`,
    );
    this.#latest = database.db.prepare('SELECT * FROM log_verifications ORDER BY id DESC LIMIT 1');
  }

  add(run: VerificationRun): Promise<void> {
    return this.#database.write(() => {
      this.#insert.run({
        trigger: run.trigger,
        started_at: run.startedAt,
        finished_at: run.finishedAt,
        ok: run.ok ? 1 : 0,
        size: run.size,
        checkpoint_size: run.checkpointSize ?? null,
        reason: run.reason ?? null,
        first_bad_index: run.firstBadIndex ?? null,
      });
    });
  }

  async latest(): Promise<VerificationRun | undefined> {
    const row = this.#latest.get();
    if (row === undefined) return undefined;
    return {
      trigger: row.trigger as VerificationRun['trigger'],
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      ok: row.ok === 1,
      size: row.size,
      ...(row.checkpoint_size === null ? {} : { checkpointSize: row.checkpoint_size }),
      ...(row.reason === null ? {} : { reason: row.reason as VerificationRun['reason'] }),
      ...(row.first_bad_index === null ? {} : { firstBadIndex: row.first_bad_index }),
    };
  }
}
