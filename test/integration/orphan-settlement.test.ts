/**
 * Issue 11 "orphaned exchanges": the SQLite store keeps the open intents (an intent with no outcome yet) in the
 * append transaction, and the settlement records `refused` / ERR_OUTCOME_UNKNOWN for those older than the
 * provider timeout plus the grace that are not running in this process, once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SqliteDatabase } from '../../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from '../../gateway/adapters/sqlite/sqlite-transfer-log-store.js';
import { createOrphanSettlement, ORPHAN_GRACE_MS } from '../../gateway/core/exchange/index.js';
import type { TransferRecord } from '../../gateway/core/ports.js';
import { createTransferLog } from '../../gateway/core/transfer-log/index.js';
import { ecSigner, manualClock, sampleRecord } from '../unit/transfer-log/helpers/memory-store.js';

const TIMEOUT_MS = 10_000;
const T0 = Date.UTC(2025, 0, 1);
const at = (ms: number) => new Date(T0 + ms).toISOString();

describe('orphaned exchanges: open intents in SQLite and their settlement', () => {
  let dir: string;
  const open: SqliteDatabase[] = [];
  const signer = ecSigner();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oog-orphans-'));
  });
  afterEach(() => {
    for (const db of open.splice(0)) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function openLog() {
    const db = new SqliteDatabase(join(dir, 'gateway.db'));
    open.push(db);
    const store = new SqliteTransferLogStore(db);
    const clock = manualClock(T0);
    const log = createTransferLog({ store, signer, clock, gatewayId: 'oog:test-gateway' });
    return { db, store, clock, log };
  }

  /** An intent at `ms` after T0, optionally followed by a record with outcome `then`. */
  async function exchange(
    log: ReturnType<typeof openLog>['log'],
    ms: number,
    then?: TransferRecord['outcome'],
  ): Promise<string> {
    const intent = sampleRecord({ outcome: 'intent', time: at(ms) });
    await log.append(intent);
    if (then !== undefined) await log.append({ ...intent, outcome: then, time: at(ms + 5) });
    return intent.exchangeId;
  }

  it('lists only intents without an outcome, older than asked; retention extensions do not close one', async () => {
    const { store, log } = openLog();
    await exchange(log, 0, 'released');
    await exchange(log, 1, 'refused');
    await exchange(log, 2, 'awaiting-citizen');
    const orphan = await exchange(log, 3);
    const extended = await exchange(log, 4, 'retention-extended');
    const young = await exchange(log, 60_000);
    const ids = (leaves: { record: string | null }[]) =>
      leaves.map((l) => (JSON.parse(l.record!) as TransferRecord).exchangeId);
    expect(ids(await store.openIntents(at(30_000), 100))).to.deep.equal([orphan, extended]);
    expect(ids(await store.openIntents(at(90_000), 100))).to.deep.equal([orphan, extended, young]);
    expect(ids(await store.openIntents(at(90_000), 1))).to.deep.equal([orphan]);
  });

  it('settles each due orphan once with ERR_OUTCOME_UNKNOWN, never one running here or not yet due', async () => {
    const { store, clock, log } = openLog();
    const orphan = await exchange(log, 0);
    const running = await exchange(log, 1);
    const young = await exchange(log, 5_000);
    await exchange(log, 2, 'released');
    clock.set(T0 + TIMEOUT_MS + ORPHAN_GRACE_MS + 1_000);
    const settledNow: TransferRecord[] = [];
    const settlement = createOrphanSettlement({
      store,
      log,
      clock,
      providerTimeoutMs: TIMEOUT_MS,
      running: (id) => id === running,
      onSettled: (r) => settledNow.push(r),
    });
    expect(await settlement.settle()).to.equal(1);
    expect(settledNow).to.have.length(1);
    expect(settledNow[0]).to.include({ exchangeId: orphan, outcome: 'refused', code: 'ERR_OUTCOME_UNKNOWN' });
    const records = (await store.recordsByExchange(orphan)).map(
      (l) => JSON.parse(l.record!) as TransferRecord,
    );
    expect(records.map((r) => r.outcome)).to.deep.equal(['intent', 'refused']);
    expect(records[1]!.time).to.equal(new Date(clock.nowMs()).toISOString());
    expect(await settlement.settle()).to.equal(0);

    // Later, the young one is due too; the running one still is not settled.
    clock.set(T0 + 5_000 + TIMEOUT_MS + ORPHAN_GRACE_MS + 1);
    expect(await settlement.settle()).to.equal(1);
    expect(settledNow.map((r) => r.exchangeId)).to.deep.equal([orphan, young]);
    expect((await store.recordsByExchange(running)).length).to.equal(1);
  });

  it('finds the orphans of a store written before open intents were kept (migration)', async () => {
    const first = openLog();
    const orphan = await exchange(first.log, 0);
    await exchange(first.log, 1, 'released');
    first.db.close();
    open.splice(0);
    const side = new Database(join(dir, 'gateway.db'));
    side.exec(`DROP TABLE transfer_log_open_intents;
      DELETE FROM schema_migrations WHERE id = 'transfer-log/open-intents'`);
    side.close();
    const { store } = openLog();
    const leaves = await store.openIntents(at(60_000), 10);
    expect(leaves.map((l) => (JSON.parse(l.record!) as TransferRecord).exchangeId)).to.deep.equal([orphan]);
  });
});
