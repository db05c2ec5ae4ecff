import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SqliteDatabase } from '../../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from '../../gateway/adapters/sqlite/sqlite-transfer-log-store.js';
import { GatewayError } from '../../gateway/core/errors.js';
import type { TransferRecord } from '../../gateway/core/ports.js';
import {
  createTransferLog,
  encodeRecord,
  leafHash,
  verifyInclusion,
  verifyReceipt,
} from '../../gateway/core/transfer-log/index.js';
import { ecSigner, manualClock, sampleRecord } from '../unit/transfer-log/helpers/memory-store.js';
import { naiveConsistency, naivePath, naiveRoot } from '../unit/transfer-log/helpers/naive-merkle.js';

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

describe('SqliteTransferLogStore', () => {
  let dir: string;
  let file: string;
  const open: SqliteDatabase[] = [];
  const side: Database.Database[] = [];
  const signer = ecSigner();

  function openLog(path = file, options: { readonly?: boolean } = {}) {
    const db = new SqliteDatabase(path, options);
    open.push(db);
    const store = new SqliteTransferLogStore(db);
    const log = createTransferLog({ store, signer, clock: manualClock(), gatewayId: GATEWAY });
    return { db, store, log };
  }

  /** A second, independent connection: what someone with write access to the file could do. */
  function sideConnection(path = file): Database.Database {
    const conn = new Database(path);
    side.push(conn);
    return conn;
  }

  async function filledLog(count: number) {
    const ctx = openLog();
    const records = Array.from({ length: count }, () => sampleRecord());
    const leaves = await Promise.all(records.map((r) => ctx.log.append(r)));
    await ctx.log.checkpoint();
    return { ...ctx, records, leaves };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oog-log-'));
    file = join(dir, 'gateway.db');
  });

  afterEach(() => {
    for (const c of side.splice(0)) c.close();
    for (const d of open.splice(0)) d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('append', () => {
    it('assigns gap-free indexes in order to 500 concurrent appends', async () => {
      const { log, store } = openLog();
      const records = Array.from({ length: 500 }, () => sampleRecord());
      const leaves = await Promise.all(records.map((r) => log.append(r)));
      expect(leaves.map((l) => l.index)).to.deep.equal(records.map((_, i) => i));
      // The same through the port directly: 500 separate store calls, one group commit.
      const direct = await Promise.all(records.map((r) => store.append([r])));
      expect(direct.map((d) => d[0]!.index)).to.deep.equal(records.map((_, i) => 500 + i));
      expect(await store.size()).to.equal(1000);
      for (const i of [0, 499, 500, 999]) {
        const leaf = await store.leaf(i);
        expect(leaf!.record).to.equal(Buffer.from(encodeRecord(records[i % 500]!)).toString('utf8'));
      }
    });

    it('keeps records, nodes and checkpoints across a reopen, and continues the same tree', async () => {
      const first = await filledLog(23);
      const cp = await first.log.checkpoint();
      first.db.close();

      const again = openLog();
      expect(await again.store.size()).to.equal(23);
      expect(await again.store.latestCheckpoint()).to.deep.equal(cp);
      const more = Array.from({ length: 18 }, () => sampleRecord());
      for (const r of more) await again.log.append(r);
      const all = [...first.records, ...more].map(encodeRecord);
      const head = await again.log.checkpoint();
      expect(head.treeSize).to.equal(41);
      expect(head.rootHash).to.equal(naiveRoot(all).toString('base64url'));
      for (const index of [0, 7, 22, 23, 40]) {
        expect(await again.log.inclusionProof(index, 41)).to.deep.equal(
          naivePath(index, all).map((h) => h.toString('base64url')),
        );
      }
      expect(await again.log.consistencyProof(23, 41)).to.deep.equal(
        naiveConsistency(23, all).map((h) => h.toString('base64url')),
      );
      expect(await again.log.verifyStored()).to.deep.equal({ ok: true, size: 41, checkpointSize: 41 });
    });

    it('rejects appends on a read-only database, with ERR_LOG_UNAVAILABLE, and still serves reads', async () => {
      const { db } = await filledLog(3);
      db.close();
      const ro = openLog(file, { readonly: true });
      expect(await codeOf(ro.store.append([sampleRecord()]))).to.equal('ERR_LOG_UNAVAILABLE');
      expect(await codeOf(ro.log.append(sampleRecord()))).to.equal('ERR_LOG_UNAVAILABLE');
      expect(await ro.store.size()).to.equal(3);
      expect((await ro.log.verifyStored()).ok).to.equal(true);
    });

    it('rejects appends once the database file is gone, with ERR_LOG_UNAVAILABLE', async () => {
      const { log } = await filledLog(2);
      rmSync(file);
      expect(await codeOf(log.append(sampleRecord()))).to.equal('ERR_LOG_UNAVAILABLE');
    });

    it('refuses to append to a log shorter than its last checkpoint, with ERR_LOG_UNAVAILABLE', async () => {
      const { store } = await filledLog(6);
      sideConnection().prepare('DELETE FROM transfer_log WHERE idx = 5').run();
      expect(await codeOf(store.append([sampleRecord()]))).to.equal('ERR_LOG_UNAVAILABLE');
    });
  });

  describe('nodes', () => {
    it('answers in argument order for mixed point and run reads, and refuses a missing node', async () => {
      const { store, records } = await filledLog(64);
      const all = records.map(encodeRecord);
      const refs = [
        ...Array.from({ length: 20 }, (_, i) => ({ level: 0, index: 40 - i })),
        { level: 3, index: 5 },
        ...Array.from({ length: 12 }, (_, i) => ({ level: 1, index: i })),
        { level: 6, index: 0 },
        { level: 0, index: 3 },
      ];
      const expected = refs.map((r) =>
        naiveRoot(all.slice(r.index * 2 ** r.level, (r.index + 1) * 2 ** r.level)),
      );
      expect((await store.nodes(refs)).map((h) => Buffer.from(h).toString('hex'))).to.deep.equal(
        expected.map((h) => h.toString('hex')),
      );
      expect(await codeOf(store.nodes([...refs, { level: 0, index: 64 }]))).to.equal('ERR_LOG_UNAVAILABLE');
      const run = Array.from({ length: 16 }, (_, i) => ({ level: 0, index: 56 + i }));
      expect(await codeOf(store.nodes(run))).to.equal('ERR_LOG_UNAVAILABLE');
    });
  });

  describe('saveCheckpoint', () => {
    it('refuses a checkpoint smaller, older or larger than the log, with ERR_LOG_UNAVAILABLE', async () => {
      const { store, log } = await filledLog(5);
      const cp = await log.checkpoint();
      expect(await codeOf(store.saveCheckpoint({ ...cp, treeSize: 4 }))).to.equal('ERR_LOG_UNAVAILABLE');
      await store.append([sampleRecord()]);
      expect(await codeOf(store.saveCheckpoint({ ...cp, treeSize: 6, time: cp.time - 1 }))).to.equal(
        'ERR_LOG_UNAVAILABLE',
      );
      expect(await codeOf(store.saveCheckpoint({ ...cp, treeSize: 7, time: cp.time + 1 }))).to.equal(
        'ERR_LOG_UNAVAILABLE',
      );
      expect(await codeOf(store.saveCheckpoint({ ...cp, rootHash: 'A'.repeat(43) }))).to.equal(
        'ERR_LOG_UNAVAILABLE',
      );
      expect(await store.latestCheckpoint()).to.deep.equal(cp);
      const next = await log.checkpoint();
      expect(next.treeSize).to.equal(6);
      expect(next.time).to.be.at.least(cp.time);
    });
  });

  describe('verifyStored', () => {
    it('lets the event loop run between pages, so a verification does not stop a serving gateway', async () => {
      const { store, log } = openLog();
      await store.append(Array.from({ length: 20_000 }, () => sampleRecord())); // three pages of leaves
      await log.checkpoint();
      // A counter that moves once per turn of the event loop, read whenever the verification takes a page.
      let turns = 0;
      let spinning = true;
      const spin = () => {
        turns++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      const seen: number[] = [];
      const pages = store.iterateLeafPages.bind(store);
      store.iterateLeafPages = async function* (from: number) {
        for await (const page of pages(from)) {
          seen.push(turns);
          yield page;
        }
      };
      try {
        expect(await log.verifyStored()).to.deep.include({ ok: true, size: 20_000 });
      } finally {
        spinning = false;
      }
      expect(seen.length).to.equal(6); // three pages for the tree, three for the purge check
      // Between two pages the loop turned at least once (an async iterator alone would only run microtasks).
      for (let i = 1; i < seen.length; i++) expect(seen[i]! - seen[i - 1]!, `page ${i}`).to.be.greaterThan(0);
    });

    it('names the record edited through a side connection', async () => {
      const { log, records } = await filledLog(40);
      const edited = JSON.stringify({ ...records[17]!, purpose: 'something-else' });
      sideConnection().prepare('UPDATE transfer_log SET record = ? WHERE idx = 17').run(edited);
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        firstBadIndex: 17,
        reason: 'leaf-hash-mismatch',
      });
    });

    it('names the record edited together with its leaf hash', async () => {
      const { log, records } = await filledLog(40);
      const text = JSON.stringify({ ...records[13]!, consumer: 'ags:00000000' });
      sideConnection()
        .prepare('UPDATE transfer_log SET record = ?, leaf_hash = ? WHERE idx = 13')
        .run(text, leafHash(Buffer.from(text)));
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        firstBadIndex: 13,
        reason: 'node-mismatch',
      });
    });

    it('names a deleted record', async () => {
      const { log } = await filledLog(40);
      sideConnection().prepare('DELETE FROM transfer_log WHERE idx = 29').run();
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        firstBadIndex: 29,
        reason: 'leaf-missing',
      });
    });

    it('names the first of two swapped rows', async () => {
      const { log } = await filledLog(40);
      const conn = sideConnection();
      conn.transaction(() => {
        conn.prepare('UPDATE transfer_log SET idx = -1 WHERE idx = 11').run();
        conn.prepare('UPDATE transfer_log SET idx = 11 WHERE idx = 26').run();
        conn.prepare('UPDATE transfer_log SET idx = 26 WHERE idx = -1').run();
      })();
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        firstBadIndex: 11,
        reason: 'node-mismatch',
      });
    });

    it('names the first of two records whose contents were swapped', async () => {
      const { log } = await filledLog(40);
      const conn = sideConnection();
      const get = conn.prepare<[number], { record: string }>('SELECT record FROM transfer_log WHERE idx = ?');
      const a = get.get(5)!.record;
      const b = get.get(6)!.record;
      conn.prepare('UPDATE transfer_log SET record = ? WHERE idx = ?').run(b, 5);
      conn.prepare('UPDATE transfer_log SET record = ? WHERE idx = ?').run(a, 6);
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        firstBadIndex: 5,
        reason: 'leaf-hash-mismatch',
      });
    });

    it('names a record inserted in the middle', async () => {
      const { log } = await filledLog(40);
      const conn = sideConnection();
      const text = Buffer.from(encodeRecord(sampleRecord())).toString('utf8');
      conn.transaction(() => {
        conn.prepare('UPDATE transfer_log SET idx = -(idx + 1) WHERE idx >= 9').run();
        conn.prepare('UPDATE transfer_log SET idx = -idx WHERE idx < 0').run();
        conn
          .prepare('INSERT INTO transfer_log (idx, leaf_hash, record) VALUES (9, ?, ?)')
          .run(leafHash(Buffer.from(text)), text);
      })();
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        firstBadIndex: 9,
        reason: 'node-mismatch',
      });
    });

    it('names the first leaf under a tampered interior node', async () => {
      const { log } = await filledLog(40);
      sideConnection()
        .prepare('UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 3')
        .run();
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        firstBadIndex: 12,
        reason: 'node-mismatch',
      });
    });

    it('names the first leaf under a deleted node', async () => {
      const { log } = await filledLog(40);
      sideConnection().prepare('DELETE FROM merkle_nodes WHERE level = 1 AND idx = 10').run();
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        firstBadIndex: 20,
        reason: 'node-missing',
      });
    });

    it('detects a log truncated below its last checkpoint', async () => {
      const { log } = await filledLog(40);
      sideConnection().prepare('DELETE FROM transfer_log WHERE idx >= 37').run();
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        size: 37,
        checkpointSize: 40,
        firstBadIndex: 37,
        reason: 'truncated',
      });
    });

    it('detects a consistently rebuilt log by its root', async () => {
      const original = await filledLog(12);
      const cp = await original.store.latestCheckpoint();
      const forgedFile = join(dir, 'forged.db');
      const forged = openLog(forgedFile);
      for (let i = 0; i < 12; i++) await forged.log.append(sampleRecord());
      sideConnection(forgedFile)
        .prepare('INSERT INTO checkpoints (tree_size, root_hash, time, jws) VALUES (?, ?, ?, ?)')
        .run(cp!.treeSize, cp!.rootHash, cp!.time, cp!.jws);
      expect(await forged.log.verifyStored()).to.deep.include({ ok: false, reason: 'root-mismatch' });
    });

    it('still verifies, and proves old leaves, after records were purged', async () => {
      const ctx = openLog();
      const old = sampleRecord({ retentionUntil: '2024-12-31' });
      const kept = sampleRecord({ retentionUntil: '2030-01-01' });
      const leaves = [
        await ctx.log.append(old),
        await ctx.log.append(kept),
        await ctx.log.append(sampleRecord()),
      ];
      expect(await ctx.store.purgeRecords('2025-06-01')).to.equal(1);
      expect((await ctx.store.leaf(0))!.record).to.equal(null);
      expect((await ctx.store.leaf(1))!.record).to.not.equal(null);
      expect(await ctx.log.verifyStored()).to.deep.include({ ok: true, size: 4 }); // with the purge record
      const receipt = await ctx.log.issueReceipt({ exchangeId: old.exchangeId, leaf: leaves[0]! });
      expect((await verifyReceipt(receipt, signer.publicKey)).ok).to.equal(true);
    });
  });

  describe('receipts', () => {
    it('issues receipts from the SQLite tree that verify offline and fail when tampered', async () => {
      const { log, records, leaves } = await filledLog(77);
      const receipt = await log.issueReceipt({ exchangeId: records[45]!.exchangeId, leaf: leaves[45]! });
      const result = await verifyReceipt(receipt, signer.publicKey, { issuer: GATEWAY });
      expect(result.ok).to.equal(true);
      const [h, p, s] = receipt.split('.') as [string, string, string];
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
      const tampered = Buffer.from(
        JSON.stringify({ ...payload, exchangeId: records[44]!.exchangeId }),
      ).toString('base64url');
      expect((await verifyReceipt(`${h}.${tampered}.${s}`, signer.publicKey)).ok).to.equal(false);
      if (result.ok) {
        const all = records.map(encodeRecord);
        const proof = result.receipt.inclusionProof.map((x) => Buffer.from(x, 'base64url'));
        expect(
          verifyInclusion(
            45,
            result.checkpoint.treeSize,
            leafHash(all[45]!),
            proof,
            naiveRoot(all.slice(0, result.checkpoint.treeSize)),
          ),
        ).to.equal(true);
      }
    });
  });

  describe('reads for the DPO and citizen views', () => {
    it('finds the records of one exchange and of one subject through their indexes', async () => {
      const { store } = openLog();
      const intent = sampleRecord({ outcome: 'intent', subjectRef: 'subject-x' });
      await store.append([intent, sampleRecord({ subjectRef: 'subject-y' })]);
      await store.append([
        { ...intent, outcome: 'released' } as TransferRecord,
        sampleRecord({ subjectRef: 'subject-x' }),
      ]);
      const byExchange = await store.recordsByExchange(intent.exchangeId);
      expect(byExchange.map((l) => l.index)).to.deep.equal([0, 2]);
      const bySubject = await store.recordsBySubject('subject-x');
      expect(bySubject.map((l) => l.index)).to.deep.equal([3, 2, 0]);
      expect(
        (await store.recordsBySubject('subject-x', { limit: 1, beforeIndex: 3 })).map((l) => l.index),
      ).to.deep.equal([2]);
      const conn = sideConnection();
      const plan = conn
        .prepare('EXPLAIN QUERY PLAN SELECT idx FROM transfer_log WHERE exchange_id = ?')
        .all('x') as { detail: string }[];
      expect(plan.map((r) => r.detail).join(' ')).to.contain('transfer_log_exchange');
      const row = conn
        .prepare(
          'SELECT consumer, provider, evidence_type, purpose, outcome, subject_ref FROM transfer_log WHERE idx = 2',
        )
        .get();
      expect(row).to.deep.equal({
        consumer: intent.consumer,
        provider: intent.provider,
        evidence_type: intent.evidenceType,
        purpose: intent.purpose,
        outcome: 'released',
        subject_ref: 'subject-x',
      });
    });
  });
  describe('countTransfers', () => {
    it('counts final records per UTC hour, outcome, purpose and code across several query windows, for a period and a participant', async () => {
      const { store } = openLog();
      const day = (d: number, h: number) => new Date(Date.UTC(2026, 0, d, h, 30)).toISOString();
      const records: TransferRecord[] = [];
      for (let d = 1; d <= 10; d++) {
        records.push(sampleRecord({ time: day(d, 9), outcome: 'intent' }));
        records.push(sampleRecord({ time: day(d, 9) }));
        records.push(sampleRecord({ time: day(d, 9), consumer: 'ags:09999002', purpose: 'elterngeld' }));
        records.push(sampleRecord({ time: day(d, 23), outcome: 'refused', code: 'ERR_CONSENT_MISSING' }));
      }
      await store.append(records);
      const all = await store.countTransfers({ from: day(1, 0), to: day(11, 0) });
      const total = (rows: typeof all, match: (r: (typeof all)[number]) => boolean) =>
        rows.filter(match).reduce((sum, r) => sum + r.count, 0);
      expect(total(all, () => true)).to.equal(30); // intent is not final
      expect(total(all, (r) => r.outcome === 'refused' && r.code === 'ERR_CONSENT_MISSING')).to.equal(10);
      expect(total(all, (r) => r.purpose === 'elterngeld')).to.equal(10);
      expect(all.find((r) => r.hour === '2026-01-05T23')).to.deep.include({ outcome: 'refused', count: 1 });
      // Every (hour, outcome, purpose, code) once, although the period spans four query windows.
      const keys = all.map((r) => `${r.hour}|${r.outcome}|${r.purpose}|${r.code}`);
      expect(new Set(keys).size).to.equal(keys.length);
      const part = await store.countTransfers({ from: day(3, 0), to: day(5, 0) });
      expect(total(part, () => true)).to.equal(6);
      const limited = await store.countTransfers({
        from: day(1, 0),
        to: day(11, 0),
        participants: ['ags:09999002'],
      });
      expect(total(limited, () => true)).to.equal(10);
    });
  });
});
