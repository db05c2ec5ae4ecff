/**
 * The ConsentStore port on SQLite (DESIGN.md stage 7): a consent header row plus append-only events. Triggers
 * make the events table refuse UPDATE and DELETE and the header refuse UPDATE, so history cannot be rewritten
 * through this database, not even by a bug elsewhere in the gateway. Writes go through SqliteDatabase.write(),
 * i.e. they are durable when their promise resolves.
 */
import type { Statement } from 'better-sqlite3';
import type { ConsentEvent, ConsentEventType, ConsentRecord, ConsentStore } from '../../core/ports.js';
import type { SqliteDatabase } from './sqlite-database.js';

const MIGRATIONS = [
  {
    id: 'consent-001-tables',
    sql: `
      CREATE TABLE consents (
        id TEXT PRIMARY KEY,
        subject_ref TEXT NOT NULL,
        consumer TEXT NOT NULL,
        purpose TEXT NOT NULL,
        evidence_types TEXT NOT NULL CHECK (json_valid(evidence_types) AND json_type(evidence_types) = 'array'),
        valid_until INTEGER,
        single_use INTEGER NOT NULL CHECK (single_use IN (0, 1)),
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX consents_by_subject ON consents (subject_ref, created_at);
      CREATE TABLE consent_events (
        consent_id TEXT NOT NULL REFERENCES consents (id),
        seq INTEGER NOT NULL CHECK (seq >= 0),
        type TEXT NOT NULL CHECK (type IN ('given', 'used', 'withdrawn', 'expired', 'declined')),
        at INTEGER NOT NULL,
        "by" TEXT NOT NULL,
        exchange_id TEXT,
        PRIMARY KEY (consent_id, seq)
      ) STRICT;
      CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
        BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;
      CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
        BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;
      CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
        BEGIN SELECT RAISE(ABORT, 'consents are immutable; append an event instead'); END;
    `,
  },
  {
    // Consents given through a consent request keep the request and the hash of the exact notice shown.
    id: 'consent-002-request-origin',
    sql: `
      ALTER TABLE consents ADD COLUMN request_id TEXT;
      ALTER TABLE consents ADD COLUMN notice_hash TEXT;
    `,
  },
] as const;

interface ConsentRow {
  id: string;
  subject_ref: string;
  consumer: string;
  purpose: string;
  evidence_types: string;
  valid_until: number | null;
  single_use: number;
  created_at: number;
  request_id: string | null;
  notice_hash: string | null;
}

interface EventRow {
  consent_id: string;
  seq: number;
  type: string;
  at: number;
  by: string;
  exchange_id: string | null;
}

export class SqliteConsentStore implements ConsentStore {
  readonly #database: SqliteDatabase;
  readonly #insertConsent: Statement;
  readonly #insertEvent: Statement;
  readonly #countEvents: Statement<[string], { n: number }>;
  readonly #consentById: Statement<[string], ConsentRow>;
  readonly #eventsOf: Statement<[string], EventRow>;
  readonly #consentsOfSubject: Statement<[string], ConsentRow>;
  readonly #eventsOfSubject: Statement<[string], EventRow>;

  constructor(database: SqliteDatabase) {
    this.#database = database;
    database.migrate(MIGRATIONS);
    const db = database.db;
    this.#insertConsent = db.prepare(
      `INSERT INTO consents (id, subject_ref, consumer, purpose, evidence_types, valid_until, single_use, created_at,
         request_id, notice_hash)
       VALUES (@id, @subject_ref, @consumer, @purpose, @evidence_types, @valid_until, @single_use, @created_at,
         @request_id, @notice_hash)`,
    );
    this.#insertEvent = db.prepare(
      `INSERT INTO consent_events (consent_id, seq, type, at, "by", exchange_id)
       VALUES (@consent_id, @seq, @type, @at, @by, @exchange_id)`,
    );
    this.#countEvents = db.prepare('SELECT COUNT(*) AS n FROM consent_events WHERE consent_id = ?');
    this.#consentById = db.prepare('SELECT * FROM consents WHERE id = ?');
    this.#eventsOf = db.prepare('SELECT * FROM consent_events WHERE consent_id = ? ORDER BY seq');
    this.#consentsOfSubject = db.prepare(
      'SELECT * FROM consents WHERE subject_ref = ? ORDER BY created_at DESC, id DESC',
    );
    this.#eventsOfSubject = db.prepare(
      `SELECT e.* FROM consent_events e JOIN consents c ON c.id = e.consent_id
       WHERE c.subject_ref = ? ORDER BY e.consent_id, e.seq`,
    );
  }

  create(record: ConsentRecord): Promise<void> {
    return this.#database.write(() => {
      this.#insertConsent.run({
        id: record.id,
        subject_ref: record.subjectRef,
        consumer: record.consumer,
        purpose: record.purpose,
        evidence_types: JSON.stringify(record.evidenceTypes),
        valid_until: record.validUntil,
        single_use: record.singleUse ? 1 : 0,
        created_at: record.createdAt,
        request_id: record.requestId ?? null,
        notice_hash: record.noticeHash ?? null,
      });
      record.events.forEach((event, seq) => this.#insertEvent.run(eventParams(record.id, seq, event)));
    });
  }

  async get(id: string): Promise<ConsentRecord | undefined> {
    const row = this.#consentById.get(id);
    if (row === undefined) return undefined;
    return toRecord(row, this.#eventsOf.all(id));
  }

  async listBySubject(subjectRef: string): Promise<ConsentRecord[]> {
    // One read transaction, so headers and events come from the same snapshot.
    return this.#database.db.transaction(() => {
      const rows = this.#consentsOfSubject.all(subjectRef);
      const events = new Map<string, EventRow[]>();
      for (const e of this.#eventsOfSubject.all(subjectRef)) {
        const list = events.get(e.consent_id);
        if (list) list.push(e);
        else events.set(e.consent_id, [e]);
      }
      return rows.map((row) => toRecord(row, events.get(row.id) ?? []));
    })();
  }

  appendEvent(id: string, event: ConsentEvent, expectedLastCount: number): Promise<boolean> {
    return this.#database.write(() => {
      // Inside the write transaction (BEGIN IMMEDIATE): nobody can append between this count and the insert.
      const count = this.#countEvents.get(id)?.n ?? 0;
      if (count === 0 || count !== expectedLastCount) return false;
      this.#insertEvent.run(eventParams(id, count, event));
      return true;
    });
  }
}

function eventParams(consentId: string, seq: number, event: ConsentEvent): Record<string, unknown> {
  return {
    consent_id: consentId,
    seq,
    type: event.type,
    at: event.at,
    by: event.by,
    exchange_id: event.exchangeId ?? null,
  };
}

function toRecord(row: ConsentRow, events: readonly EventRow[]): ConsentRecord {
  return {
    id: row.id,
    subjectRef: row.subject_ref,
    consumer: row.consumer,
    evidenceTypes: JSON.parse(row.evidence_types) as string[],
    purpose: row.purpose,
    validUntil: row.valid_until,
    singleUse: row.single_use === 1,
    createdAt: row.created_at,
    ...(row.request_id === null ? {} : { requestId: row.request_id }),
    ...(row.notice_hash === null ? {} : { noticeHash: row.notice_hash }),
    events: events.map((e) => ({
      type: e.type as ConsentEventType,
      at: e.at,
      by: e.by,
      ...(e.exchange_id === null ? {} : { exchangeId: e.exchange_id }),
    })),
  };
}
