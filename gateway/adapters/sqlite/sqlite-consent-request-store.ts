/**
 * The ConsentRequestStore port on SQLite (issue 5, explicit request). A request row is written once; only its
 * state moves, once, from 'requested' (compare-and-set), and a trigger refuses any other update, so the notice a
 * citizen was shown cannot be changed afterwards.
 */
import type { Statement } from 'better-sqlite3';
import type { ConsentRequestRecord, ConsentRequestState, ConsentRequestStore } from '../../core/ports.js';
import type { SqliteDatabase } from './sqlite-database.js';

const MIGRATIONS = [
  {
    id: 'consent-request-001-table',
    sql: `
      CREATE TABLE consent_requests (
        id TEXT PRIMARY KEY,
        consumer TEXT NOT NULL,
        subject_ref TEXT NOT NULL,
        body TEXT NOT NULL CHECK (json_valid(body)),
        created_at INTEGER NOT NULL,
        respond_by INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'declined', 'expired')),
        decided_at INTEGER,
        consent_id TEXT
      ) STRICT;
      CREATE INDEX consent_requests_by_subject ON consent_requests (subject_ref, created_at);
      CREATE TRIGGER consent_requests_decide_once BEFORE UPDATE ON consent_requests
        WHEN OLD.state <> 'requested' OR NEW.body IS NOT OLD.body OR NEW.subject_ref IS NOT OLD.subject_ref
          OR NEW.consumer IS NOT OLD.consumer OR NEW.respond_by IS NOT OLD.respond_by
        BEGIN SELECT RAISE(ABORT, 'a consent request is decided once and never rewritten'); END;
    `,
  },
] as const;

interface Row {
  id: string;
  consumer: string;
  subject_ref: string;
  body: string;
  created_at: number;
  respond_by: number;
  state: ConsentRequestState;
  decided_at: number | null;
  consent_id: string | null;
}

/** The members kept as JSON in `body`. */
type Body = Pick<
  ConsentRequestRecord,
  | 'evidenceTypes'
  | 'purpose'
  | 'procedure'
  | 'notice'
  | 'noticeHash'
  | 'returnUrl'
  | 'singleUse'
  | 'consentValidDays'
>;

export class SqliteConsentRequestStore implements ConsentRequestStore {
  readonly #database: SqliteDatabase;
  readonly #insert: Statement;
  readonly #byId: Statement<[string], Row>;
  readonly #bySubject: Statement<[string], Row>;
  readonly #decide: Statement;

  constructor(database: SqliteDatabase) {
    this.#database = database;
    database.migrate(MIGRATIONS);
    const db = database.db;
    this.#insert = db.prepare(
      `INSERT INTO consent_requests (id, consumer, subject_ref, body, created_at, respond_by, state)
       VALUES (@id, @consumer, @subject_ref, @body, @created_at, @respond_by, 'requested')`,
    );
    this.#byId = db.prepare('SELECT * FROM consent_requests WHERE id = ?');
    this.#bySubject = db.prepare(
      'SELECT * FROM consent_requests WHERE subject_ref = ? ORDER BY created_at DESC, id DESC LIMIT 500',
    );
    this.#decide = db.prepare(
      `UPDATE consent_requests SET state = @state, decided_at = @at, consent_id = @consent_id
       WHERE id = @id AND state = 'requested'`,
    );
  }

  create(record: ConsentRequestRecord): Promise<void> {
    const body: Body = {
      evidenceTypes: record.evidenceTypes,
      purpose: record.purpose,
      procedure: record.procedure,
      notice: record.notice,
      noticeHash: record.noticeHash,
      returnUrl: record.returnUrl,
      singleUse: record.singleUse,
      consentValidDays: record.consentValidDays,
    };
    return this.#database.write(() => {
      this.#insert.run({
        id: record.id,
        consumer: record.consumer,
        subject_ref: record.subjectRef,
        body: JSON.stringify(body),
        created_at: record.createdAt,
        respond_by: record.respondBy,
      });
    });
  }

  async get(id: string): Promise<ConsentRequestRecord | undefined> {
    const row = this.#byId.get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  async listBySubject(subjectRef: string): Promise<ConsentRequestRecord[]> {
    return this.#bySubject.all(subjectRef).map(toRecord);
  }

  decide(
    id: string,
    state: Exclude<ConsentRequestState, 'requested'>,
    at: number,
    consentId?: string,
  ): Promise<boolean> {
    return this.#database.write(
      () => this.#decide.run({ id, state, at, consent_id: consentId ?? null }).changes === 1,
    );
  }
}

function toRecord(row: Row): ConsentRequestRecord {
  const body = JSON.parse(row.body) as Body;
  return {
    id: row.id,
    consumer: row.consumer,
    subjectRef: row.subject_ref,
    ...body,
    createdAt: row.created_at,
    respondBy: row.respond_by,
    state: row.state,
    ...(row.decided_at === null ? {} : { decidedAt: row.decided_at }),
    ...(row.consent_id === null ? {} : { consentId: row.consent_id }),
  };
}
