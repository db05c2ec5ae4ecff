/**
 * The ConsentStore port on PostgreSQL (DESIGN.md stage 7), shared by every gateway on the database: a consent
 * header row plus append-only events. Triggers make the events table refuse UPDATE and DELETE and the header
 * refuse UPDATE, so history cannot be rewritten through this database, not even by a bug elsewhere.
 *
 * appendEvent's compare-and-set holds across instances: the count and the insert run in one transaction that
 * first locks the consent row (SELECT … FOR UPDATE), so a second appender waits and then sees the new count;
 * the primary key (consent_id, seq) refuses a duplicate sequence number even so.
 */
import type pg from 'pg';
import type { ConsentEvent, ConsentEventType, ConsentRecord, ConsentStore } from '../../core/ports.js';
import type { PostgresDatabase, PostgresMigration } from './postgres-database.js';
import { int, intOrNull } from './postgres-values.js';

export const POSTGRES_CONSENT_MIGRATIONS: PostgresMigration[] = [
  {
    id: 'consent/1',
    sql: `
      CREATE TABLE consents (
        id TEXT PRIMARY KEY,
        subject_ref TEXT NOT NULL,
        consumer TEXT NOT NULL,
        purpose TEXT NOT NULL,
        evidence_types JSONB NOT NULL CHECK (jsonb_typeof(evidence_types) = 'array'),
        valid_until BIGINT,
        single_use BOOLEAN NOT NULL,
        created_at BIGINT NOT NULL,
        request_id TEXT,
        notice_hash TEXT
      );
      CREATE INDEX consents_by_subject ON consents (subject_ref, created_at);
      CREATE TABLE consent_events (
        consent_id TEXT NOT NULL REFERENCES consents (id),
        seq INTEGER NOT NULL CHECK (seq >= 0),
        type TEXT NOT NULL CHECK (type IN ('given', 'used', 'withdrawn', 'expired', 'declined')),
        at BIGINT NOT NULL,
        "by" TEXT NOT NULL,
        exchange_id TEXT,
        PRIMARY KEY (consent_id, seq)
      );
      CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'consent_events is append-only'; END $$;
      CREATE TRIGGER consent_events_no_update BEFORE UPDATE OR DELETE ON consent_events
        FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();
      CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON consent_events
        FOR EACH STATEMENT EXECUTE FUNCTION consent_events_append_only();
      CREATE FUNCTION consents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'consents are immutable; append an event instead'; END $$;
      CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
        FOR EACH ROW EXECUTE FUNCTION consents_immutable();
    `,
  },
];

interface ConsentRow {
  id: string;
  subject_ref: string;
  consumer: string;
  purpose: string;
  evidence_types: string[];
  valid_until: string | null;
  single_use: boolean;
  created_at: string;
  request_id: string | null;
  notice_hash: string | null;
  /** The events, aggregated in the same statement (one snapshot with the header). */
  events: { type: string; at: number; by: string; exchange_id: string | null }[];
}

/** A consent with its events in seq order, read in one statement so both come from one snapshot. */
const SELECT_CONSENT = `
  SELECT c.*, COALESCE(
    (SELECT json_agg(json_build_object('type', e.type, 'at', e.at, 'by', e."by", 'exchange_id', e.exchange_id)
       ORDER BY e.seq)
     FROM consent_events e WHERE e.consent_id = c.id),
    '[]'::json) AS events
  FROM consents c`;

const INSERT_EVENT = `INSERT INTO consent_events (consent_id, seq, type, at, "by", exchange_id)
  VALUES ($1, $2, $3, $4, $5, $6)`;

/** The schema comes from POSTGRES_CONSENT_MIGRATIONS, applied by whoever opens the database. */
export class PostgresConsentStore implements ConsentStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  create(record: ConsentRecord): Promise<void> {
    return this.#database.transaction(async (client) => {
      await client.query(
        `INSERT INTO consents (id, subject_ref, consumer, purpose, evidence_types, valid_until, single_use,
           created_at, request_id, notice_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          record.id,
          record.subjectRef,
          record.consumer,
          record.purpose,
          JSON.stringify(record.evidenceTypes),
          record.validUntil,
          record.singleUse,
          record.createdAt,
          record.requestId ?? null,
          record.noticeHash ?? null,
        ],
      );
      for (const [seq, event] of record.events.entries()) await insertEvent(client, record.id, seq, event);
    });
  }

  async get(id: string): Promise<ConsentRecord | undefined> {
    const { rows } = await this.#database.query<ConsentRow>(`${SELECT_CONSENT} WHERE c.id = $1`, [id]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async listBySubject(subjectRef: string): Promise<ConsentRecord[]> {
    const { rows } = await this.#database.query<ConsentRow>(
      `${SELECT_CONSENT} WHERE c.subject_ref = $1 ORDER BY c.created_at DESC, c.id DESC`,
      [subjectRef],
    );
    return rows.map(toRecord);
  }

  async appendEvent(id: string, event: ConsentEvent, expectedLastCount: number): Promise<boolean> {
    try {
      return await this.#database.transaction(async (client) => {
        // The row lock serialises appenders of this consent across instances: the second one waits here
        // until the first committed, and then counts its event.
        const locked = await client.query('SELECT 1 FROM consents WHERE id = $1 FOR UPDATE', [id]);
        if (locked.rowCount !== 1) return false;
        const { rows } = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM consent_events WHERE consent_id = $1',
          [id],
        );
        const count = rows[0]?.n ?? 0;
        if (count === 0 || count !== expectedLastCount) return false;
        await insertEvent(client, id, count, event);
        return true;
      });
    } catch (error) {
      // The primary key caught a concurrent append the lock did not (it cannot today; kept as a backstop).
      if ((error as { code?: unknown }).code === '23505') return false;
      throw error;
    }
  }
}

async function insertEvent(client: pg.PoolClient, consentId: string, seq: number, event: ConsentEvent) {
  await client.query(INSERT_EVENT, [
    consentId,
    seq,
    event.type,
    event.at,
    event.by,
    event.exchangeId ?? null,
  ]);
}

function toRecord(row: ConsentRow): ConsentRecord {
  return {
    id: row.id,
    subjectRef: row.subject_ref,
    consumer: row.consumer,
    evidenceTypes: row.evidence_types,
    purpose: row.purpose,
    validUntil: intOrNull(row.valid_until),
    singleUse: row.single_use,
    createdAt: int(row.created_at),
    ...(row.request_id === null ? {} : { requestId: row.request_id }),
    ...(row.notice_hash === null ? {} : { noticeHash: row.notice_hash }),
    events: row.events.map((e) => ({
      type: e.type as ConsentEventType,
      at: int(e.at),
      by: e.by,
      ...(e.exchange_id === null ? {} : { exchangeId: e.exchange_id }),
    })),
  };
}
