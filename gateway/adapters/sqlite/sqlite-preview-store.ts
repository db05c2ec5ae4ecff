/**
 * The PreviewStore port on SQLite (issue 5, preview before use): held evidence, sealed by the core before it gets
 * here, with the few plain columns that lists and the sweeper query. Destroying evidence sets `sealed` to NULL and
 * zero-fills nothing: SQLite's secure_delete is switched on for this database so freed pages are overwritten.
 * Writes go through SqliteDatabase.write() and are durable when their promise resolves.
 */
import type { Statement } from 'better-sqlite3';
import type { HeldEvidence, HeldEvidenceState, PreviewStore, TransferRecord } from '../../core/ports.js';
import type { SqliteDatabase } from './sqlite-database.js';

const MIGRATIONS = [
  {
    id: 'preview-001-held-evidence',
    sql: `
      CREATE TABLE held_evidence (
        exchange_id TEXT PRIMARY KEY,
        subject_ref TEXT NOT NULL,
        consumer TEXT NOT NULL,
        consent_id TEXT,
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
        held_at INTEGER NOT NULL,
        decide_by INTEGER NOT NULL,
        decided_at INTEGER,
        collect_until INTEGER,
        record TEXT NOT NULL CHECK (json_valid(record)),
        sealed BLOB
      ) STRICT;
      CREATE INDEX held_evidence_by_subject ON held_evidence (subject_ref, held_at);
      CREATE INDEX held_evidence_pending_by_consent ON held_evidence (consent_id) WHERE state = 'pending';
      CREATE INDEX held_evidence_due ON held_evidence (decide_by) WHERE state = 'pending';
      CREATE INDEX held_evidence_collect ON held_evidence (collect_until)
        WHERE state = 'approved' AND sealed IS NOT NULL;
    `,
  },
] as const;

interface Row {
  exchange_id: string;
  subject_ref: string;
  consumer: string;
  consent_id: string | null;
  state: HeldEvidenceState;
  held_at: number;
  decide_by: number;
  decided_at: number | null;
  collect_until: number | null;
  record: string;
  sealed: Buffer | null;
}

export class SqlitePreviewStore implements PreviewStore {
  readonly #database: SqliteDatabase;
  readonly #insert: Statement;
  readonly #byId: Statement<[string], Row>;
  readonly #bySubject: Statement<[string], Row>;
  readonly #pendingByConsent: Statement<[string], Row>;
  readonly #due: Statement<[{ now: number; limit: number }], Row>;
  readonly #decide: Statement;
  readonly #destroy: Statement<[string]>;

  constructor(database: SqliteDatabase) {
    this.#database = database;
    database.migrate(MIGRATIONS);
    const db = database.db;
    db.pragma('secure_delete = ON');
    this.#insert = db.prepare(
      `INSERT INTO held_evidence (exchange_id, subject_ref, consumer, consent_id, state, held_at, decide_by, record,
         sealed)
       VALUES (@exchange_id, @subject_ref, @consumer, @consent_id, 'pending', @held_at, @decide_by, @record, @sealed)`,
    );
    this.#byId = db.prepare('SELECT * FROM held_evidence WHERE exchange_id = ?');
    this.#bySubject = db.prepare(
      'SELECT * FROM held_evidence WHERE subject_ref = ? ORDER BY held_at DESC, exchange_id DESC',
    );
    this.#pendingByConsent = db.prepare(
      "SELECT * FROM held_evidence WHERE consent_id = ? AND state = 'pending' ORDER BY held_at",
    );
    this.#due = db.prepare(
      `SELECT * FROM (
         SELECT * FROM held_evidence WHERE state = 'pending' AND decide_by <= @now
         UNION ALL
         SELECT * FROM held_evidence WHERE state = 'approved' AND sealed IS NOT NULL AND collect_until <= @now
       ) LIMIT @limit`,
    );
    this.#decide = db.prepare(
      `UPDATE held_evidence SET state = @state, decided_at = @at, collect_until = @collect_until,
         sealed = CASE WHEN @state = 'approved' THEN sealed ELSE NULL END
       WHERE exchange_id = @exchange_id AND state = 'pending'`,
    );
    this.#destroy = db.prepare('UPDATE held_evidence SET sealed = NULL WHERE exchange_id = ?');
  }

  hold(entry: HeldEvidence): Promise<void> {
    return this.#database.write(() => {
      this.#insert.run({
        exchange_id: entry.exchangeId,
        subject_ref: entry.subjectRef,
        consumer: entry.consumer,
        consent_id: entry.consentId ?? null,
        held_at: entry.heldAt,
        decide_by: entry.decideBy,
        record: JSON.stringify(entry.record),
        sealed: entry.sealed === null ? null : Buffer.from(entry.sealed),
      });
    });
  }

  async get(exchangeId: string): Promise<HeldEvidence | undefined> {
    const row = this.#byId.get(exchangeId);
    return row === undefined ? undefined : toEntry(row);
  }

  async listBySubject(subjectRef: string): Promise<HeldEvidence[]> {
    return this.#bySubject.all(subjectRef).map(toEntry);
  }

  async listPendingByConsent(consentId: string): Promise<HeldEvidence[]> {
    return this.#pendingByConsent.all(consentId).map(toEntry);
  }

  async listDue(nowMs: number, limit: number): Promise<HeldEvidence[]> {
    return this.#due.all({ now: nowMs, limit }).map(toEntry);
  }

  decide(
    exchangeId: string,
    state: Exclude<HeldEvidenceState, 'pending'>,
    at: number,
    collectUntil?: number,
  ): Promise<boolean> {
    return this.#database.write(
      () =>
        this.#decide.run({ exchange_id: exchangeId, state, at, collect_until: collectUntil ?? null })
          .changes === 1,
    );
  }

  destroy(exchangeId: string): Promise<void> {
    return this.#database.write(() => {
      this.#destroy.run(exchangeId);
    });
  }
}

function toEntry(row: Row): HeldEvidence {
  const record = JSON.parse(row.record) as TransferRecord;
  return {
    exchangeId: row.exchange_id,
    subjectRef: row.subject_ref,
    consumer: row.consumer,
    provider: record.provider ?? '',
    evidenceType: record.evidenceType ?? '',
    purpose: record.purpose ?? '',
    legalBasis: record.legalBasis ?? '',
    procedure: record.procedure ?? { reference: '' },
    ...(row.consent_id === null ? {} : { consentId: row.consent_id }),
    format: record.format ?? 'json',
    heldAt: row.held_at,
    decideBy: row.decide_by,
    state: row.state,
    ...(row.decided_at === null ? {} : { decidedAt: row.decided_at }),
    ...(row.collect_until === null ? {} : { collectUntil: row.collect_until }),
    record,
    sealed: row.sealed === null ? null : new Uint8Array(row.sealed),
  };
}
