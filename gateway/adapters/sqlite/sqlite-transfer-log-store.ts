/**
 * The transfer log on SQLite (SECURITY.md "The transfer log"): records with their RFC 9162 leaf hashes, the
 * hashes of every complete subtree (so proofs read O(log n) rows), and the signed checkpoints. Appends go
 * through the database's group commit: the index is taken from the current maximum inside the write
 * transaction, under SQLite's single writer lock, so indexes are gap-free.
 *
 * Columns extracted from the record JSON (time, exchange, consumer, …) are VIRTUAL generated columns: they cost
 * no space, are indexed where DPO and citizen queries filter, and vanish with the record when it is purged.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { GatewayError } from '../../core/errors.js';
import type {
  AppendedLeaf,
  OpenIntents,
  TransferCount,
  TransferFilter,
  PurgedLeaves,
  RawLeaf,
  SignedCheckpoint,
  StoredLeaf,
  TransferLogStore,
  TransferRecord,
} from '../../core/ports.js';
import {
  createCompactRange,
  encodeRecord,
  HASH_SIZE,
  rangeNodes,
  recordLeafHash,
  type NodeRef,
} from '../../core/transfer-log/index.js';
import { isoTime } from '../../core/time.js';
import type { SqliteDatabase } from './sqlite-database.js';

export const TRANSFER_LOG_MIGRATIONS: readonly { id: string; sql: string }[] = [
  {
    id: 'transfer-log/1',
    sql: `
      CREATE TABLE transfer_log (
        idx INTEGER PRIMARY KEY,
        leaf_hash BLOB NOT NULL,
        record TEXT,
        time TEXT GENERATED ALWAYS AS (json_extract(record, '$.time')) VIRTUAL,
        exchange_id TEXT GENERATED ALWAYS AS (json_extract(record, '$.exchangeId')) VIRTUAL,
        consumer TEXT GENERATED ALWAYS AS (json_extract(record, '$.consumer')) VIRTUAL,
        provider TEXT GENERATED ALWAYS AS (json_extract(record, '$.provider')) VIRTUAL,
        evidence_type TEXT GENERATED ALWAYS AS (json_extract(record, '$.evidenceType')) VIRTUAL,
        purpose TEXT GENERATED ALWAYS AS (json_extract(record, '$.purpose')) VIRTUAL,
        outcome TEXT GENERATED ALWAYS AS (json_extract(record, '$.outcome')) VIRTUAL,
        code TEXT GENERATED ALWAYS AS (json_extract(record, '$.code')) VIRTUAL,
        subject_ref TEXT GENERATED ALWAYS AS (json_extract(record, '$.subjectRef')) VIRTUAL,
        retention_until TEXT GENERATED ALWAYS AS (json_extract(record, '$.retentionUntil')) VIRTUAL
      );
      CREATE INDEX transfer_log_exchange ON transfer_log (exchange_id);
      CREATE INDEX transfer_log_subject ON transfer_log (subject_ref);
      CREATE INDEX transfer_log_time ON transfer_log (time);
      CREATE INDEX transfer_log_consumer ON transfer_log (consumer, time);
      CREATE TABLE merkle_nodes (
        level INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (level, idx)
      ) WITHOUT ROWID;
      CREATE TABLE checkpoints (
        tree_size INTEGER PRIMARY KEY,
        root_hash TEXT NOT NULL,
        time INTEGER NOT NULL,
        jws TEXT NOT NULL
      );
    `,
  },
  {
    // DPO filters page newest first (ORDER BY idx DESC) within one exact-match filter: one index per column.
    id: 'transfer-log/2',
    sql: `
      CREATE INDEX transfer_log_consumer_idx ON transfer_log (consumer, idx);
      CREATE INDEX transfer_log_provider_idx ON transfer_log (provider, idx);
      CREATE INDEX transfer_log_evidence_type_idx ON transfer_log (evidence_type, idx);
      CREATE INDEX transfer_log_purpose_idx ON transfer_log (purpose, idx);
      CREATE INDEX transfer_log_outcome_idx ON transfer_log (outcome, idx);
      CREATE INDEX transfer_log_subject_idx ON transfer_log (subject_ref, idx);
    `,
  },
  {
    // The purge finds expired records through this index (purged rows have no retention_until and drop out), so
    // an hourly purge with nothing to do costs one index probe instead of a scan of the whole log.
    id: 'transfer-log/retention',
    sql: 'CREATE INDEX transfer_log_retention ON transfer_log (retention_until)',
  },
  {
    // From here on every purge logs what it erased (verify-purges.ts). Records erased before have no purge
    // record: their ranges are listed here once, and logged in one purge record when the store is next opened
    // for writing (logEarlierErasures), so an upgraded store still verifies.
    id: 'transfer-log/purge-records',
    sql: `CREATE TABLE transfer_log_unlogged_erasures AS
      SELECT min(idx) AS first, count(*) AS count FROM (
        SELECT idx, idx - row_number() OVER (ORDER BY idx) AS run FROM transfer_log WHERE record IS NULL)
      GROUP BY run`,
  },
  {
    // Exchanges whose intent is logged and whose outcome is not yet (issue 11: orphaned exchanges after a crash).
    // Kept in the append transaction, so the start finds a crash's orphans without scanning the log; filled here
    // from the log as it is, for a store written before the table existed.
    id: 'transfer-log/open-intents',
    sql: `CREATE TABLE transfer_log_open_intents (
        exchange_id TEXT PRIMARY KEY,
        idx INTEGER NOT NULL,
        time TEXT NOT NULL
      );
      CREATE INDEX transfer_log_open_intents_time ON transfer_log_open_intents (time);
      INSERT OR IGNORE INTO transfer_log_open_intents (exchange_id, idx, time)
        SELECT i.exchange_id, i.idx, i.time FROM transfer_log AS i
        WHERE i.outcome = 'intent' AND NOT EXISTS (
          SELECT 1 FROM transfer_log AS o
          WHERE o.exchange_id = i.exchange_id AND o.idx > i.idx
            AND o.outcome NOT IN ('intent', 'retention-extended', 'purged'))`,
  },
];

const FILTER_COLUMNS = [
  ['consumer', 'consumer'],
  ['provider', 'provider'],
  ['evidenceType', 'evidence_type'],
  ['purpose', 'purpose'],
  ['subjectRef', 'subject_ref'],
] as const;

/** The time span countTransfers reads per query before it lets other work run. */
const COUNT_WINDOW_MS = 3 * 86_400_000;

/** How far a record's time may lag its position in the log (it is stamped just before its append). */
const TIME_MARGIN_MS = 60_000;

/**
 * A record whose exchange's retention has ended (DESIGN.md "Retention"): its own `retentionUntil` is before
 * `:now`, and no record of the same exchange still holding content (a `retention-extended` one, say) is retained
 * longer or without an end. `t` is the row looked at; the exchange lookup uses transfer_log_exchange.
 */
const EXPIRED = `t.record IS NOT NULL AND t.retention_until < :now AND NOT EXISTS (
  SELECT 1 FROM transfer_log u WHERE u.exchange_id = t.exchange_id AND u.record IS NOT NULL
    AND (u.retention_until IS NULL OR u.retention_until >= :now))`;

/** Leaf indexes per purge transaction: the writer lock is held for tens of milliseconds, never seconds. */
const PURGE_WINDOW = 8192;

/** A retention end as a time to compare; one that is not a date counts as the latest. */
function retentionEnd(until: string): number {
  const ms = Date.parse(until);
  return Number.isNaN(ms) ? Infinity : ms;
}

/** Rows read per page while streaming the log. */
const PAGE = 2048;
/** Leaf indexes per window of the verification path (a few MiB of records). */
const RAW_PAGE = 8192;
/** Consecutive node indexes from which one range query beats point reads. */
const MIN_RUN = 8;

/** count, min idx, max idx, hashes not 32 bytes, leaf hashes, record lengths, records (see packedWindow). */
type PackedWindow = [
  number,
  number | null,
  number | null,
  number | null,
  Buffer | null,
  string | null,
  Buffer | null,
];

interface LeafRow {
  idx: number;
  leaf_hash: Buffer;
  record: string | null;
}

interface CheckpointRow {
  tree_size: number;
  root_hash: string;
  time: number;
  jws: string;
}

function toStoredLeaf(row: LeafRow): StoredLeaf {
  return { index: row.idx, leafHash: row.leaf_hash.toString('base64url'), record: row.record };
}

function toCheckpoint(row: CheckpointRow): SignedCheckpoint {
  return { treeSize: row.tree_size, rootHash: row.root_hash, time: row.time, jws: row.jws };
}

/** A record's leaf hash and the exact text of the hashed bytes, to store (re-encoding that text gives the bytes). */
interface EncodedLeaf {
  readonly hash: Buffer;
  readonly text: string;
  /** What the record does to the open intents: opens its exchange's, closes it, or neither. */
  readonly intent?: { readonly opens: boolean; readonly exchangeId: string; readonly time: string };
}

/** Records that say nothing about an exchange's outcome: they neither open nor close its intent. */
const NOT_AN_OUTCOME: ReadonlySet<TransferRecord['outcome']> = new Set(['retention-extended', 'purged']);

function encodeLeaf(record: TransferRecord): EncodedLeaf {
  const bytes = encodeRecord(record);
  const leaf = { hash: Buffer.from(recordLeafHash(bytes)), text: Buffer.from(bytes).toString('utf8') };
  if (NOT_AN_OUTCOME.has(record.outcome)) return leaf;
  const opens = record.outcome === 'intent';
  return { ...leaf, intent: { opens, exchangeId: record.exchangeId, time: record.time } };
}

/** A purge record (ports.ts PurgedLeaves): its own exchange id, no subject and no retention end of its own. */
function purgeRecord(time: string, purged: PurgedLeaves, reason?: string): TransferRecord {
  return {
    v: 1,
    time,
    exchangeId: randomUUID(),
    outcome: 'purged',
    authenticated: false,
    purged,
    ...(reason === undefined ? {} : { reason }),
  };
}

function unavailable(cause: unknown, detail = 'the transfer log cannot be written'): GatewayError {
  return cause instanceof GatewayError ? cause : new GatewayError('ERR_LOG_UNAVAILABLE', detail, { cause });
}

/** TransferLogStore on a SqliteDatabase; also the indexed reads the DPO and citizen views need. */
export class SqliteTransferLogStore implements TransferLogStore, OpenIntents {
  readonly #database: SqliteDatabase;
  readonly #stmt: {
    size: Database.Statement<[], { n: number }>;
    node: Database.Statement<[number, number], { hash: Buffer }>;
    insertLeaf: Database.Statement<[number, Buffer, string]>;
    insertNode: Database.Statement<[number, number, Buffer]>;
    openIntent: Database.Statement<[string, number, string]>;
    closeIntent: Database.Statement<[string]>;
    openIntents: Database.Statement<[string, number], LeafRow>;
    leaf: Database.Statement<[number], LeafRow>;
    page: Database.Statement<[number, number], LeafRow>;
    rawWindow: Database.Statement<[number, number], [number, Buffer, Buffer | null]>;
    packedWindow: Database.Statement<[number, number], PackedWindow>;
    packedNodes: Database.Statement<[number, number, number], [number, number, Buffer | null]>;
    latestCheckpoint: Database.Statement<[], CheckpointRow>;
    insertCheckpoint: Database.Statement<[number, string, number, string]>;
    byExchange: Database.Statement<[string], LeafRow>;
    bySubject: Database.Statement<[string, number, number], LeafRow>;
    indexAtTime: Database.Statement<[string], { idx: number }>;
    earliestFrom: Database.Statement<[string], { t: string | null }>;
    lowestBetween: Database.Statement<[string, string], { idx: number | null }>;
    expiredRows: Database.Statement<[number, number, { now: string }], { idx: number; until: unknown }>;
    erase: Database.Statement<[number, number]>;
    countExpired: Database.Statement<[number, number, { now: string }], { n: number }>;
    expiredBounds: Database.Statement<[{ now: string }], { lo: number | null; hi: number | null }>;
  };

  /** Opens the store, creating its tables if needed (not on a read-only database). Throws ERR_LOG_UNAVAILABLE. */
  constructor(database: SqliteDatabase) {
    this.#database = database;
    try {
      if (!database.db.readonly) database.migrate(TRANSFER_LOG_MIGRATIONS);
      const db = database.db;
      this.#stmt = {
        size: db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM transfer_log'),
        node: db.prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?'),
        insertLeaf: db.prepare('INSERT INTO transfer_log (idx, leaf_hash, record) VALUES (?, ?, ?)'),
        insertNode: db.prepare('INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)'),
        openIntent: db.prepare(
          'INSERT OR IGNORE INTO transfer_log_open_intents (exchange_id, idx, time) VALUES (?, ?, ?)',
        ),
        closeIntent: db.prepare('DELETE FROM transfer_log_open_intents WHERE exchange_id = ?'),
        openIntents: db.prepare(
          `SELECT t.idx, t.leaf_hash, t.record FROM transfer_log_open_intents AS o
           JOIN transfer_log AS t ON t.idx = o.idx WHERE o.time < ? AND t.record IS NOT NULL ORDER BY o.time, o.idx LIMIT ?`,
        ),
        leaf: db.prepare('SELECT idx, leaf_hash, record FROM transfer_log WHERE idx = ?'),
        page: db.prepare(
          'SELECT idx, leaf_hash, record FROM transfer_log WHERE idx >= ? ORDER BY idx LIMIT ?',
        ),
        // The verification path. Record bytes as stored (a BLOB cast does not decode the UTF-8), rows as arrays.
        rawWindow: db
          .prepare<[number, number], [number, Buffer, Buffer | null]>(
            'SELECT idx, leaf_hash, CAST(record AS BLOB) FROM transfer_log WHERE idx BETWEEN ? AND ? ORDER BY idx',
          )
          .raw(true),
        // A window of leaves packed into one row (hashes and records concatenated, record lengths as text, -1
        // for a purged one): one Buffer per window instead of two per leaf, which is most of the cost of reading.
        packedWindow: db
          .prepare<[number, number], PackedWindow>(
            `SELECT count(*), min(idx), max(idx), sum(length(leaf_hash) <> 32),
               unhex(group_concat(hex(leaf_hash), '')),
               group_concat(coalesce(length(CAST(record AS BLOB)), -1), ','),
               CAST(group_concat(record, '') AS BLOB)
             FROM (SELECT idx, leaf_hash, record FROM transfer_log WHERE idx BETWEEN ? AND ? ORDER BY idx)`,
          )
          .raw(true),
        packedNodes: db
          .prepare<[number, number, number], [number, number, Buffer | null]>(
            `SELECT count(*), sum(length(hash) <> 32), unhex(group_concat(hex(hash), '' ORDER BY idx))
             FROM merkle_nodes WHERE level = ? AND idx BETWEEN ? AND ?`,
          )
          .raw(true),
        latestCheckpoint: db.prepare(
          'SELECT tree_size, root_hash, time, jws FROM checkpoints ORDER BY tree_size DESC LIMIT 1',
        ),
        insertCheckpoint: db.prepare(
          'INSERT INTO checkpoints (tree_size, root_hash, time, jws) VALUES (?, ?, ?, ?)',
        ),
        byExchange: db.prepare(
          'SELECT idx, leaf_hash, record FROM transfer_log WHERE exchange_id = ? ORDER BY idx',
        ),
        bySubject: db.prepare(
          'SELECT idx, leaf_hash, record FROM transfer_log WHERE subject_ref = ? AND idx < ? ORDER BY idx DESC LIMIT ?',
        ),
        indexAtTime: db.prepare('SELECT idx FROM transfer_log WHERE time >= ? ORDER BY time, idx LIMIT 1'),
        earliestFrom: db.prepare('SELECT min(time) AS t FROM transfer_log WHERE time >= ?'),
        lowestBetween: db.prepare('SELECT min(idx) AS idx FROM transfer_log WHERE time >= ? AND time < ?'),
        expiredRows: db.prepare(
          `SELECT t.idx AS idx, t.retention_until AS until FROM transfer_log AS t
           WHERE t.idx BETWEEN ? AND ? AND ${EXPIRED} ORDER BY t.idx`,
        ),
        erase: db.prepare(
          'UPDATE transfer_log SET record = NULL WHERE idx BETWEEN ? AND ? AND record IS NOT NULL',
        ),
        expiredBounds: db.prepare(
          'SELECT min(idx) AS lo, max(idx) AS hi FROM transfer_log WHERE retention_until < :now',
        ),
        countExpired: db.prepare(
          `SELECT COUNT(*) AS n FROM transfer_log t WHERE t.idx BETWEEN ? AND ? AND ${EXPIRED}`,
        ),
      };
      if (!db.readonly) this.#logEarlierErasures();
    } catch (cause) {
      throw unavailable(cause, 'the transfer log store cannot be opened');
    }
  }

  async append(records: readonly TransferRecord[]): Promise<AppendedLeaf[]> {
    if (this.#database.db.readonly)
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the transfer log is read-only');
    // Encode before queueing: a malformed record is refused alone (ERR_INTERNAL) without touching the batch.
    const encoded = records.map(encodeLeaf);
    try {
      return await this.#database.write(() => this.#appendInTransaction(encoded));
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  #appendInTransaction(encoded: readonly EncodedLeaf[]): AppendedLeaf[] {
    const size = this.#stmt.size.get()!.n;
    const last = this.#stmt.latestCheckpoint.get();
    if (last && size < last.tree_size) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the log is shorter than its last checkpoint');
    }
    const range = createCompactRange(size, this.#readNodes(rangeNodes(0, size)));
    const appended: AppendedLeaf[] = [];
    for (const { hash, text, intent } of encoded) {
      const index = range.size;
      this.#stmt.insertLeaf.run(index, hash, text);
      if (intent?.opens) this.#stmt.openIntent.run(intent.exchangeId, index, intent.time);
      else if (intent) this.#stmt.closeIntent.run(intent.exchangeId);
      for (const node of range.append(hash))
        this.#stmt.insertNode.run(node.level, node.index, Buffer.from(node.hash));
      appended.push({ index, leafHash: hash.toString('base64url') });
    }
    return appended;
  }

  #readNodes(refs: readonly NodeRef[]): Uint8Array[] {
    const out = new Array<Uint8Array>(refs.length);
    const missing = (): GatewayError =>
      new GatewayError('ERR_LOG_UNAVAILABLE', 'a Merkle node of the log is missing');
    // Proofs ask for a handful of nodes; verifying the stored tree asks for thousands in runs of consecutive
    // indexes per level. Runs are read with one range query each, which is several times faster than point reads.
    const order = refs.map((_, i) => i);
    let sorted = true;
    for (let i = 1; i < refs.length && sorted; i++) {
      const a = refs[i - 1]!;
      const b = refs[i]!;
      sorted = a.level < b.level || (a.level === b.level && a.index < b.index);
    }
    if (!sorted) order.sort((a, b) => refs[a]!.level - refs[b]!.level || refs[a]!.index - refs[b]!.index);
    for (let start = 0; start < order.length;) {
      const first = refs[order[start]!]!;
      let end = start + 1;
      while (
        end < order.length &&
        refs[order[end]!]!.level === first.level &&
        refs[order[end]!]!.index === first.index + (end - start)
      ) {
        end++;
      }
      if (end - start >= MIN_RUN) {
        // One packed row per run: one Buffer for thousands of nodes.
        const [count, odd, packed] = this.#stmt.packedNodes.get(
          first.level,
          first.index,
          first.index + (end - start - 1),
        )!;
        if (count !== end - start || odd !== 0 || packed === null) throw missing();
        for (let k = 0; k < count; k++) {
          out[order[start + k]!] = packed.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE);
        }
      } else {
        for (let k = start; k < end; k++) {
          const ref = refs[order[k]!]!;
          const row = this.#stmt.node.get(ref.level, ref.index);
          if (!row || row.hash.length !== HASH_SIZE) throw missing();
          out[order[k]!] = row.hash;
        }
      }
      start = end;
    }
    return out;
  }

  async size(): Promise<number> {
    return this.#read(() => this.#stmt.size.get()!.n);
  }

  async leaf(index: number): Promise<StoredLeaf | undefined> {
    if (!Number.isSafeInteger(index) || index < 0) return undefined;
    return this.#read(() => {
      const row = this.#stmt.leaf.get(index);
      return row ? toStoredLeaf(row) : undefined;
    });
  }

  async nodes(refs: readonly NodeRef[]): Promise<Uint8Array[]> {
    return this.#read(() => this.#readNodes(refs));
  }

  async saveCheckpoint(checkpoint: SignedCheckpoint): Promise<void> {
    if (this.#database.db.readonly)
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the transfer log is read-only');
    try {
      await this.#database.write(() => {
        const size = this.#stmt.size.get()!.n;
        if (checkpoint.treeSize > size) {
          throw new GatewayError(
            'ERR_LOG_UNAVAILABLE',
            'a checkpoint cannot cover leaves the log does not hold',
          );
        }
        const last = this.#stmt.latestCheckpoint.get();
        if (last) {
          // Tree size and time never decrease (SECURITY.md): refuse a checkpoint smaller or older than the last.
          if (checkpoint.treeSize < last.tree_size || checkpoint.time < last.time) {
            throw new GatewayError('ERR_LOG_UNAVAILABLE', 'a checkpoint may not go back in size or time');
          }
          if (checkpoint.treeSize === last.tree_size) {
            if (checkpoint.rootHash === last.root_hash) return;
            throw new GatewayError('ERR_LOG_UNAVAILABLE', 'two checkpoints of one size disagree');
          }
        }
        this.#stmt.insertCheckpoint.run(
          checkpoint.treeSize,
          checkpoint.rootHash,
          checkpoint.time,
          checkpoint.jws,
        );
      });
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    return this.#read(() => {
      const row = this.#stmt.latestCheckpoint.get();
      return row ? toCheckpoint(row) : undefined;
    });
  }

  async *iterateLeaves(from: number): AsyncIterable<StoredLeaf> {
    // Keyset pages rather than one open cursor: the connection stays free for writes and node reads between pages.
    let next = Math.max(0, Math.floor(from));
    for (;;) {
      const rows = this.#read(() => this.#stmt.page.all(next, PAGE));
      for (const row of rows) yield toStoredLeaf(row);
      if (rows.length < PAGE) return;
      next = rows[rows.length - 1]!.idx + 1;
    }
  }

  /**
   * Records matching the filter, newest first (parameterised SQL only: filter values are never SQL). Purged
   * records have no content and so match no filter.
   */
  async findRecords(filter: TransferFilter): Promise<StoredLeaf[]> {
    if (filter.participants === undefined) return this.#find(filter, undefined);
    // "consumer or provider is one of them" as one indexed query per participant and role, merged newest first:
    // an OR across two columns would make SQLite scan the whole log.
    const seen = new Map<number, StoredLeaf>();
    for (const participant of filter.participants) {
      for (const column of ['consumer', 'provider'] as const) {
        for (const leaf of this.#find(filter, [column, participant])) seen.set(leaf.index, leaf);
      }
    }
    return [...seen.values()].sort((a, b) => b.index - a.index).slice(0, filter.limit);
  }

  #find(filter: TransferFilter, also: readonly ['consumer' | 'provider', string] | undefined): StoredLeaf[] {
    const where: string[] = ['record IS NOT NULL'];
    const params: (string | number)[] = [];
    for (const [key, column] of FILTER_COLUMNS) {
      const value = filter[key];
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    if (also !== undefined) {
      where.push(`${also[0]} = ?`);
      params.push(also[1]);
    }
    const outcomes = filter.outcomes ?? ['released', 'refused', 'withheld'];
    where.push(`outcome IN (${outcomes.map(() => '?').join(', ')})`);
    params.push(...outcomes);
    // Times are only filtered row by row; the range is first turned into log index bounds (records reach the
    // log within seconds of their time, so a bound a minute wider than the range keeps every match) so the
    // newest-first walk by index stays inside the range instead of scanning from the end of the log.
    if (filter.from !== undefined) {
      where.push('time >= ?', 'idx >= ?');
      params.push(filter.from, this.#lowestIndexFrom(filter.from) ?? Number.MAX_SAFE_INTEGER);
    }
    if (filter.to !== undefined) {
      where.push('time < ?');
      params.push(filter.to);
      const upper = this.#indexAtTime(filter.to, TIME_MARGIN_MS);
      if (upper !== undefined) {
        where.push('idx < ?');
        params.push(upper);
      }
    }
    if (filter.beforeIndex !== undefined) {
      where.push('idx < ?');
      params.push(filter.beforeIndex);
    }
    params.push(filter.limit);
    const sql = `SELECT idx, leaf_hash, record FROM transfer_log WHERE ${where.join(' AND ')} ORDER BY idx DESC LIMIT ?`;
    return this.#read(() =>
      this.#database.db
        .prepare<(string | number)[], LeafRow>(sql)
        .all(...params)
        .map(toStoredLeaf),
    );
  }

  /**
   * Final records (released, refused, withheld) with `from` ≤ time < `to` counted per hour (UTC, `YYYY-MM-DDTHH`),
   * outcome, purpose and error code: what the DPO's charts are drawn from. The time range becomes log index
   * bounds as in findRecords; a DPO limited to participants counts only records naming one of them.
   */
  async countTransfers(range: {
    readonly from: string;
    readonly to: string;
    readonly participants?: readonly string[];
  }): Promise<TransferCount[]> {
    // Window by window, yielding in between: a year of a busy log takes about a second of SQLite, and the
    // exchanges waiting on this event loop should not wait that long at once.
    const merged = new Map<string, TransferCount>();
    const end = Date.parse(range.to);
    for (let start = Date.parse(range.from); start < end; start += COUNT_WINDOW_MS) {
      const window = {
        from: new Date(start).toISOString(),
        to: new Date(Math.min(end, start + COUNT_WINDOW_MS)).toISOString(),
      };
      for (const row of this.#countWindow(window, range.participants)) {
        const key = `${row.hour}|${row.outcome}|${row.purpose ?? ''}|${row.code ?? ''}`;
        const seen = merged.get(key);
        merged.set(key, seen === undefined ? row : { ...seen, count: seen.count + row.count });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    return [...merged.values()];
  }

  #countWindow(
    range: { readonly from: string; readonly to: string },
    participants: readonly string[] | undefined,
  ): TransferCount[] {
    const where = [
      'record IS NOT NULL',
      "outcome IN ('released', 'refused', 'withheld')",
      'time >= ?',
      'time < ?',
      'idx >= ?',
    ];
    const params: (string | number)[] = [
      range.from,
      range.to,
      this.#lowestIndexFrom(range.from) ?? Number.MAX_SAFE_INTEGER,
    ];
    const upper = this.#indexAtTime(range.to, TIME_MARGIN_MS);
    if (upper !== undefined) {
      where.push('idx < ?');
      params.push(upper);
    }
    if (participants !== undefined) {
      const marks = participants.map(() => '?').join(', ');
      where.push(`(consumer IN (${marks}) OR provider IN (${marks}))`);
      params.push(...participants, ...participants);
    }
    const sql = `SELECT substr(time, 1, 13) AS hour, outcome, purpose, code, count(*) AS count FROM transfer_log
      WHERE ${where.join(' AND ')} GROUP BY hour, outcome, purpose, code`;
    return this.#read(() =>
      this.#database.db.prepare<(string | number)[], TransferCount>(sql).all(...params),
    );
  }

  /**
   * The lowest log index of a record with time at or after `iso`; undefined if none. Exact without scanning the
   * log's tail: records are stamped at most TIME_MARGIN_MS before their append, so with t the earliest time at or
   * after `iso`, every record at or after `iso` was appended no earlier than some record stamped in
   * [t, t + 2 margins), and the lowest index among those few is the bound.
   */
  #lowestIndexFrom(iso: string): number | undefined {
    const t = this.#read(() => this.#stmt.earliestFrom.get(iso))?.t;
    if (t === null || t === undefined) return undefined;
    const until = new Date(Date.parse(t) + 2 * TIME_MARGIN_MS).toISOString();
    return this.#read(() => this.#stmt.lowestBetween.get(t, until))?.idx ?? undefined;
  }

  /** The first log index whose record time is at or after `iso` shifted by `marginMs`; undefined if none. */
  #indexAtTime(iso: string, marginMs: number): number | undefined {
    const at = new Date(Date.parse(iso) + marginMs).toISOString();
    const row = this.#read(() => this.#stmt.indexAtTime.get(at));
    return row?.idx;
  }

  /**
   * The leaves up to the size at the call, in windows of RAW_PAGE indexes. A window packs its rows into one (see
   * packedWindow); one with a gap or an odd hash is read row by row instead. The packed rows are meant for
   * verifyStoredLog's optimistic pass: it takes a pass only if every hash and node matched, and reads row by row
   * to name anything that did not.
   */
  async *iterateLeafPages(from: number): AsyncIterable<readonly RawLeaf[]> {
    const size = await this.size();
    for (let start = Math.max(0, Math.floor(from)); start < size; start += RAW_PAGE) {
      const end = start + RAW_PAGE - 1;
      const [count, min, max, oddHashes, hashes, lengths, records] = this.#read(() =>
        this.#stmt.packedWindow.get(start, end)!,
      );
      if (count === 0) continue;
      if (min === null || max === null || count !== max - min + 1 || oddHashes !== 0 || hashes === null) {
        yield this.#read(() => this.#stmt.rawWindow.all(start, end));
        continue;
      }
      const page = new Array<RawLeaf>(count);
      const sizes = lengths === null ? [] : lengths.split(',');
      let offset = 0;
      for (let k = 0; k < count; k++) {
        const length = Number(sizes[k]);
        let record: Uint8Array | null = null;
        if (length >= 0 && records !== null) {
          record = records.subarray(offset, offset + length);
          offset += length;
        }
        page[k] = [min + k, hashes.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE), record];
      }
      yield page;
    }
  }

  /**
   * The intents recorded before `before` (ISO 8601) whose exchange has no outcome in the log yet, oldest first, at
   * most `limit`: after a crash, the exchanges that were forwarded and never answered (OpenIntents port).
   */
  async openIntents(before: string, limit: number): Promise<StoredLeaf[]> {
    return this.#read(() => this.#stmt.openIntents.all(before, limit).map(toStoredLeaf));
  }

  /** Every leaf whose record names this exchange, in log order (intent, then outcome). */
  async recordsByExchange(exchangeId: string): Promise<StoredLeaf[]> {
    return this.#read(() => this.#stmt.byExchange.all(exchangeId).map(toStoredLeaf));
  }

  /**
   * Leaves whose record carries this subject reference, newest first: at most `limit` (default 100, max 1000)
   * with index below `beforeIndex` (for paging; default: from the end).
   */
  async recordsBySubject(
    subjectRef: string,
    options: { readonly limit?: number; readonly beforeIndex?: number } = {},
  ): Promise<StoredLeaf[]> {
    const limit = Math.min(Math.max(Math.floor(options.limit ?? 100), 1), 1000);
    const before = options.beforeIndex ?? Number.MAX_SAFE_INTEGER;
    return this.#read(() => this.#stmt.bySubject.all(subjectRef, before, limit).map(toStoredLeaf));
  }

  /**
   * Purges the content of every record whose exchange's retention has ended before `now` (ISO 8601, compared
   * with the records' `retentionUntil`): the record becomes null, its leaf hash and the Merkle nodes stay, so
   * every proof, receipt and `oog log verify` still verifies (DESIGN.md "Retention"). All records of an
   * exchange are kept while any of them is retained (`oog log retain`). Works through the stretch of the log
   * that holds expired records (found through transfer_log_retention) in windows of leaf indexes, one write
   * transaction each, so a running gateway's appends wait milliseconds, not the whole
   * purge. A window that erases something appends, in its transaction, a purge record (time `now`) naming the
   * erased leaves and their latest retention end, which verifyPurges checks. With `dryRun` nothing is written
   * and the number is what would be purged. Resolves with the number of records purged. Throws
   * ERR_LOG_UNAVAILABLE, ERR_INTERNAL for a `now` that is not a date.
   */
  async purgeRecords(now: string, options: { readonly dryRun?: boolean } = {}): Promise<number> {
    const nowMs = Date.parse(now);
    if (Number.isNaN(nowMs)) throw new GatewayError('ERR_INTERNAL', 'the purge time is not a date');
    // Only the stretch of the log that holds expired records (records expire roughly in log order).
    const { lo, hi } = this.#read(() => this.#stmt.expiredBounds.get({ now })!);
    if (lo === null || hi === null) return 0;
    let total = 0;
    for (let start = lo; start <= hi; start += PURGE_WINDOW) {
      const end = Math.min(start + PURGE_WINDOW - 1, hi);
      if (options.dryRun) {
        total += this.#read(() => this.#stmt.countExpired.get(start, end, { now })!.n);
        continue;
      }
      if (this.#database.db.readonly)
        throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the transfer log is read-only');
      try {
        total += await this.#database.write(() => this.#purgeWindow(start, end, now, nowMs));
      } catch (cause) {
        throw unavailable(cause);
      }
    }
    return total;
  }

  /** One window of purgeRecords, inside its write transaction: erases and logs exactly the expired rows found. */
  #purgeWindow(start: number, end: number, now: string, nowMs: number): number {
    const rows = this.#stmt.expiredRows.all(start, end, { now });
    if (rows.length === 0) return 0;
    const leaves: [number, number][] = [];
    let retainedUntil = String(rows[0]!.until);
    for (const { idx, until } of rows) {
      const last = leaves.at(-1);
      if (last !== undefined && last[0] + last[1] === idx) last[1]++;
      else leaves.push([idx, 1]);
      if (retentionEnd(String(until)) > retentionEnd(retainedUntil)) retainedUntil = String(until);
    }
    let erased = 0;
    for (const [first, count] of leaves) erased += this.#stmt.erase.run(first, first + count - 1).changes;
    if (erased !== rows.length)
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the purge would erase other records than it logs');
    this.#appendInTransaction([encodeLeaf(purgeRecord(isoTime(nowMs), { leaves, retainedUntil }))]);
    return erased;
  }

  /**
   * Logs the erasures that migration transfer-log/purge-records found (from before purges were logged) in one
   * purge record without a retention end, which verifyPurges accepts only as the log's first purge record; once,
   * in the transaction that drops the list.
   */
  #logEarlierErasures(): void {
    const db = this.#database.db;
    const listed = db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'transfer_log_unlogged_erasures'",
    );
    if (listed.get() === undefined) return;
    db.transaction(() => {
      if (listed.get() === undefined) return; // another process logged them meanwhile
      const leaves = db
        .prepare<[], [number, number]>(
          'SELECT first, count FROM transfer_log_unlogged_erasures ORDER BY first',
        )
        .raw(true)
        .all();
      if (leaves.length > 0) {
        const record = purgeRecord(isoTime(Date.now()), { leaves }, 'erased before purges were logged');
        this.#appendInTransaction([encodeLeaf(record)]);
      }
      db.exec('DROP TABLE transfer_log_unlogged_erasures');
    }).immediate();
  }

  #read<T>(run: () => T): T {
    try {
      return run();
    } catch (cause) {
      throw unavailable(cause, 'the transfer log cannot be read');
    }
  }
}
