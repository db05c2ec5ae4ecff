/**
 * The log's verification history on PostgreSQL (core/transfer-log/verification-runs.ts): one row per full
 * verification of the stored log, kept beside the log in the shared database. Each gateway records its own
 * runs; `latest` is the most recently recorded one of any instance.
 */
import type { VerificationRun, VerificationRunStore } from '../../core/transfer-log/index.js';
import type { PostgresDatabase, PostgresMigration } from './postgres-database.js';
import { int, intOrNull } from './postgres-values.js';

export const POSTGRES_VERIFICATION_RUN_MIGRATIONS: PostgresMigration[] = [
  {
    id: 'log-verification/1',
    sql: `
      CREATE TABLE log_verifications (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        "trigger" TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        finished_at BIGINT NOT NULL,
        ok BOOLEAN NOT NULL,
        size BIGINT NOT NULL,
        checkpoint_size BIGINT,
        reason TEXT,
        first_bad_index BIGINT
      );
    `,
  },
];

interface RunRow {
  trigger: string;
  started_at: string;
  finished_at: string;
  ok: boolean;
  size: string;
  checkpoint_size: string | null;
  reason: string | null;
  first_bad_index: string | null;
}

/** The schema comes from POSTGRES_VERIFICATION_RUN_MIGRATIONS, applied by whoever opens the database. */
export class PostgresVerificationRunStore implements VerificationRunStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async add(run: VerificationRun): Promise<void> {
    await this.#database.query(
      `INSERT INTO log_verifications ("trigger", started_at, finished_at, ok, size, checkpoint_size, reason,
         first_bad_index)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        run.trigger,
        run.startedAt,
        run.finishedAt,
        run.ok,
        run.size,
        run.checkpointSize ?? null,
        run.reason ?? null,
        run.firstBadIndex ?? null,
      ],
    );
  }

  async latest(): Promise<VerificationRun | undefined> {
    const { rows } = await this.#database.query<RunRow>(
      'SELECT * FROM log_verifications ORDER BY id DESC LIMIT 1',
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const checkpointSize = intOrNull(row.checkpoint_size);
    const firstBadIndex = intOrNull(row.first_bad_index);
    return {
      trigger: row.trigger as VerificationRun['trigger'],
      startedAt: int(row.started_at),
      finishedAt: int(row.finished_at),
      ok: row.ok,
      size: int(row.size),
      ...(checkpointSize === null ? {} : { checkpointSize }),
      ...(row.reason === null ? {} : { reason: row.reason as VerificationRun['reason'] }),
      ...(firstBadIndex === null ? {} : { firstBadIndex }),
    };
  }
}
