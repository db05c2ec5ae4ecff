/**
 * Retention of the transfer log (DESIGN.md "Retention", issue 4 item 6) on real SQLite with the example gateway
 * key: the store's purge, `oog log purge` and `oog log retain`, the CLI next to a writing gateway, and the
 * gateway's scheduled purge.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, renameSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { loadConfig } from '../../gateway/config.js';
import type { TransferRecord } from '../../gateway/core/ports.js';
import type { SqliteTransferLogStore } from '../../gateway/adapters/sqlite/sqlite-transfer-log-store.js';
import {
  consistencyProof,
  verifyCheckpointConsistency,
  verifyReceipt,
} from '../../gateway/core/transfer-log/index.js';
import { createLogger } from '../../gateway/log.js';
import { startGateway } from '../../gateway/main.js';
import { fromRoot } from '../../gateway/paths.js';
import { sampleRecord } from '../unit/transfer-log/helpers/memory-store.js';
import { gatewayPublicKey, openGatewayLog, runLog, type Ran } from '../helpers/gateway-log.js';

function oogProcess(dataDir: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [fromRoot('bin/oog.js'), ...args],
      { cwd: fromRoot('.'), env: { ...process.env, OOG_DATA_DIR: dataDir }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stdout,
          stderr,
        }),
    );
  });
}

async function proofFrom(store: SqliteTransferLogStore, first: number, second: number) {
  return (await consistencyProof(first, second, (refs) => store.nodes(refs))).map((h) =>
    Buffer.from(h).toString('base64url'),
  );
}

/** One exchange: intent and outcome, both retained until `until`. */
function exchange(until: string): TransferRecord[] {
  const released = sampleRecord({ retentionUntil: until });
  return [{ ...released, outcome: 'intent' }, released];
}

describe('transfer log retention', function () {
  this.timeout(60_000);
  let dir: string;
  const cleanups: (() => unknown)[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oog-retention-'));
  });
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
    rmSync(dir, { recursive: true, force: true });
  });

  function open() {
    const ctx = openGatewayLog(dir);
    cleanups.push(() => ctx.db.close());
    return ctx;
  }

  /** Expired (2024), kept (2030) and extended-later exchanges, with a receipt and checkpoint taken before. */
  async function filled() {
    const ctx = open();
    const expired = [exchange('2024-06-30T00:00:00.000Z'), exchange('2024-12-31T00:00:00.000Z')];
    const kept = exchange('2030-01-01T00:00:00.000Z');
    const all = [...expired.flat(), ...kept];
    const leaves = await Promise.all(all.map((r) => ctx.log.append(r)));
    const receipts = await Promise.all(
      all.map((r, i) => ctx.log.issueReceipt({ exchangeId: r.exchangeId, leaf: leaves[i]! })),
    );
    const before = await ctx.log.checkpoint();
    return { ...ctx, expired, kept, all, leaves, receipts, before };
  }

  async function contents(store: ReturnType<typeof open>['store']) {
    const out: (string | null)[] = [];
    for await (const leaf of store.iterateLeaves(0)) out.push(leaf.record);
    return out;
  }

  describe('SqliteTransferLogStore.purgeRecords', () => {
    it('removes only the content of records whose retention ended, keeping hashes, proofs and receipts', async () => {
      const { store, log, all, receipts, before } = await filled();
      const hashesBefore = (await Promise.all(all.map((_, i) => store.leaf(i)))).map((l) => l!.leafHash);
      expect(await store.purgeRecords('2025-06-01T00:00:00.000Z')).to.equal(4);
      const records = await contents(store);
      // …and the purge record, appended in the same write.
      expect(records.map((r) => r === null)).to.deep.equal([true, true, true, true, false, false, false]);
      const hashesAfter = (await Promise.all(all.map((_, i) => store.leaf(i)))).map((l) => l!.leafHash);
      expect(hashesAfter).to.deep.equal(hashesBefore);
      expect(await log.verifyStored()).to.deep.include({ ok: true, size: 7 });
      // Receipts issued before the purge still verify, and new ones can be issued for purged leaves.
      for (const receipt of receipts)
        expect((await verifyReceipt(receipt, gatewayPublicKey())).ok).to.equal(true);
      const again = await log.issueReceipt({
        exchangeId: all[0]!.exchangeId,
        leaf: { index: 0, leafHash: hashesBefore[0]! },
      });
      expect((await verifyReceipt(again, gatewayPublicKey())).ok).to.equal(true);
      // A purge changes no root: the checkpoint of before is still the head, and is consistent with a later one.
      await log.append(sampleRecord());
      const after = await log.checkpoint();
      const consistent = await verifyCheckpointConsistency(
        before.jws,
        after.jws,
        (a, b) => log.consistencyProof(a, b),
        gatewayPublicKey(),
      );
      expect(consistent.ok).to.equal(true);
      // Nothing more to purge the second time.
      expect(await store.purgeRecords('2025-06-01T00:00:00.000Z')).to.equal(0);
    });

    it('changes nothing on a dry run and reports what a purge would remove', async () => {
      const { store } = await filled();
      const before = await contents(store);
      expect(await store.purgeRecords('2025-06-01T00:00:00.000Z', { dryRun: true })).to.equal(4);
      expect(await store.purgeRecords('2031-01-01T00:00:00.000Z', { dryRun: true })).to.equal(6);
      expect(await contents(store)).to.deep.equal(before);
    });

    it('keeps every record of an exchange while one of them is retained longer', async () => {
      const { store, expired } = await filled();
      const ctx = { store };
      // The second expired exchange got an extension (as `oog log retain` writes it) before it ended.
      await open().log.append({
        ...sampleRecord({ exchangeId: expired[1]![0]!.exchangeId }),
        outcome: 'retention-extended',
        reason: 'court order',
        retentionUntil: '2032-01-01T00:00:00.000Z',
      });
      expect(await ctx.store.purgeRecords('2025-06-01T00:00:00.000Z')).to.equal(2);
      expect((await contents(store)).map((r) => r === null)).to.deep.equal([
        true,
        true,
        false,
        false,
        false,
        false,
        false,
        false, // the purge record
      ]);
      // Once the extension ends too, the exchange goes with it.
      expect(await ctx.store.purgeRecords('2032-06-01T00:00:00.000Z')).to.equal(5);
    });

    it('purges across many write windows, each logged by its purge record, and leaves a log that verifies', async () => {
      const { store, log } = open();
      const records = Array.from({ length: 20_000 }, (_, i) =>
        sampleRecord({
          retentionUntil: i % 2 === 0 ? '2024-01-01T00:00:00.000Z' : '2030-01-01T00:00:00.000Z',
        }),
      );
      for (let i = 0; i < records.length; i += 2000) await store.append(records.slice(i, i + 2000));
      await log.checkpoint();
      expect(await store.purgeRecords('2025-01-01T00:00:00.000Z')).to.equal(10_000);
      expect((await store.leaf(19_998))!.record).to.equal(null);
      expect((await store.leaf(19_999))!.record).to.not.equal(null);
      // One purge record per window of 8,192 leaves, together naming exactly the erased leaves.
      const named: number[] = [];
      for (let i = 20_000; i < 20_003; i++) {
        const { purged } = JSON.parse((await store.leaf(i))!.record!) as TransferRecord;
        for (const [first, count] of purged!.leaves)
          named.push(...Array.from({ length: count }, (_, k) => first + k));
      }
      expect(named).to.deep.equal(Array.from({ length: 10_000 }, (_, k) => 2 * k));
      expect(await store.size()).to.equal(20_003);
      expect(await log.verifyStored()).to.deep.include({ ok: true, size: 20_003 });
    });
  });

  describe('oog log purge and oog log retain', () => {
    it('purges with exit 0 and oog log verify still passes; a dry run changes nothing', async () => {
      const { store, db } = await filled();
      const before = await contents(store);
      let run = await runLog(['purge', '--data-dir', dir, '--dry-run']);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^dry run: 4 records/);
      run = await runLog(['purge', '--data-dir', dir, '--dry-run', '--as-of', '2030-06-01']);
      expect(run.stdout).to.match(/^dry run: 6 records/);
      expect(await contents(store)).to.deep.equal(before);
      run = await runLog(['purge', '--data-dir', dir]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^purged 4 records/);
      db.close();
      run = await runLog(['verify', '--data-dir', dir]);
      expect(run.code, run.stderr).to.equal(0);
    });

    it('refuses --as-of without --dry-run and a directory without a store, with exit 2', async () => {
      await filled();
      expect((await runLog(['purge', '--data-dir', dir, '--as-of', '2030-01-01'])).code).to.equal(2);
      expect((await runLog(['purge', '--data-dir', dir, '--dry-run', '--as-of', 'later'])).code).to.equal(2);
      expect((await runLog(['purge', '--data-dir', join(dir, 'nothing-here')])).code).to.equal(2);
      expect(
        (
          await runLog([
            'retain',
            'x',
            '--until',
            '2031-01-01',
            '--reason',
            'r',
            '--data-dir',
            join(dir, 'none'),
          ])
        ).code,
      ).to.equal(2);
    });

    it('retains an exchange: the extension is logged, signed into a checkpoint, and the purge keeps it', async () => {
      const { store, kept, before } = await filled();
      const id = kept[0]!.exchangeId;
      const run = await runLog([
        'retain',
        id,
        '--until',
        '2035-12-31',
        '--reason',
        'Az. 1 K 23/25, VG Berlin',
        '--data-dir',
        dir,
      ]);
      expect(run.code, run.stderr).to.equal(0);
      const leaf = (await store.leaf(6))!;
      expect(JSON.parse(leaf.record!)).to.deep.include({
        exchangeId: id,
        outcome: 'retention-extended',
        retentionUntil: '2035-12-31T00:00:00.000Z',
        reason: 'Az. 1 K 23/25, VG Berlin',
        actor: 'oog-cli',
      });
      const head = (await store.latestCheckpoint())!;
      expect(head.treeSize).to.equal(7);
      expect(
        (
          await verifyCheckpointConsistency(
            before.jws,
            head.jws,
            (a, b) => proofFrom(store, a, b),
            gatewayPublicKey(),
          )
        ).ok,
      ).to.equal(true);
      // As of 2031 the unextended exchanges would go, the extended one stays.
      const dry = await runLog(['purge', '--data-dir', dir, '--dry-run', '--as-of', '2031-01-01']);
      expect(dry.stdout).to.match(/^dry run: 4 records/);
    });

    it('refuses bad retain requests with exit 1 and their code, logging nothing', async () => {
      const { store, kept, expired } = await filled();
      const id = kept[0]!.exchangeId;
      const cases: [string[], string][] = [
        [['no-such-exchange', '--until', '2035-01-01', '--reason', 'r'], 'ERR_NOT_FOUND'],
        [[id, '--until', '2029-01-01', '--reason', 'r'], 'ERR_REQUEST_MALFORMED'],
        [[id, '--until', '31.12.2035', '--reason', 'r'], 'ERR_REQUEST_MALFORMED'],
        [[id, '--until', '2035-01-01', '--reason', ''], 'ERR_REQUEST_MALFORMED'],
        [[expired[0]![0]!.exchangeId, '--until', '2035-01-01', '--reason', 'r'], 'ERR_REQUEST_MALFORMED'],
      ];
      for (const [args, code] of cases) {
        const run = await runLog(['retain', ...args, '--data-dir', dir]);
        expect(run.code, args.join(' ')).to.equal(1);
        expect(run.stderr, args.join(' ')).to.match(new RegExp(`^FAILED: ${code}\\b`));
      }
      for (const args of [
        [id, '--until', '2035-01-01'],
        [id, '--reason', 'r'],
        ['--until', '2035-01-01', '--reason', 'r'],
      ]) {
        expect((await runLog(['retain', ...args, '--data-dir', dir])).code, args.join(' ')).to.equal(2);
      }
      expect(await store.size()).to.equal(6);
    });

    it('appends gap-free next to a gateway process that is writing, and the log verifies after', async () => {
      const { store, log, kept } = await filled();
      // The "gateway": this process, appending through its own connection while the CLI runs as a child process.
      let writing = true;
      let written = 0;
      const writer = (async () => {
        while (writing) {
          await Promise.all(Array.from({ length: 5 }, () => log.append(sampleRecord())));
          written += 5;
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      const [retained, purged] = await Promise.all([
        oogProcess(dir, ['log', 'retain', kept[0]!.exchangeId, '--until', '2035-01-01', '--reason', 'audit']),
        oogProcess(dir, ['log', 'purge']),
      ]);
      writing = false;
      await writer;
      expect(retained.code, retained.stderr).to.equal(0);
      expect(purged.code, purged.stderr).to.equal(0);
      expect(purged.stdout).to.match(/^purged 4 records/);
      expect(written).to.be.greaterThan(0);
      expect(await store.size()).to.equal(6 + written + 2);
      let expected = 0;
      let extensions = 0;
      let purges = 0;
      for await (const leaf of store.iterateLeaves(0)) {
        expect(leaf.index).to.equal(expected++);
        if (leaf.record?.includes('"retention-extended"')) extensions++;
        if (leaf.record?.includes('"outcome":"purged"')) purges++;
      }
      expect([extensions, purges]).to.deep.equal([1, 1]);
      await log.checkpoint();
      expect(await log.verifyStored()).to.deep.include({ ok: true, size: 6 + written + 2 });
    });
  });

  describe('a purge is provable (issue 11 item 4)', () => {
    /** What someone with write access to the file could do: erase a record's content directly. */
    function eraseWithSql(...indexes: number[]) {
      const side = new Database(join(dir, 'gateway.db'));
      try {
        for (const i of indexes) side.prepare('UPDATE transfer_log SET record = NULL WHERE idx = ?').run(i);
      } finally {
        side.close();
      }
    }

    /** What the full verification found wrong: its reason and first bad index. */
    async function failureOf(log: ReturnType<typeof open>['log']) {
      const result = await log.verifyStored();
      expect(result.ok).to.equal(false);
      return [result.reason, result.firstBadIndex];
    }

    async function recordAt(store: SqliteTransferLogStore, index: number) {
      return JSON.parse((await store.leaf(index))!.record!) as Record<string, unknown>;
    }

    it('fails oog log verify with exit 1 and purge-unrecorded for a record erased with SQL years before its retention ends', async () => {
      const { log, db } = await filled();
      // Leaf 5 is the kept exchange's outcome, retained until 2030.
      eraseWithSql(5);
      expect(await failureOf(log)).to.deep.equal(['purge-unrecorded', 5]);
      db.close();
      const run = await runLog(['verify', '--data-dir', dir]);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.match(/^FAILED: purge-unrecorded\b/);
    });

    it('logs a purge as a purge record in the same write, signs a checkpoint over it, and oog log verify passes', async () => {
      const { store, before } = await filled();
      const run = await runLog(['purge', '--data-dir', dir]);
      expect(run.code, run.stderr).to.equal(0);
      expect(await store.size()).to.equal(7);
      const record = await recordAt(store, 6);
      expect(record).to.deep.include({
        v: 1,
        outcome: 'purged',
        authenticated: false,
        purged: { leaves: [[0, 4]], retainedUntil: '2024-12-31T00:00:00.000Z' },
      });
      expect(record['exchangeId']).to.match(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(Date.parse(String(record['time']))).to.be.closeTo(Date.now(), 60_000);
      expect(record).to.not.have.any.keys('subjectRef', 'retentionUntil', 'consumer');
      // The CLI signed a checkpoint covering the purge record, consistent with the one before the purge.
      const head = (await store.latestCheckpoint())!;
      expect(head.treeSize).to.equal(7);
      const consistent = await verifyCheckpointConsistency(
        before.jws,
        head.jws,
        (a, b) => proofFrom(store, a, b),
        gatewayPublicKey(),
      );
      expect(consistent.ok).to.equal(true);
      expect((await runLog(['verify', '--data-dir', dir])).code).to.equal(0);
      // The purge record itself is never due: nothing more to purge, even long after.
      expect(await store.purgeRecords('2099-01-01T00:00:00.000Z', { dryRun: true })).to.equal(2);
      expect(await store.purgeRecords('2031-01-01T00:00:00.000Z')).to.equal(2);
      expect(await recordAt(store, 7)).to.deep.include({
        outcome: 'purged',
        purged: { leaves: [[4, 2]], retainedUntil: '2030-01-01T00:00:00.000Z' },
      });
      expect((await store.leaf(6))!.record).to.not.equal(null);
    });

    it('detects a record whose retention ended but that was erased with SQL, not purged, as purge-unrecorded', async () => {
      const { store, log } = await filled();
      eraseWithSql(0); // retained until 2024-06-30, so a purge could have erased it
      expect(await failureOf(log)).to.deep.equal(['purge-unrecorded', 0]);
      // A later purge names only what it erased itself: the unrecorded erasure stays detected.
      expect(await store.purgeRecords('2025-06-01T00:00:00.000Z')).to.equal(3);
      expect((await recordAt(store, 6))['purged']).to.deep.include({ leaves: [[1, 3]] });
      expect(await failureOf(log)).to.deep.equal(['purge-unrecorded', 0]);
    });

    it('fails with purge-early when a purge record states a retention end after its own time', async () => {
      const { log } = await filled();
      eraseWithSql(4, 5);
      await log.append({
        v: 1,
        time: '2026-01-01T00:00:00.000Z',
        exchangeId: '0b7e6a4c-1d2f-4e3a-9b8c-7d6e5f4a3b2c',
        outcome: 'purged',
        authenticated: false,
        purged: { leaves: [[4, 2]], retainedUntil: '2030-01-01T00:00:00.000Z' },
      });
      expect(await failureOf(log)).to.deep.equal(['purge-early', 6]);
    });

    it('writes no purge record on a dry run, nor for a purge that erases nothing', async () => {
      const { store } = await filled();
      expect(await store.purgeRecords('2025-06-01T00:00:00.000Z', { dryRun: true })).to.equal(4);
      expect((await runLog(['purge', '--data-dir', dir, '--dry-run'])).code).to.equal(0);
      expect(await store.size()).to.equal(6);
      expect(await store.purgeRecords('2020-01-01T00:00:00.000Z')).to.equal(0);
      expect(await store.size()).to.equal(6);
      expect(await store.purgeRecords('2025-06-01T00:00:00.000Z')).to.equal(4);
      expect(await store.purgeRecords('2025-06-01T00:00:00.000Z')).to.equal(0);
      expect(await store.size()).to.equal(7);
      const run = await runLog(['purge', '--data-dir', dir]);
      expect(run.code, run.stderr).to.equal(0);
      expect(await store.size()).to.equal(7);
    });

    it('logs the erasures a store held from before purges were logged, once, when it is next opened for writing', async () => {
      const { db, log } = await filled();
      // As the purge of earlier versions left it: content gone, no purge record, and no migration yet.
      eraseWithSql(0, 1, 3);
      const side = new Database(join(dir, 'gateway.db'));
      side.prepare("DELETE FROM schema_migrations WHERE id = 'transfer-log/purge-records'").run();
      side.close();
      expect((await log.verifyStored()).reason).to.equal('purge-unrecorded');
      db.close();
      const reopened = open();
      expect(await reopened.store.size()).to.equal(7);
      const record = await recordAt(reopened.store, 6);
      expect(record).to.deep.include({
        outcome: 'purged',
        purged: {
          leaves: [
            [0, 2],
            [3, 1],
          ],
        },
      });
      expect(await reopened.log.verifyStored()).to.deep.include({ ok: true, size: 7 });
      reopened.db.close();
      expect(await open().store.size()).to.equal(7);
    });
  });

  describe('the scheduled purge of the running gateway', () => {
    it('purges expired content on its interval, and logs a failed purge without stopping', async () => {
      const lines: Record<string, unknown>[] = [];
      const destination = new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
            lines.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      });
      const config = loadConfig(
        {},
        { port: 0, host: '127.0.0.1', dataDir: dir, demo: true, logLevel: 'info', purgeIntervalS: 1 },
      );
      const gateway = await startGateway(config, {
        logger: createLogger({ level: 'info', destination }),
        demoPorts: { meldebehoerde: 0, standesamt: 0, idp: 0 },
      });
      cleanups.push(() => gateway.close());
      const records = [...exchange('2024-01-01T00:00:00.000Z'), ...exchange('2099-01-01T00:00:00.000Z')];
      for (const r of records) await gateway.transferLog.append(r);
      const waitFor = async (what: string) => {
        for (let i = 0; i < 60 && !lines.some((l) => l['event'] === what); i++)
          await new Promise((resolve) => setTimeout(resolve, 100));
        return lines.find((l) => l['event'] === what);
      };
      // A purge may run between the two appends and erase the first record alone: count over every purge.
      const purgedSoFar = () =>
        lines.filter((l) => l['event'] === 'log.purged').reduce((n, l) => n + Number(l['purged']), 0);
      for (let i = 0; i < 60 && purgedSoFar() < 2; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(purgedSoFar()).to.equal(2);
      expect((await gateway.logStore.leaf(0))!.record).to.equal(null);
      expect((await gateway.logStore.leaf(2))!.record).to.not.equal(null);
      // Something expired to purge, then the store file replaced behind the gateway's back, in one synchronous
      // step so no purge runs in between: the next purge finds the record, cannot write, logs that and goes on.
      const file = join(dir, 'gateway.db');
      const side = new Database(file);
      const expired = { ...exchange('2024-01-01T00:00:00.000Z')[0]! };
      side
        .prepare(
          'INSERT INTO transfer_log (idx, leaf_hash, record) SELECT max(idx) + 1, ?, ? FROM transfer_log',
        )
        .run(Buffer.alloc(32), JSON.stringify(expired));
      side.close();
      renameSync(file, `${file}.moved`);
      copyFileSync(`${file}.moved`, file);
      expect(await waitFor('log.purge_failed')).to.not.equal(undefined);
      const health = await fetch(`${gateway.url}/healthz`);
      expect(health.status).to.equal(200);
    });

    it('does not schedule a purge when OOG_PURGE_INTERVAL_S is 0', async () => {
      const config = loadConfig(
        {},
        { port: 0, dataDir: dir, demo: true, logLevel: 'silent', purgeIntervalS: 0 },
      );
      const gateway = await startGateway(config, {
        logger: createLogger({ level: 'silent' }),
        demoPorts: { meldebehoerde: 0, standesamt: 0, idp: 0 },
      });
      cleanups.push(() => gateway.close());
      await gateway.transferLog.append(exchange('2024-01-01T00:00:00.000Z')[0]!);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect((await gateway.logStore.leaf(0))!.record).to.not.equal(null);
    });
  });
});
