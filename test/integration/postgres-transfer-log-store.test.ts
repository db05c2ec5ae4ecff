/**
 * The transfer log store on the machine's real PostgreSQL (a fresh database per test), checked against the SQLite
 * store: the same records give the same leaves, nodes, root and query answers; two gateway instances on one
 * database append gap-free into one tree; open intents, purges, checkpoints; an unavailable database is
 * ERR_LOG_UNAVAILABLE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { PostgresDatabase } from '../../gateway/adapters/postgres/postgres-database.js';
import {
  POSTGRES_TRANSFER_LOG_MIGRATIONS,
  PostgresTransferLogStore,
} from '../../gateway/adapters/postgres/postgres-transfer-log-store.js';
import { SqliteDatabase } from '../../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from '../../gateway/adapters/sqlite/sqlite-transfer-log-store.js';
import { GatewayError } from '../../gateway/core/errors.js';
import type {
  StoredLeaf,
  TransferFilter,
  TransferLogStore,
  TransferRecord,
} from '../../gateway/core/ports.js';
import {
  createTransferLog,
  encodeRecord,
  rootHash,
  type NodeRef,
} from '../../gateway/core/transfer-log/index.js';
import { ecSigner, manualClock, sampleRecord } from '../unit/transfer-log/helpers/memory-store.js';
import { naivePath, naiveRoot } from '../unit/transfer-log/helpers/naive-merkle.js';
import { freshPostgresDatabase, type FreshDatabase } from '../helpers/postgres.js';

const GATEWAY = 'oog:test-gateway';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    expect(error).to.be.instanceOf(GatewayError);
    return (error as GatewayError).code;
  }
}

/** Every complete node of a tree of `size` leaves. */
function allNodes(size: number): NodeRef[] {
  const refs: NodeRef[] = [];
  for (let level = 0; 2 ** level <= size; level++) {
    for (let index = 0; (index + 1) * 2 ** level <= size; index++) refs.push({ level, index });
  }
  return refs;
}

async function allLeaves(store: TransferLogStore): Promise<StoredLeaf[]> {
  const out: StoredLeaf[] = [];
  for await (const leaf of store.iterateLeaves(0)) out.push(leaf);
  return out;
}

async function rawPages(store: TransferLogStore): Promise<[number, string, string | null][]> {
  const out: [number, string, string | null][] = [];
  for await (const page of store.iterateLeafPages!(0)) {
    for (const [index, hash, record] of page) {
      out.push([index, Buffer.from(hash).toString('hex'), record && Buffer.from(record).toString('utf8')]);
    }
  }
  return out;
}

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 2, 1);

/** A varied log: exchanges with intents and outcomes over several days, participants, purposes, codes. */
function variedRecords(): TransferRecord[] {
  const records: TransferRecord[] = [];
  const consumers = ['ags:01', 'ags:02', 'ags:03'];
  const providers = ['psw:01', 'psw:02'];
  const purposes = ['wohngeld', 'kindergeld', undefined];
  for (let i = 0; i < 150; i++) {
    const time = new Date(T0 + i * 1.7 * HOUR).toISOString();
    const base = sampleRecord({
      time,
      consumer: consumers[i % 3]!,
      provider: providers[i % 2]!,
      subjectRef: `subject-${i % 7}`,
      retentionUntil: i % 4 === 0 ? '2025-06-01T00:00:00.000Z' : '2030-01-01T00:00:00.000Z',
    });
    const purpose = purposes[i % 3];
    const record: TransferRecord = { ...base, purpose };
    if (purpose === undefined) delete (record as { purpose?: string }).purpose;
    records.push({ ...record, outcome: 'intent' });
    // Every fifth exchange stays open; others end released, refused (with a code) or withheld.
    if (i % 5 === 4) continue;
    const outcome = (['released', 'refused', 'withheld'] as const)[i % 3]!;
    records.push({
      ...record,
      time: new Date(T0 + i * 1.7 * HOUR + 500).toISOString(),
      outcome,
      ...(outcome === 'refused' ? { code: i % 2 ? 'ERR_CONSENT_MISSING' : 'ERR_POLICY_DENIED' } : {}),
    } as TransferRecord);
  }
  return records;
}

describe('PostgresTransferLogStore (real PostgreSQL)', function () {
  this.timeout(60_000);
  let fresh: FreshDatabase;
  let dir: string;
  const databases: PostgresDatabase[] = [];
  const sqlite: SqliteDatabase[] = [];
  const signer = ecSigner();

  beforeEach(async () => {
    fresh = await freshPostgresDatabase();
    dir = mkdtempSync(join(tmpdir(), 'oog-pglog-'));
  });
  afterEach(async () => {
    for (const db of databases.splice(0)) await db.close();
    for (const db of sqlite.splice(0)) db.close();
    await fresh.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openPostgres() {
    const db = await PostgresDatabase.open(fresh.url);
    databases.push(db);
    await db.migrate(POSTGRES_TRANSFER_LOG_MIGRATIONS);
    const store = new PostgresTransferLogStore(db);
    const log = createTransferLog({ store, signer, clock: manualClock(), gatewayId: GATEWAY });
    return { db, store, log };
  }

  function openSqlite() {
    const db = new SqliteDatabase(join(dir, 'gateway.db'));
    sqlite.push(db);
    const store = new SqliteTransferLogStore(db);
    const log = createTransferLog({ store, signer, clock: manualClock(), gatewayId: GATEWAY });
    return { db, store, log };
  }

  /** Appends the same records to both stores, in the same batches (groups of `batch` concurrent calls). */
  async function appendBoth(
    records: readonly TransferRecord[],
    stores: readonly TransferLogStore[],
    batch = 17,
  ): Promise<void> {
    for (let start = 0; start < records.length; start += batch) {
      const chunk = records.slice(start, start + batch);
      const results = await Promise.all(
        stores.map((store) => Promise.all(chunk.map((r) => store.append([r])))),
      );
      expect(results[0]).to.deep.equal(results[1]);
    }
  }

  describe('against the SQLite store', () => {
    it('stores the same leaves, nodes and root, and answers every query the same', async () => {
      const pgStore = (await openPostgres()).store;
      const sqStore = openSqlite().store;
      const records = variedRecords();
      await appendBoth(records, [pgStore, sqStore]);
      // A multi-record append and a retention extension (neither opens nor closes an intent).
      const extension = sampleRecord({
        exchangeId: records[0]!.exchangeId,
        outcome: 'retention-extended',
        reason: 'court order',
        retentionUntil: '2031-01-01T00:00:00.000Z',
      });
      const many = [sampleRecord(), extension, sampleRecord({ outcome: 'intent' })];
      expect(await pgStore.append(many)).to.deep.equal(await sqStore.append(many));

      const size = await sqStore.size();
      expect(await pgStore.size()).to.equal(size);
      expect(await allLeaves(pgStore)).to.deep.equal(await allLeaves(sqStore));
      expect(await rawPages(pgStore)).to.deep.equal(await rawPages(sqStore));
      const refs = allNodes(size);
      const hex = (hashes: Uint8Array[]) => hashes.map((h) => Buffer.from(h).toString('hex'));
      expect(hex(await pgStore.nodes(refs))).to.deep.equal(hex(await sqStore.nodes(refs)));
      const pgRoot = await rootHash(size, (r) => pgStore.nodes(r));
      expect(Buffer.from(pgRoot)).to.deep.equal(
        await rootHash(size, (r) => sqStore.nodes(r)).then(Buffer.from),
      );
      expect(Buffer.from(pgRoot)).to.deep.equal(naiveRoot([...records, ...many].map(encodeRecord)));
      expect(await pgStore.leaf(5)).to.deep.equal(await sqStore.leaf(5));
      expect(await pgStore.leaf(size)).to.equal(undefined);
      expect(await pgStore.leaf(-1)).to.equal(undefined);

      const filters: TransferFilter[] = [
        { limit: 1000 },
        { limit: 7 },
        { consumer: 'ags:02', limit: 1000 },
        { provider: 'psw:01', purpose: 'wohngeld', limit: 1000 },
        { evidenceType: 'meldebescheinigung', outcomes: ['intent'], limit: 50 },
        { subjectRef: 'subject-3', limit: 1000 },
        {
          from: new Date(T0 + 20 * HOUR).toISOString(),
          to: new Date(T0 + 90 * HOUR).toISOString(),
          limit: 1000,
        },
        { from: new Date(T0 + 100 * HOUR).toISOString(), limit: 5, beforeIndex: 200 },
        { to: new Date(T0 + 30 * HOUR).toISOString(), limit: 1000 },
        { from: '2030-01-01T00:00:00.000Z', limit: 10 },
        { participants: ['ags:01', 'psw:02'], limit: 1000 },
        { participants: ['ags:03'], outcomes: ['refused', 'intent'], limit: 9 },
        { consumer: 'nobody', limit: 10 },
        { consumer: 'ags:\u0000', limit: 10 },
      ];
      for (const filter of filters) {
        expect(await pgStore.findRecords(filter), JSON.stringify(filter)).to.deep.equal(
          await sqStore.findRecords(filter),
        );
      }
      const ranges = [
        { from: new Date(T0).toISOString(), to: new Date(T0 + 300 * HOUR).toISOString() },
        { from: new Date(T0 + 5 * HOUR).toISOString(), to: new Date(T0 + 80 * HOUR).toISOString() },
        {
          from: new Date(T0).toISOString(),
          to: new Date(T0 + 300 * HOUR).toISOString(),
          participants: ['ags:02', 'psw:01'],
        },
        { from: '2030-01-01T00:00:00.000Z', to: '2030-02-01T00:00:00.000Z' },
      ];
      for (const range of ranges) {
        const counts = await sqStore.countTransfers(range);
        expect(counts.length).to.be.greaterThan(range.from.startsWith('2030') ? -1 : 0);
        expect(await pgStore.countTransfers(range), JSON.stringify(range)).to.deep.equal(counts);
      }
      for (const exchangeId of [records[0]!.exchangeId, records[9]!.exchangeId, 'none']) {
        expect(await pgStore.recordsByExchange(exchangeId)).to.deep.equal(
          await sqStore.recordsByExchange(exchangeId),
        );
      }
      for (const options of [{}, { limit: 3 }, { limit: 5, beforeIndex: 100 }, { limit: 5000 }]) {
        expect(await pgStore.recordsBySubject('subject-2', options)).to.deep.equal(
          await sqStore.recordsBySubject('subject-2', options),
        );
      }
      for (const [before, limit] of [
        ['2030-01-01T00:00:00.000Z', 1000],
        [new Date(T0 + 100 * HOUR).toISOString(), 4],
      ] as const) {
        const open = await sqStore.openIntents(before, limit);
        expect(open.length).to.be.greaterThan(0);
        expect(await pgStore.openIntents(before, limit)).to.deep.equal(open);
      }
    });

    it('purges the same records, logs the purge and still verifies', async () => {
      const pg1 = await openPostgres();
      const sq = openSqlite();
      const records = variedRecords();
      await appendBoth(records, [pg1.store, sq.store]);
      await pg1.log.checkpoint();
      const now = '2025-07-01T00:00:00.000Z';
      const dry = await sq.store.purgeRecords(now, { dryRun: true });
      expect(dry).to.be.greaterThan(0);
      expect(await pg1.store.purgeRecords(now, { dryRun: true })).to.equal(dry);
      expect(await pg1.store.size()).to.equal(records.length);
      expect(await pg1.store.purgeRecords(now)).to.equal(await sq.store.purgeRecords(now));
      const pgLeaves = await allLeaves(pg1.store);
      const sqLeaves = await allLeaves(sq.store);
      // The purge record has its own random exchange id: compare all but its id (and so its hash).
      expect(pgLeaves.length).to.equal(records.length + 1);
      expect(pgLeaves.slice(0, -1)).to.deep.equal(sqLeaves.slice(0, -1));
      const purge = (leaf: StoredLeaf) => {
        const { exchangeId: _, ...rest } = JSON.parse(leaf.record!) as TransferRecord;
        return rest;
      };
      expect(purge(pgLeaves.at(-1)!)).to.deep.equal(purge(sqLeaves.at(-1)!));
      expect(purge(pgLeaves.at(-1)!).outcome).to.equal('purged');
      expect(await pg1.log.verifyStored()).to.deep.include({ ok: true, size: records.length + 1 });
      expect(await pg1.store.purgeRecords(now)).to.equal(0);
      // Purged records match no query any more.
      expect(await pg1.store.findRecords({ limit: 1000 })).to.deep.equal(
        await sq.store.findRecords({ limit: 1000 }),
      );
      expect(await pg1.store.recordsBySubject('subject-0')).to.deep.equal(
        await sq.store.recordsBySubject('subject-0'),
      );
      expect(await codeOf(pg1.store.purgeRecords('not a date'))).to.equal('ERR_INTERNAL');
    });
  });

  describe('append', () => {
    it('gives two gateway instances on one database gap-free, unique indexes in one tree', async () => {
      const a = await openPostgres();
      const b = await openPostgres();
      const records = Array.from({ length: 400 }, () => sampleRecord());
      const pending: Promise<{ index: number; leafHash: string }>[] = [];
      // Interleaved: a burst on one, a burst on the other, some calls in the same turn, some later.
      for (let i = 0; i < 400; i += 20) {
        const log = (i / 20) % 2 === 0 ? a.log : b.log;
        const other = log === a.log ? b.log : a.log;
        for (let k = 0; k < 10; k++) pending.push(log.append(records[i + k]!));
        for (let k = 10; k < 20; k++) pending.push(other.append(records[i + k]!));
        if (i % 60 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const leaves = await Promise.all(pending);
      expect([...leaves.map((l) => l.index)].sort((x, y) => x - y)).to.deep.equal(
        Array.from({ length: 400 }, (_, i) => i),
      );
      expect(await a.store.size()).to.equal(400);
      // Each leaf holds the record its append was given.
      for (const [k, leaf] of leaves.entries()) {
        const stored = await b.store.leaf(leaf.index);
        expect(stored!.leafHash).to.equal(leaf.leafHash);
        expect(stored!.record).to.equal(Buffer.from(encodeRecord(records[k]!)).toString('utf8'));
      }
      await a.log.checkpoint();
      expect(await b.log.verifyStored()).to.deep.equal({ ok: true, size: 400, checkpointSize: 400 });
      // 200 calls of one instance resolve with their batch: in argument order within each.
      const ordered = await Promise.all(Array.from({ length: 200 }, () => b.store.append([sampleRecord()])));
      expect(ordered.map((l) => l[0]!.index)).to.deep.equal(Array.from({ length: 200 }, (_, i) => 400 + i));
    });

    it('keeps one gap-free tree while one instance purges and another appends', async () => {
      const a = await openPostgres();
      const b = await openPostgres();
      const old = Array.from({ length: 300 }, () =>
        sampleRecord({ retentionUntil: '2024-01-01T00:00:00.000Z' }),
      );
      await Promise.all(old.map((r) => a.store.append([r])));
      const [purged, leaves] = await Promise.all([
        a.store.purgeRecords('2025-01-01T00:00:00.000Z'),
        Promise.all(Array.from({ length: 200 }, () => b.store.append([sampleRecord()]))),
      ]);
      expect(purged).to.equal(300);
      const size = await b.store.size();
      expect(size).to.equal(501); // 300 old, 200 new, one purge record
      expect(leaves.map((l) => l[0]!.index).every((i) => i >= 300 && i < 501)).to.equal(true);
      expect(await a.log.verifyStored()).to.deep.include({ ok: true, size: 501 });
    });

    it('keeps records, nodes and checkpoints across a reopen, with proofs as for any RFC 9162 tree', async () => {
      const first = await openPostgres();
      const records = Array.from({ length: 23 }, () => sampleRecord());
      await Promise.all(records.map((r) => first.log.append(r)));
      const cp = await first.log.checkpoint();
      await first.db.close();
      const again = await openPostgres();
      expect(await again.store.latestCheckpoint()).to.deep.equal(cp);
      const more = Array.from({ length: 18 }, () => sampleRecord());
      for (const r of more) await again.log.append(r);
      const all = [...records, ...more].map(encodeRecord);
      const head = await again.log.checkpoint();
      expect(head.rootHash).to.equal(naiveRoot(all).toString('base64url'));
      for (const index of [0, 22, 40]) {
        expect(await again.log.inclusionProof(index, 41)).to.deep.equal(
          naivePath(index, all).map((h) => h.toString('base64url')),
        );
      }
      expect(await again.log.verifyStored()).to.deep.equal({ ok: true, size: 41, checkpointSize: 41 });
    });

    it('refuses checkpoints that go back or cover too much, and appends to a log shorter than its checkpoint', async () => {
      const { store, log } = await openPostgres();
      for (let i = 0; i < 6; i++) await log.append(sampleRecord());
      const cp = await log.checkpoint();
      await store.saveCheckpoint(cp); // the same again: accepted
      expect(await codeOf(store.saveCheckpoint({ ...cp, treeSize: 7 }))).to.equal('ERR_LOG_UNAVAILABLE');
      expect(await codeOf(store.saveCheckpoint({ ...cp, treeSize: 5 }))).to.equal('ERR_LOG_UNAVAILABLE');
      expect(await codeOf(store.saveCheckpoint({ ...cp, rootHash: 'x' }))).to.equal('ERR_LOG_UNAVAILABLE');
      const side = new pg.Client({ connectionString: fresh.url });
      await side.connect();
      await side.query('DELETE FROM transfer_log WHERE idx = 5');
      await side.end();
      expect(await codeOf(store.append([sampleRecord()]))).to.equal('ERR_LOG_UNAVAILABLE');
      expect(await log.verifyStored()).to.deep.include({ ok: false, reason: 'truncated' });
    });

    it('fails only the faulty append of a batch that hits a constraint; the others commit in order', async () => {
      const { store, log } = await openPostgres();
      // A constraint valid records never meet, added behind the store's back, to make one append fail.
      const side = new pg.Client({ connectionString: fresh.url });
      await side.connect();
      await side.query("ALTER TABLE transfer_log ADD CONSTRAINT poison CHECK (purpose <> 'poison')");
      await side.end();
      const records = Array.from({ length: 9 }, (_, i) => sampleRecord(i === 4 ? { purpose: 'poison' } : {}));
      const settled = await Promise.allSettled(records.map((r) => store.append([r])));
      expect(settled.map((s) => s.status)).to.deep.equal([
        ...Array<string>(4).fill('fulfilled'),
        'rejected',
        ...Array<string>(4).fill('fulfilled'),
      ]);
      const failed = settled[4] as PromiseRejectedResult;
      expect((failed.reason as GatewayError).code).to.equal('ERR_LOG_UNAVAILABLE');
      const indexes = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value.map((l) => l.index) : []));
      expect(indexes).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(await store.size()).to.equal(8);
      expect(await log.verifyStored()).to.deep.include({ ok: true, size: 8 });
    });

    it('waits for another writer holding the log lock, and fails the whole batch at once when it waits too long', async () => {
      const db = await PostgresDatabase.open(fresh.url, { statementTimeoutMs: 400 });
      databases.push(db);
      await db.migrate(POSTGRES_TRANSFER_LOG_MIGRATIONS);
      const store = new PostgresTransferLogStore(db);
      await store.append([sampleRecord()]);
      // Another instance in the middle of its append transaction: it holds the writer lock.
      const other = new pg.Client({ connectionString: fresh.url });
      await other.connect();
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1)', [0x6f6f_676c_6f67n.toString()]);
      const started = performance.now();
      const batch = Array.from({ length: 5 }, () => store.append([sampleRecord()]));
      for (const append of batch) expect(await codeOf(append)).to.equal('ERR_LOG_UNAVAILABLE');
      // One wait for the batch, not one per append.
      expect(performance.now() - started).to.be.below(1_500);
      // A short hold is waited out.
      const waiting = store.append([sampleRecord()]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await other.query('COMMIT');
      await other.end();
      expect((await waiting)[0]!.index).to.equal(1);
    });

    it('logs a record whose text holds U+0000, finds it by that value, and still verifies', async () => {
      const pgCtx = await openPostgres();
      const sq = openSqlite();
      const odd = [sampleRecord({ consumer: 'ags:\u0000', purpose: 'a\u0000b' }), sampleRecord()];
      await appendBoth(odd, [pgCtx.store, sq.store]);
      const filter = { consumer: 'ags:\u0000', limit: 10 };
      expect(await pgCtx.store.findRecords(filter)).to.have.length(1);
      expect(await pgCtx.store.findRecords(filter)).to.deep.equal(await sq.store.findRecords(filter));
      expect(await pgCtx.log.verifyStored()).to.deep.include({ ok: true, size: 2 });
    });
  });

  describe('open intents', () => {
    it('opens with an intent and closes with the outcome, within one batch and across batches', async () => {
      const pgCtx = await openPostgres();
      const sq = openSqlite();
      const a = sampleRecord({ outcome: 'intent' });
      const b = sampleRecord({ outcome: 'intent' });
      const c = sampleRecord({ outcome: 'intent' });
      const stores = [pgCtx.store, sq.store];
      // One batch: a opens, a closes, a opens again (a retry under the same id); b opens twice (kept first).
      await appendBoth(
        [
          a,
          { ...a, outcome: 'released' },
          { ...a, time: '2025-01-01T00:01:00.000Z' },
          b,
          { ...b, time: '2025-01-01T00:02:00.000Z' },
          c,
        ],
        stores,
        10,
      );
      // Another batch: c closes, b gets a retention extension (not an outcome).
      await appendBoth(
        [
          { ...c, outcome: 'refused', code: 'ERR_POLICY_DENIED' },
          { ...b, outcome: 'retention-extended' },
        ],
        stores,
      );
      const open = await sq.store.openIntents('2030-01-01T00:00:00.000Z', 100);
      expect(open.map((l) => l.index)).to.deep.equal([3, 2]);
      expect(await pgCtx.store.openIntents('2030-01-01T00:00:00.000Z', 100)).to.deep.equal(open);
      // Closed in a later batch, by the other instance.
      const other = await openPostgres();
      await other.store.append([{ ...b, outcome: 'withheld' }]);
      expect(
        (await pgCtx.store.openIntents('2030-01-01T00:00:00.000Z', 100)).map((l) => l.index),
      ).to.deep.equal([2]);
    });
  });

  describe('an unavailable database', () => {
    it('rejects appends and reads with ERR_LOG_UNAVAILABLE once the pool is closed', async () => {
      const { db, store, log } = await openPostgres();
      await log.append(sampleRecord());
      await db.close();
      expect(await codeOf(store.append([sampleRecord()]))).to.equal('ERR_LOG_UNAVAILABLE');
      expect(await codeOf(log.append(sampleRecord()))).to.equal('ERR_LOG_UNAVAILABLE');
      expect(await codeOf(store.size())).to.equal('ERR_LOG_UNAVAILABLE');
      expect(await codeOf(store.nodes([{ level: 0, index: 0 }]))).to.equal('ERR_LOG_UNAVAILABLE');
    });

    it('rejects every append of a batch with ERR_LOG_UNAVAILABLE once the database is dropped', async () => {
      const { store, log } = await openPostgres();
      await log.append(sampleRecord());
      await fresh.drop();
      const batch = Array.from({ length: 20 }, () => store.append([sampleRecord()]));
      for (const append of batch) expect(await codeOf(append)).to.equal('ERR_LOG_UNAVAILABLE');
      expect(await codeOf(store.findRecords({ limit: 10 }))).to.equal('ERR_LOG_UNAVAILABLE');
      expect(await codeOf(store.purgeRecords('2030-01-01T00:00:00.000Z'))).to.equal('ERR_LOG_UNAVAILABLE');
      expect(await codeOf(store.saveCheckpoint({ treeSize: 1, rootHash: 'x', time: 1, jws: 'x' }))).to.equal(
        'ERR_LOG_UNAVAILABLE',
      );
    });
  });
});
