/**
 * The transfer log on PostgreSQL, shared by every gateway instance on one database: the same records, leaf
 * hashes, Merkle nodes, checkpoints, open intents and queries as sqlite-transfer-log-store.ts, so one log gives
 * the same root on either backend (the hashing and tree code is the core's, the record text is stored exactly as
 * the SQLite store keeps it).
 *
 * One writer at a time across instances: every write transaction (append, purge window, checkpoint) first takes
 * the transaction-scoped advisory lock TRANSFER_LOG_LOCK, and only then, in a later statement (READ COMMITTED
 * takes a snapshot per statement, so it sees what the previous holder committed), reads the size and the tree's
 * edge. Leaves, nodes and open-intent changes are written in that transaction, so indexes are gap-free and
 * unique and there is one tree.
 *
 * Group commit: the appends made during one turn of the event loop (and those made while a batch is being
 * committed) share one transaction (at most MAX_BATCH records), and each resolves only after its COMMIT returned.
 * A failed batch wrote nothing. If it failed on its content (a constraint or a refused value, which valid records
 * do not meet; see contentFault), its appends are retried one transaction each, so only the faulty one rejects;
 * any other failure (the database unavailable, the writer lock not had within the statement timeout, a log
 * shorter than its checkpoint) rejects every append of the batch with ERR_LOG_UNAVAILABLE. An append whose
 * COMMIT was interrupted (the connection lost) rejects although it may have committed: the caller fails closed.
 *
 * The schema is POSTGRES_TRANSFER_LOG_MIGRATIONS, applied by whoever opens the database (see the constructor).
 *
 * The columns SQLite extracts from the record JSON (time, exchange, consumer, …, retention end) are plain
 * columns here, filled from the record in the append and set to NULL with the record when it is purged, so they
 * vanish with it as SQLite's generated ones do; their indexes (the retention index among them) are maintained in
 * the append transaction. Not generated columns: PostgreSQL's JSON operators refuse a `\u0000` escape, which
 * SQLite's accept, and a record with one must be logged here too. PostgreSQL text cannot hold U+0000, so in
 * these columns (and in the values compared with them) it is replaced by U+FFFD; the record keeps it escaped.
 * They use the "C" collation, so comparisons and order are bytewise as in SQLite.
 *
 * Unlike the SQLite store there is no list of erasures from before purges were logged: PostgreSQL stores
 * start with purge records, so that migration (and logEarlierErasures) has nothing to do here.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { GatewayError } from '../../core/errors.js';
import type {
  AppendedLeaf,
  OpenIntents,
  PurgedLeaves,
  RawLeaf,
  SignedCheckpoint,
  StoredLeaf,
  TransferCount,
  TransferFilter,
  TransferLogQueries,
  TransferLogRetention,
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
import type { PostgresDatabase, PostgresMigration } from './postgres-database.js';

/** The columns extracted from the record (name, JSON member), all TEXT in the "C" collation. */
const EXTRACTED = [
  ['time', 'time'],
  ['exchange_id', 'exchangeId'],
  ['consumer', 'consumer'],
  ['provider', 'provider'],
  ['evidence_type', 'evidenceType'],
  ['purpose', 'purpose'],
  ['outcome', 'outcome'],
  ['code', 'code'],
  ['subject_ref', 'subjectRef'],
  ['retention_until', 'retentionUntil'],
] as const;

export const POSTGRES_TRANSFER_LOG_MIGRATIONS: PostgresMigration[] = [
  {
    id: 'transfer-log/1',
    sql: `
      CREATE TABLE transfer_log (
        idx BIGINT PRIMARY KEY,
        leaf_hash BYTEA NOT NULL,
        record TEXT,
        ${EXTRACTED.map(([column, member]) => `${column} TEXT COLLATE "C" /* $.${member} */`).join(
          ',\n        ',
        )}
      );
      CREATE INDEX transfer_log_exchange ON transfer_log (exchange_id);
      CREATE INDEX transfer_log_time ON transfer_log (time);
      CREATE INDEX transfer_log_consumer_idx ON transfer_log (consumer, idx);
      CREATE INDEX transfer_log_provider_idx ON transfer_log (provider, idx);
      CREATE INDEX transfer_log_evidence_type_idx ON transfer_log (evidence_type, idx);
      CREATE INDEX transfer_log_purpose_idx ON transfer_log (purpose, idx);
      CREATE INDEX transfer_log_outcome_idx ON transfer_log (outcome, idx);
      CREATE INDEX transfer_log_subject_idx ON transfer_log (subject_ref, idx);
      CREATE INDEX transfer_log_retention ON transfer_log (retention_until);
      CREATE TABLE merkle_nodes (
        level INTEGER NOT NULL,
        idx BIGINT NOT NULL,
        hash BYTEA NOT NULL,
        PRIMARY KEY (level, idx)
      );
      CREATE TABLE checkpoints (
        tree_size BIGINT PRIMARY KEY,
        root_hash TEXT NOT NULL,
        time BIGINT NOT NULL,
        jws TEXT NOT NULL
      );
      CREATE TABLE transfer_log_open_intents (
        exchange_id TEXT COLLATE "C" PRIMARY KEY,
        idx BIGINT NOT NULL,
        time TEXT COLLATE "C" NOT NULL
      );
      CREATE INDEX transfer_log_open_intents_time ON transfer_log_open_intents (time, idx);
    `,
  },
];

/** The advisory lock every write transaction of the log takes first: 'ooglog' as an arbitrary fixed number. */
const TRANSFER_LOG_LOCK = 0x6f6f_676c_6f67n.toString();

const FILTER_COLUMNS = [
  ['consumer', 'consumer'],
  ['provider', 'provider'],
  ['evidenceType', 'evidence_type'],
  ['purpose', 'purpose'],
  ['subjectRef', 'subject_ref'],
] as const;

/** The time span countTransfers reads per query. */
const COUNT_WINDOW_MS = 3 * 86_400_000;

/** How far a record's time may lag its position in the log (it is stamped just before its append). */
const TIME_MARGIN_MS = 60_000;

/**
 * A record whose exchange's retention has ended (as in the SQLite store): its own `retentionUntil` is before
 * `now` (the parameter `$now`), and no record of the same exchange still holding content is retained longer or
 * without an end.
 */
function expired(now: string): string {
  return `t.record IS NOT NULL AND t.retention_until < ${now} AND NOT EXISTS (
    SELECT 1 FROM transfer_log u WHERE u.exchange_id = t.exchange_id AND u.record IS NOT NULL
      AND (u.retention_until IS NULL OR u.retention_until >= ${now}))`;
}

/** Leaf indexes per purge transaction: the writer lock is held for tens of milliseconds, never seconds. */
const PURGE_WINDOW = 8192;

/** Records per append transaction at most; more queued wait for the next. */
const MAX_BATCH = 4096;

/** A retention end as a time to compare; one that is not a date counts as the latest. */
function retentionEnd(until: string): number {
  const ms = Date.parse(until);
  return Number.isNaN(ms) ? Infinity : ms;
}

/** Rows read per page while streaming the log. */
const PAGE = 2048;
/** Leaf indexes per window of the verification path. */
const RAW_PAGE = 8192;
/** Node references per query. */
const NODE_CHUNK = 8192;

interface LeafRow {
  idx: string;
  leaf_hash: Buffer;
  record: string | null;
}

interface CheckpointRow {
  tree_size: string;
  root_hash: string;
  time: string;
  jws: string;
}

/** A BIGINT as pg returns it (text) to a number; one beyond 2^53 − 1 means the store is not what we wrote. */
function toNumber(value: string | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the transfer log holds a number out of range');
  }
  return n;
}

function toStoredLeaf(row: LeafRow): StoredLeaf {
  return { index: toNumber(row.idx), leafHash: row.leaf_hash.toString('base64url'), record: row.record };
}

function toCheckpoint(row: CheckpointRow): SignedCheckpoint {
  return {
    treeSize: toNumber(row.tree_size),
    rootHash: row.root_hash,
    time: toNumber(row.time),
    jws: row.jws,
  };
}

/** A record's leaf hash and the exact text of the hashed bytes, to store (re-encoding that text gives the bytes). */
interface EncodedLeaf {
  readonly hash: Buffer;
  readonly text: string;
  /** The EXTRACTED columns, in that order. */
  readonly columns: readonly (string | null)[];
  /** What the record does to the open intents: opens its exchange's, closes it, or neither. */
  readonly intent?: { readonly opens: boolean; readonly exchangeId: string; readonly time: string };
}

/** Records that say nothing about an exchange's outcome: they neither open nor close its intent. */
const NOT_AN_OUTCOME: ReadonlySet<TransferRecord['outcome']> = new Set(['retention-extended', 'purged']);

/** A value compared with an extracted column: U+0000 (which PostgreSQL text cannot hold) as U+FFFD. */
function pgText(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}

/** A record member as json_extract gives it to SQLite's TEXT column: strings as they are, others as JSON. */
function extract(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return pgText(typeof value === 'string' ? value : JSON.stringify(value));
}

function encodeLeaf(record: TransferRecord): EncodedLeaf {
  const bytes = encodeRecord(record);
  const members = record as unknown as Record<string, unknown>;
  const leaf = {
    hash: Buffer.from(recordLeafHash(bytes)),
    text: Buffer.from(bytes).toString('utf8'),
    columns: EXTRACTED.map(([, member]) => extract(members[member])),
  };
  if (NOT_AN_OUTCOME.has(record.outcome)) return leaf;
  const opens = record.outcome === 'intent';
  return { ...leaf, intent: { opens, exchangeId: pgText(record.exchangeId), time: pgText(record.time) } };
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

/**
 * Whether a failed batch may be at fault itself (a constraint or a value PostgreSQL refused: SQLSTATE classes 23
 * and 22), so that its appends are worth retrying one by one. Anything else (the database unavailable, a
 * statement timeout while waiting for the writer lock, a short log) fails every append of the batch at once.
 */
function contentFault(error: unknown): boolean {
  if (error instanceof GatewayError) return false;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('23') || code.startsWith('22'));
}

/** One append waiting for its batch. */
interface PendingAppend {
  readonly encoded: readonly EncodedLeaf[];
  readonly resolve: (leaves: AppendedLeaf[]) => void;
  readonly reject: (error: unknown) => void;
}

/** The net change of one batch to an exchange's open intent (INSERT OR IGNORE and DELETE applied in order). */
type IntentChange =
  | { readonly kind: 'close' }
  | { readonly kind: 'open' | 'reopen'; readonly idx: number; readonly time: string };

/** Runs the node query on a transaction's client or on the pool. */
type NodeQuery = (
  text: string,
  values: unknown[],
) => Promise<pg.QueryResult<{ ord: string; hash: Buffer | null }>>;

/** TransferLogStore on a PostgresDatabase; also the indexed reads the DPO and citizen views need. */
export class PostgresTransferLogStore
  implements TransferLogStore, OpenIntents, TransferLogQueries, TransferLogRetention
{
  readonly #database: PostgresDatabase;
  #queue: PendingAppend[] = [];
  #scheduled = false;
  #committing = false;

  /**
   * The store on a database whose schema includes POSTGRES_TRANSFER_LOG_MIGRATIONS. It does not migrate: whoever
   * opens the database applies every store's migrations in one `migrate()` call, since postgres-database.ts
   * refuses a database holding migration ids the list it is given does not name.
   */
  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async append(records: readonly TransferRecord[]): Promise<AppendedLeaf[]> {
    // Encode before queueing: a malformed record is refused alone (ERR_INTERNAL) without touching the batch.
    const encoded = records.map(encodeLeaf);
    if (encoded.length === 0) return [];
    return new Promise<AppendedLeaf[]>((resolve, reject) => {
      this.#queue.push({ encoded, resolve, reject });
      this.#schedule();
    });
  }

  /** Flushes on the next turn of the event loop, unless a batch is committing (it flushes when it is done). */
  #schedule(): void {
    if (this.#scheduled || this.#committing || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    const batch: PendingAppend[] = [];
    let count = 0;
    while (
      this.#queue.length > 0 &&
      (batch.length === 0 || count + this.#queue[0]!.encoded.length <= MAX_BATCH)
    ) {
      const next = this.#queue.shift()!;
      batch.push(next);
      count += next.encoded.length;
    }
    if (batch.length === 0) return;
    this.#committing = true;
    try {
      await this.#commitBatch(batch);
    } finally {
      this.#committing = false;
      this.#schedule();
    }
  }

  /** Commits a batch in one transaction; after a failure that is not the database's, each append alone. */
  async #commitBatch(batch: readonly PendingAppend[]): Promise<void> {
    let leaves: AppendedLeaf[];
    try {
      leaves = await this.#database.transaction((client) =>
        this.#appendInTransaction(
          client,
          batch.flatMap((job) => job.encoded),
        ),
      );
    } catch (cause) {
      if (batch.length > 1 && contentFault(cause)) {
        for (const job of batch) await this.#commitBatch([job]);
        return;
      }
      const error = unavailable(cause);
      for (const job of batch) job.reject(error);
      return;
    }
    let offset = 0;
    for (const job of batch) {
      job.resolve(leaves.slice(offset, offset + job.encoded.length));
      offset += job.encoded.length;
    }
  }

  /** Takes the writer lock, then appends after the current size: leaves, nodes and open intents in one statement. */
  async #appendInTransaction(
    client: pg.PoolClient,
    encoded: readonly EncodedLeaf[],
  ): Promise<AppendedLeaf[]> {
    await client.query('SELECT pg_advisory_xact_lock($1)', [TRANSFER_LOG_LOCK]);
    const head = await client.query<{ n: string; checkpoint: string | null }>(
      `SELECT (SELECT COALESCE(MAX(idx) + 1, 0) FROM transfer_log) AS n,
              (SELECT MAX(tree_size) FROM checkpoints) AS checkpoint`,
    );
    const size = toNumber(head.rows[0]!.n);
    const checkpoint = head.rows[0]!.checkpoint;
    if (checkpoint !== null && size < toNumber(checkpoint)) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the log is shorter than its last checkpoint');
    }
    const range = createCompactRange(
      size,
      await this.#readNodes((text, values) => client.query(text, values), rangeNodes(0, size)),
    );
    const leafIdx: number[] = [];
    const leafHashes: Buffer[] = [];
    const texts: string[] = [];
    const columns = EXTRACTED.map((): (string | null)[] => []);
    const nodeLevels: number[] = [];
    const nodeIdx: number[] = [];
    const nodeHashes: Buffer[] = [];
    const intents = new Map<string, IntentChange>();
    const appended: AppendedLeaf[] = [];
    for (const { hash, text, columns: values, intent } of encoded) {
      const index = range.size;
      leafIdx.push(index);
      leafHashes.push(hash);
      texts.push(text);
      values.forEach((value, k) => columns[k]!.push(value));
      if (intent !== undefined) {
        const before = intents.get(intent.exchangeId);
        if (!intent.opens) intents.set(intent.exchangeId, { kind: 'close' });
        else if (before === undefined) {
          intents.set(intent.exchangeId, { kind: 'open', idx: index, time: intent.time });
        } else if (before.kind === 'close') {
          intents.set(intent.exchangeId, { kind: 'reopen', idx: index, time: intent.time });
        } // already open: kept, as INSERT OR IGNORE keeps it
      }
      for (const node of range.append(hash)) {
        nodeLevels.push(node.level);
        nodeIdx.push(node.index);
        nodeHashes.push(Buffer.from(node.hash));
      }
      appended.push({ index, leafHash: hash.toString('base64url') });
    }
    const closed: string[] = [];
    const opened: [string[], number[], string[]] = [[], [], []];
    const reopened: [string[], number[], string[]] = [[], [], []];
    for (const [exchangeId, change] of intents) {
      if (change.kind === 'close') {
        closed.push(exchangeId);
        continue;
      }
      const into = change.kind === 'open' ? opened : reopened;
      into[0].push(exchangeId);
      into[1].push(change.idx);
      into[2].push(change.time);
    }
    // One statement; its parts touch disjoint rows (one change per exchange), so their order does not matter.
    const columnParams = EXTRACTED.map((_, k) => `$${14 + k}::text[]`).join(', ');
    await client.query(
      `WITH leaves AS (
         INSERT INTO transfer_log (idx, leaf_hash, record, ${EXTRACTED.map(([column]) => column).join(', ')})
         SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], ${columnParams})
       ), nodes AS (
         INSERT INTO merkle_nodes (level, idx, hash)
         SELECT * FROM unnest($4::int[], $5::bigint[], $6::bytea[])
       ), closed AS (
         DELETE FROM transfer_log_open_intents WHERE exchange_id = ANY($7::text[])
       ), opened AS (
         INSERT INTO transfer_log_open_intents (exchange_id, idx, time)
         SELECT * FROM unnest($8::text[], $9::bigint[], $10::text[])
         ON CONFLICT (exchange_id) DO NOTHING
       )
       INSERT INTO transfer_log_open_intents (exchange_id, idx, time)
       SELECT * FROM unnest($11::text[], $12::bigint[], $13::text[])
       ON CONFLICT (exchange_id) DO UPDATE SET idx = EXCLUDED.idx, time = EXCLUDED.time`,
      [
        leafIdx,
        leafHashes,
        texts,
        nodeLevels,
        nodeIdx,
        nodeHashes,
        closed,
        ...opened,
        ...reopened,
        ...columns,
      ],
    );
    return appended;
  }

  /** Node hashes in argument order, one query per NODE_CHUNK references; a missing or odd one is an error. */
  async #readNodes(query: NodeQuery, refs: readonly NodeRef[]): Promise<Uint8Array[]> {
    const out = new Array<Uint8Array>(refs.length);
    for (let start = 0; start < refs.length; start += NODE_CHUNK) {
      const chunk = refs.slice(start, start + NODE_CHUNK);
      const { rows } = await query(
        `SELECT r.ord, n.hash FROM unnest($1::int[], $2::bigint[]) WITH ORDINALITY AS r(level, idx, ord)
         LEFT JOIN merkle_nodes AS n ON n.level = r.level AND n.idx = r.idx`,
        [chunk.map((r) => r.level), chunk.map((r) => r.index)],
      );
      for (const row of rows) {
        if (row.hash === null || row.hash.length !== HASH_SIZE) {
          throw new GatewayError('ERR_LOG_UNAVAILABLE', 'a Merkle node of the log is missing');
        }
        out[start + Number(row.ord) - 1] = row.hash;
      }
      if (rows.length !== chunk.length) {
        throw new GatewayError('ERR_LOG_UNAVAILABLE', 'a Merkle node of the log is missing');
      }
    }
    return out;
  }

  async size(): Promise<number> {
    const { rows } = await this.#read<{ n: string }>(
      'SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM transfer_log',
    );
    return this.#number(rows[0]!.n);
  }

  async leaf(index: number): Promise<StoredLeaf | undefined> {
    if (!Number.isSafeInteger(index) || index < 0) return undefined;
    const { rows } = await this.#read<LeafRow>(
      'SELECT idx, leaf_hash, record FROM transfer_log WHERE idx = $1',
      [index],
    );
    return rows[0] === undefined ? undefined : this.#leaves(rows)[0];
  }

  async nodes(refs: readonly NodeRef[]): Promise<Uint8Array[]> {
    try {
      return await this.#readNodes((text, values) => this.#database.query(text, values), refs);
    } catch (cause) {
      throw unavailable(cause, 'the transfer log cannot be read');
    }
  }

  async saveCheckpoint(checkpoint: SignedCheckpoint): Promise<void> {
    try {
      await this.#database.transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [TRANSFER_LOG_LOCK]);
        const head = await client.query<{ n: string }>(
          'SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM transfer_log',
        );
        if (checkpoint.treeSize > toNumber(head.rows[0]!.n)) {
          throw new GatewayError(
            'ERR_LOG_UNAVAILABLE',
            'a checkpoint cannot cover leaves the log does not hold',
          );
        }
        const latest = await client.query<CheckpointRow>(
          'SELECT tree_size, root_hash, time, jws FROM checkpoints ORDER BY tree_size DESC LIMIT 1',
        );
        const last = latest.rows[0] === undefined ? undefined : toCheckpoint(latest.rows[0]);
        if (last) {
          // Tree size and time never decrease (SECURITY.md): refuse a checkpoint smaller or older than the last.
          if (checkpoint.treeSize < last.treeSize || checkpoint.time < last.time) {
            throw new GatewayError('ERR_LOG_UNAVAILABLE', 'a checkpoint may not go back in size or time');
          }
          if (checkpoint.treeSize === last.treeSize) {
            if (checkpoint.rootHash === last.rootHash) return;
            throw new GatewayError('ERR_LOG_UNAVAILABLE', 'two checkpoints of one size disagree');
          }
        }
        await client.query(
          'INSERT INTO checkpoints (tree_size, root_hash, time, jws) VALUES ($1, $2, $3, $4)',
          [checkpoint.treeSize, checkpoint.rootHash, checkpoint.time, checkpoint.jws],
        );
      });
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    const { rows } = await this.#read<CheckpointRow>(
      'SELECT tree_size, root_hash, time, jws FROM checkpoints ORDER BY tree_size DESC LIMIT 1',
    );
    if (rows[0] === undefined) return undefined;
    try {
      return toCheckpoint(rows[0]);
    } catch (cause) {
      throw unavailable(cause, 'the transfer log cannot be read');
    }
  }

  async *iterateLeaves(from: number): AsyncIterable<StoredLeaf> {
    // Keyset pages rather than one open cursor: no connection is held while the caller works on a page.
    let next = Math.max(0, Math.floor(from));
    for (;;) {
      const { rows } = await this.#read<LeafRow>(
        'SELECT idx, leaf_hash, record FROM transfer_log WHERE idx >= $1 ORDER BY idx LIMIT $2',
        [next, PAGE],
      );
      const leaves = this.#leaves(rows);
      for (const leaf of leaves) yield leaf;
      if (leaves.length < PAGE) return;
      next = leaves[leaves.length - 1]!.index + 1;
    }
  }

  /**
   * Records matching the filter, newest first (parameterised SQL only: filter values are never SQL). Purged
   * records have no content and so match no filter.
   */
  async findRecords(filter: TransferFilter): Promise<StoredLeaf[]> {
    if (filter.participants === undefined) return this.#find(filter, undefined);
    // "consumer or provider is one of them" as one indexed query per participant and role, merged newest first.
    const seen = new Map<number, StoredLeaf>();
    for (const participant of filter.participants) {
      for (const column of ['consumer', 'provider'] as const) {
        for (const leaf of await this.#find(filter, [column, participant])) seen.set(leaf.index, leaf);
      }
    }
    return [...seen.values()].sort((a, b) => b.index - a.index).slice(0, filter.limit);
  }

  async #find(
    filter: TransferFilter,
    also: readonly ['consumer' | 'provider', string] | undefined,
  ): Promise<StoredLeaf[]> {
    const where: string[] = ['record IS NOT NULL'];
    const params: (string | number)[] = [];
    const param = (value: string | number): string => {
      params.push(typeof value === 'string' ? pgText(value) : value);
      return `$${params.length}`;
    };
    for (const [key, column] of FILTER_COLUMNS) {
      const value = filter[key];
      if (value !== undefined) where.push(`${column} = ${param(value)}`);
    }
    if (also !== undefined) where.push(`${also[0]} = ${param(also[1])}`);
    const outcomes = filter.outcomes ?? ['released', 'refused', 'withheld'];
    where.push(`outcome IN (${outcomes.map((o) => param(o)).join(', ')})`);
    // Times are filtered row by row; the range is first turned into log index bounds (see the SQLite store).
    if (filter.from !== undefined) {
      const lower = (await this.#indexAtTime(filter.from, -TIME_MARGIN_MS)) ?? Number.MAX_SAFE_INTEGER;
      where.push(`time >= ${param(filter.from)}`, `idx >= ${param(lower)}`);
    }
    if (filter.to !== undefined) {
      where.push(`time < ${param(filter.to)}`);
      const upper = await this.#indexAtTime(filter.to, TIME_MARGIN_MS);
      if (upper !== undefined) where.push(`idx < ${param(upper)}`);
    }
    if (filter.beforeIndex !== undefined) where.push(`idx < ${param(filter.beforeIndex)}`);
    const sql = `SELECT idx, leaf_hash, record FROM transfer_log WHERE ${where.join(' AND ')}
      ORDER BY idx DESC LIMIT ${param(filter.limit)}`;
    return this.#leaves((await this.#read<LeafRow>(sql, params)).rows);
  }

  /**
   * Final records (released, refused, withheld) with `from` ≤ time < `to` counted per hour (UTC, `YYYY-MM-DDTHH`),
   * outcome, purpose and error code, window by window as in the SQLite store; a DPO limited to participants
   * counts only records naming one of them.
   */
  async countTransfers(range: {
    readonly from: string;
    readonly to: string;
    readonly participants?: readonly string[];
  }): Promise<TransferCount[]> {
    const merged = new Map<string, TransferCount>();
    const end = Date.parse(range.to);
    for (let start = Date.parse(range.from); start < end; start += COUNT_WINDOW_MS) {
      const window = {
        from: new Date(start).toISOString(),
        to: new Date(Math.min(end, start + COUNT_WINDOW_MS)).toISOString(),
      };
      for (const row of await this.#countWindow(window, range.participants)) {
        const key = `${row.hour}|${row.outcome}|${row.purpose ?? ''}|${row.code ?? ''}`;
        const seen = merged.get(key);
        merged.set(key, seen === undefined ? row : { ...seen, count: seen.count + row.count });
      }
    }
    return [...merged.values()];
  }

  async #countWindow(
    range: { readonly from: string; readonly to: string },
    participants: readonly string[] | undefined,
  ): Promise<TransferCount[]> {
    const lower = (await this.#indexAtTime(range.from, -TIME_MARGIN_MS)) ?? Number.MAX_SAFE_INTEGER;
    const upper = await this.#indexAtTime(range.to, TIME_MARGIN_MS);
    const where = [
      'record IS NOT NULL',
      "outcome IN ('released', 'refused', 'withheld')",
      'time >= $1',
      'time < $2',
      'idx >= $3',
    ];
    const params: (string | number | readonly string[])[] = [pgText(range.from), pgText(range.to), lower];
    if (upper !== undefined) {
      params.push(upper);
      where.push(`idx < $${params.length}`);
    }
    if (participants !== undefined) {
      params.push(participants.map(pgText));
      where.push(`(consumer = ANY($${params.length}::text[]) OR provider = ANY($${params.length}::text[]))`);
    }
    // Ordered as SQLite's GROUP BY returns its groups: bytewise, NULL first.
    const sql = `SELECT substr(time, 1, 13) AS hour, outcome, purpose, code, count(*) AS count FROM transfer_log
      WHERE ${where.join(' AND ')} GROUP BY 1, 2, 3, 4
      ORDER BY 1, 2, 3 NULLS FIRST, 4 NULLS FIRST`;
    const { rows } = await this.#read<{
      hour: string;
      outcome: string;
      purpose: string | null;
      code: string | null;
      count: string;
    }>(sql, params);
    return rows.map((row) => ({ ...row, count: this.#number(row.count) }));
  }

  /** The first log index whose record time is at or after `iso` shifted by `marginMs`; undefined if none. */
  async #indexAtTime(iso: string, marginMs: number): Promise<number | undefined> {
    const at = new Date(Date.parse(iso) + marginMs).toISOString();
    const { rows } = await this.#read<{ idx: string }>(
      'SELECT idx FROM transfer_log WHERE time >= $1 ORDER BY time, idx LIMIT 1',
      [at],
    );
    return rows[0] === undefined ? undefined : this.#number(rows[0].idx);
  }

  /** The leaves up to the size at the call, in windows of RAW_PAGE indexes, as raw bytes (as stored). */
  async *iterateLeafPages(from: number): AsyncIterable<readonly RawLeaf[]> {
    const size = await this.size();
    for (let start = Math.max(0, Math.floor(from)); start < size; start += RAW_PAGE) {
      const { rows } = await this.#read<LeafRow>(
        'SELECT idx, leaf_hash, record FROM transfer_log WHERE idx BETWEEN $1 AND $2 ORDER BY idx',
        [start, start + RAW_PAGE - 1],
      );
      if (rows.length === 0) continue;
      yield rows.map((row): RawLeaf => [
        this.#number(row.idx),
        row.leaf_hash,
        row.record === null ? null : Buffer.from(row.record, 'utf8'),
      ]);
    }
  }

  /**
   * The intents recorded before `before` (ISO 8601) whose exchange has no outcome in the log yet, oldest first, at
   * most `limit` (OpenIntents port).
   */
  async openIntents(before: string, limit: number): Promise<StoredLeaf[]> {
    const { rows } = await this.#read<LeafRow>(
      `SELECT t.idx, t.leaf_hash, t.record FROM transfer_log_open_intents AS o
       JOIN transfer_log AS t ON t.idx = o.idx
       WHERE o.time < $1 AND t.record IS NOT NULL ORDER BY o.time, o.idx LIMIT $2`,
      [pgText(before), limit],
    );
    return this.#leaves(rows);
  }

  /** Every leaf whose record names this exchange, in log order (intent, then outcome). */
  async recordsByExchange(exchangeId: string): Promise<StoredLeaf[]> {
    const { rows } = await this.#read<LeafRow>(
      'SELECT idx, leaf_hash, record FROM transfer_log WHERE exchange_id = $1 ORDER BY idx',
      [pgText(exchangeId)],
    );
    return this.#leaves(rows);
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
    const { rows } = await this.#read<LeafRow>(
      `SELECT idx, leaf_hash, record FROM transfer_log WHERE subject_ref = $1 AND idx < $2
       ORDER BY idx DESC LIMIT $3`,
      [pgText(subjectRef), before, limit],
    );
    return this.#leaves(rows);
  }

  /**
   * Purges the content of every record whose exchange's retention has ended before `now`, exactly as the SQLite
   * store does (see there): windows of PURGE_WINDOW leaf indexes, one write transaction each under the writer
   * lock, each that erases something appending its purge record in the same transaction. With `dryRun` nothing
   * is written. Resolves with the number of records purged. Throws ERR_LOG_UNAVAILABLE, ERR_INTERNAL for a `now`
   * that is not a date.
   */
  async purgeRecords(now: string, options: { readonly dryRun?: boolean } = {}): Promise<number> {
    const nowMs = Date.parse(now);
    if (Number.isNaN(nowMs)) throw new GatewayError('ERR_INTERNAL', 'the purge time is not a date');
    const bounds = await this.#read<{ lo: string | null; hi: string | null }>(
      'SELECT min(idx) AS lo, max(idx) AS hi FROM transfer_log WHERE retention_until < $1',
      [pgText(now)],
    );
    const { lo, hi } = bounds.rows[0]!;
    if (lo === null || hi === null) return 0;
    const first = this.#number(lo);
    const last = this.#number(hi);
    let total = 0;
    for (let start = first; start <= last; start += PURGE_WINDOW) {
      const end = Math.min(start + PURGE_WINDOW - 1, last);
      if (options.dryRun) {
        const { rows } = await this.#read<{ n: string }>(
          `SELECT COUNT(*) AS n FROM transfer_log t WHERE t.idx BETWEEN $1 AND $2 AND ${expired('$3')}`,
          [start, end, pgText(now)],
        );
        total += this.#number(rows[0]!.n);
        continue;
      }
      try {
        total += await this.#database.transaction((client) =>
          this.#purgeWindow(client, start, end, now, nowMs),
        );
      } catch (cause) {
        throw unavailable(cause);
      }
    }
    return total;
  }

  /** One window of purgeRecords, inside its transaction and under the writer lock. */
  async #purgeWindow(
    client: pg.PoolClient,
    start: number,
    end: number,
    now: string,
    nowMs: number,
  ): Promise<number> {
    await client.query('SELECT pg_advisory_xact_lock($1)', [TRANSFER_LOG_LOCK]);
    const { rows } = await client.query<{ idx: string; until: string }>(
      `SELECT t.idx AS idx, t.retention_until AS until FROM transfer_log AS t
       WHERE t.idx BETWEEN $1 AND $2 AND ${expired('$3')} ORDER BY t.idx`,
      [start, end, pgText(now)],
    );
    if (rows.length === 0) return 0;
    const leaves: [number, number][] = [];
    let retainedUntil = String(rows[0]!.until);
    for (const row of rows) {
      const idx = toNumber(row.idx);
      const last = leaves.at(-1);
      if (last !== undefined && last[0] + last[1] === idx) last[1]++;
      else leaves.push([idx, 1]);
      if (retentionEnd(String(row.until)) > retentionEnd(retainedUntil)) retainedUntil = String(row.until);
    }
    const erased = await client.query(
      `UPDATE transfer_log AS t SET record = NULL, ${EXTRACTED.map(([column]) => `${column} = NULL`).join(', ')}
       FROM unnest($1::bigint[], $2::bigint[]) AS r(first, last)
       WHERE t.idx BETWEEN r.first AND r.last AND t.record IS NOT NULL`,
      [leaves.map(([first]) => first), leaves.map(([first, count]) => first + count - 1)],
    );
    if (erased.rowCount !== rows.length) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the purge would erase other records than it logs');
    }
    await this.#appendInTransaction(client, [
      encodeLeaf(purgeRecord(isoTime(nowMs), { leaves, retainedUntil })),
    ]);
    return rows.length;
  }

  async #read<R extends pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.#database.query<R>(text, values);
    } catch (cause) {
      throw unavailable(cause, 'the transfer log cannot be read');
    }
  }

  #number(value: string | number): number {
    try {
      return toNumber(value);
    } catch (cause) {
      throw unavailable(cause, 'the transfer log cannot be read');
    }
  }

  #leaves(rows: readonly LeafRow[]): StoredLeaf[] {
    try {
      return rows.map(toStoredLeaf);
    } catch (cause) {
      throw unavailable(cause, 'the transfer log cannot be read');
    }
  }
}
