/**
 * The ConsentRequestStore port on PostgreSQL (issue 5, explicit request), shared by every gateway on the
 * database. A request row is written once; only its state moves, once, from 'requested' (one UPDATE guarded by
 * the state, so two instances deciding at once give one true), and a trigger refuses any other update, so the
 * notice a citizen was shown cannot be changed afterwards.
 */
import type { ConsentRequestRecord, ConsentRequestState, ConsentRequestStore } from '../../core/ports.js';
import type { PostgresDatabase, PostgresMigration } from './postgres-database.js';
import { int, intOrNull } from './postgres-values.js';

export const POSTGRES_CONSENT_REQUEST_MIGRATIONS: PostgresMigration[] = [
  {
    id: 'consent-request/1',
    sql: `
      CREATE TABLE consent_requests (
        id TEXT PRIMARY KEY,
        consumer TEXT NOT NULL,
        subject_ref TEXT NOT NULL,
        body TEXT NOT NULL CHECK (body::jsonb IS NOT NULL),
        created_at BIGINT NOT NULL,
        respond_by BIGINT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'declined', 'expired')),
        decided_at BIGINT,
        consent_id TEXT
      );
      CREATE INDEX consent_requests_by_subject ON consent_requests (subject_ref, created_at);
      CREATE FUNCTION consent_requests_decide_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF OLD.state <> 'requested' OR NEW.body IS DISTINCT FROM OLD.body
            OR NEW.subject_ref IS DISTINCT FROM OLD.subject_ref OR NEW.consumer IS DISTINCT FROM OLD.consumer
            OR NEW.respond_by IS DISTINCT FROM OLD.respond_by OR NEW.id IS DISTINCT FROM OLD.id
            OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
            RAISE EXCEPTION 'a consent request is decided once and never rewritten';
          END IF;
          RETURN NEW;
        END $$;
      CREATE TRIGGER consent_requests_decide_once BEFORE UPDATE ON consent_requests
        FOR EACH ROW EXECUTE FUNCTION consent_requests_decide_once();
    `,
  },
];

interface Row {
  id: string;
  consumer: string;
  subject_ref: string;
  body: string;
  created_at: string;
  respond_by: string;
  state: ConsentRequestState;
  decided_at: string | null;
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

/** The schema comes from POSTGRES_CONSENT_REQUEST_MIGRATIONS, applied by whoever opens the database. */
export class PostgresConsentRequestStore implements ConsentRequestStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async create(record: ConsentRequestRecord): Promise<void> {
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
    await this.#database.query(
      `INSERT INTO consent_requests (id, consumer, subject_ref, body, created_at, respond_by, state)
       VALUES ($1, $2, $3, $4, $5, $6, 'requested')`,
      [
        record.id,
        record.consumer,
        record.subjectRef,
        JSON.stringify(body),
        record.createdAt,
        record.respondBy,
      ],
    );
  }

  async get(id: string): Promise<ConsentRequestRecord | undefined> {
    const { rows } = await this.#database.query<Row>('SELECT * FROM consent_requests WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async listBySubject(subjectRef: string): Promise<ConsentRequestRecord[]> {
    const { rows } = await this.#database.query<Row>(
      'SELECT * FROM consent_requests WHERE subject_ref = $1 ORDER BY created_at DESC, id DESC LIMIT 500',
      [subjectRef],
    );
    return rows.map(toRecord);
  }

  async decide(
    id: string,
    state: Exclude<ConsentRequestState, 'requested'>,
    at: number,
    consentId?: string,
  ): Promise<boolean> {
    const result = await this.#database.query(
      `UPDATE consent_requests SET state = $2, decided_at = $3, consent_id = $4
       WHERE id = $1 AND state = 'requested'`,
      [id, state, at, consentId ?? null],
    );
    return result.rowCount === 1;
  }
}

function toRecord(row: Row): ConsentRequestRecord {
  const body = JSON.parse(row.body) as Body;
  const decidedAt = intOrNull(row.decided_at);
  return {
    id: row.id,
    consumer: row.consumer,
    subjectRef: row.subject_ref,
    ...body,
    createdAt: int(row.created_at),
    respondBy: int(row.respond_by),
    state: row.state,
    ...(decidedAt === null ? {} : { decidedAt }),
    ...(row.consent_id === null ? {} : { consentId: row.consent_id }),
  };
}
