/**
 * The PreviewStore port on PostgreSQL (issue 5, preview before use), shared by every gateway on the database:
 * held evidence, sealed by the core before it gets here, with the few plain columns that lists and the sweeper
 * query.
 *
 * `decide` is one UPDATE guarded by `state = 'pending'`: under READ COMMITTED a second instance deciding the
 * same entry waits for the first one's row lock, re-checks the guard against the committed row and changes
 * nothing, so of two simultaneous decisions exactly one resolves true.
 *
 * Destroying evidence sets `sealed` to NULL. Unlike SQLite's secure_delete, PostgreSQL does not overwrite the
 * old row version: its bytes stay in the table file until VACUUM reuses the space (the sealed evidence is
 * AES-256-GCM ciphertext under a gateway key, so what remains is unreadable without that key).
 */
import type { HeldEvidence, HeldEvidenceState, PreviewStore, TransferRecord } from '../../core/ports.js';
import type { PostgresDatabase, PostgresMigration } from './postgres-database.js';
import { int, intOrNull } from './postgres-values.js';

export const POSTGRES_PREVIEW_MIGRATIONS: PostgresMigration[] = [
  {
    id: 'preview/1',
    sql: `
      CREATE TABLE held_evidence (
        exchange_id TEXT PRIMARY KEY,
        subject_ref TEXT NOT NULL,
        consumer TEXT NOT NULL,
        consent_id TEXT,
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
        held_at BIGINT NOT NULL,
        decide_by BIGINT NOT NULL,
        decided_at BIGINT,
        collect_until BIGINT,
        record TEXT NOT NULL CHECK (record::jsonb IS NOT NULL),
        sealed BYTEA
      );
      CREATE INDEX held_evidence_by_subject ON held_evidence (subject_ref, held_at);
      CREATE INDEX held_evidence_pending_by_consent ON held_evidence (consent_id) WHERE state = 'pending';
      CREATE INDEX held_evidence_due ON held_evidence (decide_by) WHERE state = 'pending';
      CREATE INDEX held_evidence_collect ON held_evidence (collect_until)
        WHERE state = 'approved' AND sealed IS NOT NULL;
    `,
  },
];

interface Row {
  exchange_id: string;
  subject_ref: string;
  consumer: string;
  consent_id: string | null;
  state: HeldEvidenceState;
  held_at: string;
  decide_by: string;
  decided_at: string | null;
  collect_until: string | null;
  record: string;
  sealed: Buffer | null;
}

/** The schema comes from POSTGRES_PREVIEW_MIGRATIONS, applied by whoever opens the database. */
export class PostgresPreviewStore implements PreviewStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async hold(entry: HeldEvidence): Promise<void> {
    await this.#database.query(
      `INSERT INTO held_evidence (exchange_id, subject_ref, consumer, consent_id, state, held_at, decide_by,
         record, sealed)
       VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8)`,
      [
        entry.exchangeId,
        entry.subjectRef,
        entry.consumer,
        entry.consentId ?? null,
        entry.heldAt,
        entry.decideBy,
        JSON.stringify(entry.record),
        entry.sealed === null ? null : Buffer.from(entry.sealed),
      ],
    );
  }

  async get(exchangeId: string): Promise<HeldEvidence | undefined> {
    const { rows } = await this.#database.query<Row>('SELECT * FROM held_evidence WHERE exchange_id = $1', [
      exchangeId,
    ]);
    return rows[0] === undefined ? undefined : toEntry(rows[0]);
  }

  async listBySubject(subjectRef: string): Promise<HeldEvidence[]> {
    const { rows } = await this.#database.query<Row>(
      'SELECT * FROM held_evidence WHERE subject_ref = $1 ORDER BY held_at DESC, exchange_id DESC',
      [subjectRef],
    );
    return rows.map(toEntry);
  }

  async listPendingByConsent(consentId: string): Promise<HeldEvidence[]> {
    const { rows } = await this.#database.query<Row>(
      "SELECT * FROM held_evidence WHERE consent_id = $1 AND state = 'pending' ORDER BY held_at",
      [consentId],
    );
    return rows.map(toEntry);
  }

  async listDue(nowMs: number, limit: number): Promise<HeldEvidence[]> {
    const { rows } = await this.#database.query<Row>(
      `SELECT * FROM (
         SELECT * FROM held_evidence WHERE state = 'pending' AND decide_by <= $1
         UNION ALL
         SELECT * FROM held_evidence WHERE state = 'approved' AND sealed IS NOT NULL AND collect_until <= $1
       ) due LIMIT $2`,
      [nowMs, limit],
    );
    return rows.map(toEntry);
  }

  async decide(
    exchangeId: string,
    state: Exclude<HeldEvidenceState, 'pending'>,
    at: number,
    collectUntil?: number,
  ): Promise<boolean> {
    const result = await this.#database.query(
      `UPDATE held_evidence SET state = $2, decided_at = $3, collect_until = $4,
         sealed = CASE WHEN $2 = 'approved' THEN sealed ELSE NULL END
       WHERE exchange_id = $1 AND state = 'pending'`,
      [exchangeId, state, at, collectUntil ?? null],
    );
    return result.rowCount === 1;
  }

  async destroy(exchangeId: string): Promise<void> {
    await this.#database.query('UPDATE held_evidence SET sealed = NULL WHERE exchange_id = $1', [exchangeId]);
  }
}

function toEntry(row: Row): HeldEvidence {
  const record = JSON.parse(row.record) as TransferRecord;
  const decidedAt = intOrNull(row.decided_at);
  const collectUntil = intOrNull(row.collect_until);
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
    heldAt: int(row.held_at),
    decideBy: int(row.decide_by),
    state: row.state,
    ...(decidedAt === null ? {} : { decidedAt }),
    ...(collectUntil === null ? {} : { collectUntil }),
    record,
    sealed: row.sealed === null ? null : new Uint8Array(row.sealed),
  };
}
