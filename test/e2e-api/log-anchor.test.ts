/**
 * Issue 11 "The transfer log can be rolled back or replaced without anyone noticing", end to end: a real gateway
 * on a real SQLite store, its anchor file beside it, the store then restored from an older backup, cut short,
 * deleted, replaced by another log or left with unsigned records by a crash; and what `oog log verify` and the
 * next start say about each.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from '../../gateway/adapters/sqlite/sqlite-transfer-log-store.js';
import { readAnchorFile } from '../../gateway/adapters/files/index.js';
import { rangeNodes } from '../../gateway/core/transfer-log/index.js';
import { sampleRecord } from '../unit/transfer-log/helpers/memory-store.js';
import { runLog } from '../helpers/gateway-log.js';
import { MAX, startTestGateway, type TestGateway } from '../helpers/start-test-gateway.js';

const DB_FILES = ['gateway.db', 'gateway.db-wal', 'gateway.db-shm'];
const ANCHOR = 'transfer-log.anchor';

async function startError(dataDir: string, config = {}): Promise<{ reason?: unknown; message: string }> {
  try {
    const g = await startTestGateway({ meldebehoerde: 'ok', dataDir, config });
    await g.close({ keepDataDir: true });
  } catch (error) {
    return { reason: (error as { reason?: unknown }).reason, message: (error as Error).message };
  }
  return { message: 'started' };
}

function copyStore(from: string, to: string): void {
  for (const name of DB_FILES) {
    if (existsSync(join(to, name))) unlinkSync(join(to, name));
    if (existsSync(join(from, name))) copyFileSync(join(from, name), join(to, name));
  }
}

function removeStore(dir: string): void {
  for (const name of DB_FILES) if (existsSync(join(dir, name))) unlinkSync(join(dir, name));
}

async function storeState(dataDir: string): Promise<{ size: number; checkpointSize: number | undefined }> {
  const db = new SqliteDatabase(join(dataDir, 'gateway.db'), { readonly: true });
  try {
    const store = new SqliteTransferLogStore(db);
    return { size: await store.size(), checkpointSize: (await store.latestCheckpoint())?.treeSize };
  } finally {
    db.close();
  }
}

async function anchoredSize(dataDir: string): Promise<number | undefined> {
  return (await readAnchorFile(join(dataDir, ANCHOR))).checkpoints.at(-1)?.treeSize;
}

/** Starts, releases `releases` times, refuses Max once, and stops, keeping the data dir. */
async function run(dataDir: string | undefined, releases: number, config = {}): Promise<string> {
  const g = await startTestGateway({ meldebehoerde: 'ok', config, ...(dataDir ? { dataDir } : {}) });
  try {
    for (let i = 0; i < releases; i++) expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
    const refused = await g.sendJws(await g.signRequest({ subject: { idnr: MAX } }));
    expect(refused.status).to.equal(403);
  } finally {
    await g.close({ keepDataDir: true });
  }
  return g.dataDir;
}

describe('e2e: the transfer log against its anchor (issue 11)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const track = (dir: string) => (dirs.push(dir), dir);
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the anchor at the first start, and covers every record by a checkpoint at shutdown', async () => {
    const dir = track(await run(undefined, 1, { checkpointIntervalS: 3600 }));
    const state = await storeState(dir);
    // The refusal after the last release needs no receipt: only the shutdown checkpoint covers it.
    expect(state.checkpointSize).to.equal(state.size);
    expect(await anchoredSize(dir)).to.equal(state.size);
  });

  it('covers a refusal by a signed, anchored checkpoint within OOG_CHECKPOINT_INTERVAL_S while running', async () => {
    const g: TestGateway = await startTestGateway({
      meldebehoerde: 'ok',
      config: { checkpointIntervalS: 1 },
    });
    track(g.dataDir);
    try {
      expect((await g.sendJws(await g.signRequest({ subject: { idnr: MAX } }))).status).to.equal(403);
      const size = await g.gateway.logStore.size();
      let covered: number | undefined;
      for (let waited = 0; waited < 5000 && covered !== size; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        covered = (await g.gateway.logStore.latestCheckpoint())?.treeSize;
      }
      expect(covered).to.equal(size);
      expect(await anchoredSize(g.dataDir)).to.equal(size);
    } finally {
      await g.close({ keepDataDir: true });
    }
  });

  it('refuses to start on a store restored from an older backup (rolled-back), and oog log verify fails', async () => {
    const dir = track(await run(undefined, 1));
    const backup = track(mkdtempSync(join(tmpdir(), 'oog-backup-')));
    copyStore(dir, backup);
    await run(dir, 1); // released after the backup
    copyStore(backup, dir);

    expect((await startError(dir)).reason).to.equal('rolled-back');
    const verify = await runLog(['verify', '--data-dir', dir]);
    expect(verify.code).to.equal(1);
    expect(verify.stderr).to.contain('rolled-back');
  });

  it('refuses to start when the last records were deleted with their nodes and checkpoints', async () => {
    const dir = track(await run(undefined, 2));
    const { size } = await storeState(dir);
    const keep = size - 2;
    const db = new Database(join(dir, 'gateway.db'));
    db.prepare('DELETE FROM transfer_log WHERE idx >= ?').run(keep);
    db.prepare('DELETE FROM checkpoints WHERE tree_size > ?').run(keep);
    // Every node over a deleted leaf goes too: what remains is a self-consistent log of `keep` leaves.
    const kept = new Set(rangeNodes(0, keep).map((n) => `${n.level}/${n.index}`));
    for (const row of db.prepare('SELECT level, idx FROM merkle_nodes').all() as {
      level: number;
      idx: number;
    }[]) {
      const last = (row.idx + 1) * 2 ** row.level - 1;
      if (last >= keep && !kept.has(`${row.level}/${row.idx}`)) {
        db.prepare('DELETE FROM merkle_nodes WHERE level = ? AND idx = ?').run(row.level, row.idx);
      }
    }
    db.close();

    expect((await startError(dir)).reason).to.equal('rolled-back');
    expect((await runLog(['verify', '--data-dir', dir])).code).to.equal(1);
  });

  it('refuses to start when gateway.db is deleted but the anchor shows a log existed, creating no new store', async () => {
    const dir = track(await run(undefined, 1));
    removeStore(dir);
    expect((await startError(dir)).reason).to.equal('store-missing');
    expect(existsSync(join(dir, 'gateway.db'))).to.equal(false);
  });

  it('refuses to start on another self-consistent log put in place of the store (forked)', async () => {
    const dir = track(await run(undefined, 1));
    const other = track(await run(undefined, 3));
    copyStore(other, dir);
    expect((await startError(dir)).reason).to.equal('forked');
  });

  it('refuses a store without its anchor, and starts after oog log anchor init', async () => {
    const dir = track(await run(undefined, 1));
    unlinkSync(join(dir, ANCHOR));
    expect((await startError(dir)).reason).to.equal('anchor-missing');
    const init = await runLog(['anchor', 'init', '--data-dir', dir]);
    expect(init.code).to.equal(0);
    expect((await runLog(['anchor', 'init', '--data-dir', dir])).code).to.equal(2);
    expect((await startError(dir)).message).to.equal('started');
  });

  it('starts after a crash left records after the last checkpoint, verifying them; refuses a changed one', async () => {
    const dir = track(await run(undefined, 1));
    const open = () => {
      const db = new SqliteDatabase(join(dir, 'gateway.db'));
      return { db, store: new SqliteTransferLogStore(db) };
    };
    const crashed = open();
    const [leaf] = await crashed.store.append([sampleRecord({ exchangeId: 'crash-tail-1' })]);
    crashed.db.close();
    expect((await storeState(dir)).checkpointSize).to.be.below((await storeState(dir)).size);

    expect((await startError(dir)).message).to.equal('started');
    const state = await storeState(dir);
    expect(state.checkpointSize).to.equal(state.size);

    // Now a record after the last checkpoint changed behind the gateway's back.
    const again = open();
    await again.store.append([sampleRecord({ exchangeId: 'crash-tail-2' })]);
    again.db.close();
    const db = new Database(join(dir, 'gateway.db'));
    db.prepare(
      "UPDATE transfer_log SET record = replace(record, 'crash-tail-2', 'crash-tail-X') WHERE idx = ?",
    ).run(leaf!.index + 1);
    db.close();
    expect((await startError(dir)).reason).to.equal('leaf-hash-mismatch');
  });

  it("oog log checkpoint --save keeps the running gateway's checkpoints; verify --against catches a rollback", async () => {
    const g = await startTestGateway({ meldebehoerde: 'ok' });
    const dir = track(g.dataDir);
    const kept = join(dir, 'kept-by-dpo.jsonl');
    const backup = track(mkdtempSync(join(tmpdir(), 'oog-backup-')));
    try {
      const token = await g.dpoToken();
      expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
      const first = await runLog(['checkpoint', '--url', g.url, '--token', token, '--save', kept]);
      expect(first.code).to.equal(0);
      // A backup of this moment (the WAL holds the newest pages while the gateway runs).
      copyStore(dir, backup);
      expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
      const second = await runLog(['checkpoint', '--url', g.url, '--token', token, '--save', kept]);
      expect(second.code).to.equal(0);
      expect(readFileSync(kept, 'utf8').trim().split('\n')).to.have.length(2);
    } finally {
      await g.close({ keepDataDir: true });
    }
    expect((await runLog(['verify', '--data-dir', dir, '--against', kept])).code).to.equal(0);
    // The DPO's file catches a rollback even where the anchor went with the backup.
    copyStore(backup, dir);
    copyFileSync(kept, join(backup, 'kept'));
    unlinkSync(join(dir, ANCHOR));
    const verify = await runLog(['verify', '--data-dir', dir, '--against', kept]);
    expect(verify.code).to.equal(1);
    expect(verify.stderr).to.contain('rolled-back');
  });
});
