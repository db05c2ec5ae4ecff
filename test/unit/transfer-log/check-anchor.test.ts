import { expect } from 'chai';
import type { CheckpointAnchor, SignedCheckpoint } from '../../../gateway/core/ports.js';
import { checkAnchor, createTransferLog } from '../../../gateway/core/transfer-log/index.js';
import { ecSigner, manualClock, MemoryTransferLogStore, sampleRecord } from './helpers/memory-store.js';

const GATEWAY = 'oog:test-gateway';

/** An anchor held in memory: what the file anchor keeps, without the file. */
class MemoryAnchor implements CheckpointAnchor {
  readonly location = 'memory';
  made = false;
  lines: SignedCheckpoint[] = [];
  damaged = false;
  async exists() {
    return this.made;
  }
  async create() {
    this.made = true;
  }
  async latest() {
    if (this.damaged) throw new Error('line 1 is not a checkpoint');
    return this.lines.at(-1);
  }
  async record(checkpoint: SignedCheckpoint) {
    this.lines.push(checkpoint);
  }
}

function setup() {
  const store = new MemoryTransferLogStore();
  const anchor = new MemoryAnchor();
  const signer = ecSigner();
  const log = createTransferLog({ store, signer, clock: manualClock(), gatewayId: GATEWAY, anchor });
  const check = (storeExisted = true) =>
    checkAnchor({
      store,
      anchor,
      storeExisted,
      issuer: GATEWAY,
      checkpointKey: (kid) => (kid === signer.kid ? signer.publicKey : undefined),
    });
  const append = (n: number) => Promise.all(Array.from({ length: n }, () => log.append(sampleRecord())));
  return { store, anchor, log, check, append };
}

describe('checkAnchor', () => {
  it('creates the anchor on a first start with an empty store', async () => {
    const { anchor, check } = setup();
    const result = await check(false);
    expect(result).to.deep.include({ ok: true, created: true });
    expect(anchor.made).to.equal(true);
  });

  it('records each signed checkpoint in the anchor before the store keeps it', async () => {
    const { store, anchor, log, append } = setup();
    anchor.made = true;
    await append(3);
    let storeHadItFirst = false;
    const save = store.saveCheckpoint.bind(store);
    store.saveCheckpoint = async (c) => {
      storeHadItFirst = anchor.lines.at(-1)?.treeSize !== c.treeSize;
      return save(c);
    };
    await log.checkpoint();
    expect(anchor.lines.map((c) => c.treeSize)).to.deep.equal([3]);
    expect(storeHadItFirst).to.equal(false);
  });

  it('passes a store at or ahead of its anchor, verifying only the leaves after it', async () => {
    const { anchor, log, check, append } = setup();
    anchor.made = true;
    await append(5);
    await log.checkpoint();
    await append(4);
    const result = await check();
    expect(result).to.deep.include({ ok: true, created: false, caughtUp: false, size: 9 });
    expect(result.ok && result.trusted?.treeSize).to.equal(5);
  });

  it('finds a store behind its anchor rolled back, whether or not its checkpoints went with it', async () => {
    const { store, anchor, log, check, append } = setup();
    anchor.made = true;
    await append(5);
    await log.checkpoint();
    await append(3);
    await log.checkpoint();
    store.leaves.splice(5);
    store.checkpoints.splice(1);
    expect(await check()).to.deep.include({ ok: false, reason: 'rolled-back', storeSize: 5, anchorSize: 8 });
  });

  it('refuses an anchored checkpoint it cannot verify, and finds another log under its own key forked', async () => {
    // Signed by another gateway's key: not a checkpoint of this log.
    const other = setup();
    other.anchor.made = true;
    await other.append(4);
    await other.log.checkpoint();
    const mine = setup();
    mine.anchor.made = true;
    mine.anchor.lines.push(...other.anchor.lines);
    await mine.append(4);
    expect(await mine.check()).to.deep.include({ ok: false, reason: 'checkpoint-invalid' });
    // Signed by this gateway's key, but the store now holds other leaves of the same count.
    const same = setup();
    same.anchor.made = true;
    await same.append(4);
    await same.log.checkpoint();
    same.store.leaves = [];
    same.store.nodeTable.clear();
    same.store.checkpoints = [];
    await same.append(4);
    expect(await same.check()).to.deep.include({ ok: false, reason: 'forked', storeSize: 4, anchorSize: 4 });
  });

  it('reports a store without an anchor, an unreadable anchor and a missing store', async () => {
    const a = setup();
    await a.append(1);
    expect(await a.check()).to.deep.include({ ok: false, reason: 'anchor-missing', storeSize: 1 });
    const b = setup();
    b.anchor.made = true;
    b.anchor.damaged = true;
    expect(await b.check()).to.deep.include({ ok: false, reason: 'anchor-damaged' });
    const c = setup();
    c.anchor.made = true;
    await c.append(2);
    await c.log.checkpoint();
    expect(await c.check(false)).to.deep.include({ ok: false, reason: 'store-missing', anchorSize: 2 });
  });

  it('catches the anchor up to a newer checkpoint of the store, and checks the tail after it', async () => {
    const { store, anchor, log, check, append } = setup();
    anchor.made = true;
    await append(2);
    await log.checkpoint();
    await append(2);
    await log.checkpoint();
    anchor.lines.splice(1); // the anchor kept only the first (an anchor restored from its own backup)
    await append(1);
    const result = await check();
    expect(result).to.deep.include({ ok: true, caughtUp: true, size: 5 });
    expect(anchor.lines.map((c) => c.treeSize)).to.deep.equal([2, 4]);
    // A leaf after the trusted tree that was changed is found by the tail check.
    store.leaves[4] = {
      ...store.leaves[4]!,
      record: store.leaves[4]!.record!.replace('released', 'refused'),
    };
    expect(await check()).to.deep.include({ ok: false, reason: 'leaf-hash-mismatch', firstBadIndex: 4 });
  });

  it('does not read the leaves before the trusted checkpoint', async () => {
    const { store, anchor, log, check, append } = setup();
    anchor.made = true;
    await append(6);
    await log.checkpoint();
    // Damage a leaf the anchored checkpoint already covers: left to the full verification in the background.
    store.leaves[1] = {
      ...store.leaves[1]!,
      record: store.leaves[1]!.record!.replace('released', 'refused'),
    };
    let fromSeen = -1;
    const iterate = store.iterateLeaves.bind(store);
    store.iterateLeaves = (from: number) => {
      fromSeen = from;
      return iterate(from);
    };
    expect(await check()).to.deep.include({ ok: true, size: 6 });
    expect(fromSeen).to.equal(6);
    expect(await log.verifyStored()).to.deep.include({
      ok: false,
      reason: 'leaf-hash-mismatch',
      firstBadIndex: 1,
    });
  });
});
