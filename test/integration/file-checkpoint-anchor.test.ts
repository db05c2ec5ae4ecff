import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createFileCheckpointAnchor, readAnchorFile } from '../../gateway/adapters/files/index.js';
import type { SignedCheckpoint } from '../../gateway/core/ports.js';

/** The anchor does not verify signatures (checkAnchor does): any well-formed checkpoint will do here. */
const checkpoint = (treeSize: number, rootHash = `root-${treeSize}`): SignedCheckpoint => ({
  treeSize,
  rootHash,
  time: 1_700_000_000_000 + treeSize,
  jws: `header.payload-${treeSize}.signature`,
});

describe('file checkpoint anchor', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oog-anchor-'));
    file = join(dir, 'sub', 'transfer-log.anchor');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is created empty, then keeps one line per checkpoint and reads back the latest', async () => {
    const anchor = createFileCheckpointAnchor(file);
    expect(await anchor.exists()).to.equal(false);
    await anchor.create();
    expect(await anchor.exists()).to.equal(true);
    expect(await anchor.latest()).to.equal(undefined);
    await anchor.record(checkpoint(3));
    await anchor.record(checkpoint(7));
    expect(await createFileCheckpointAnchor(file).latest()).to.deep.equal(checkpoint(7));
    expect(readFileSync(file, 'utf8').trim().split('\n')).to.have.length(2);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
  });

  it('refuses to create over an existing anchor', async () => {
    await createFileCheckpointAnchor(file).create();
    let error: unknown;
    try {
      await createFileCheckpointAnchor(file).create();
    } catch (e) {
      error = e;
    }
    expect((error as NodeJS.ErrnoException | undefined)?.code).to.equal('EEXIST');
  });

  it('only grows: refuses a smaller tree and another root for the same tree; the same checkpoint is a no-op', async () => {
    const anchor = createFileCheckpointAnchor(file);
    await anchor.create();
    await anchor.record(checkpoint(5));
    const refused = async (c: SignedCheckpoint) => {
      try {
        await anchor.record(c);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(await refused(checkpoint(4))).to.match(/refusing to record a tree of 4 after 5/);
    expect(await refused(checkpoint(5, 'other'))).to.match(/another root/);
    expect(await refused(checkpoint(5))).to.equal(undefined);
    expect(readFileSync(file, 'utf8').trim().split('\n')).to.have.length(1);
    // A refused record does not stop the next one.
    await anchor.record(checkpoint(6));
    expect(await anchor.latest()).to.deep.equal(checkpoint(6));
  });

  it('ignores a line torn by a crash and cuts it off before the next append', async () => {
    const anchor = createFileCheckpointAnchor(file);
    await anchor.create();
    await anchor.record(checkpoint(2));
    appendFileSync(file, '{"treeSize":3,"rootH');
    const reopened = createFileCheckpointAnchor(file);
    expect(await reopened.latest()).to.deep.equal(checkpoint(2));
    await reopened.record(checkpoint(4));
    const read = await readAnchorFile(file);
    expect(read.checkpoints.map((c) => c.treeSize)).to.deep.equal([2, 4]);
    expect(read.bytes).to.equal(read.validBytes);
  });

  it('reports a damaged line and a file whose trees shrink', async () => {
    const damaged = join(dir, 'damaged.anchor');
    writeFileSync(damaged, `${JSON.stringify(checkpoint(2))}\nnot json\n`);
    let message = '';
    try {
      await createFileCheckpointAnchor(damaged).latest();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).to.match(/line 2 is not a checkpoint/);
    const shrinking = join(dir, 'shrinking.anchor');
    writeFileSync(shrinking, `${JSON.stringify(checkpoint(5))}\n${JSON.stringify(checkpoint(3))}\n`);
    try {
      await readAnchorFile(shrinking);
      message = '';
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).to.match(/line 2 records a smaller tree/);
  });

  it('compacts to its latest line past compactBytes, staying readable', async () => {
    const anchor = createFileCheckpointAnchor(file, { compactBytes: 400 });
    await anchor.create();
    for (let size = 1; size <= 20; size++) await anchor.record(checkpoint(size));
    expect(statSync(file).size).to.be.at.most(400);
    const read = await readAnchorFile(file);
    expect(read.checkpoints.at(-1)).to.deep.equal(checkpoint(20));
    expect(read.checkpoints.length).to.be.lessThan(20);
  });

  it('sees what another process appended before its own append', async () => {
    const running = createFileCheckpointAnchor(file);
    await running.create();
    await running.record(checkpoint(2));
    // oog log purge, run beside the gateway, anchors its own checkpoint.
    await createFileCheckpointAnchor(file).record(checkpoint(9));
    let message = '';
    try {
      await running.record(checkpoint(5));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).to.match(/tree of 5 after 9/);
    await running.record(checkpoint(10));
    expect((await readAnchorFile(file)).checkpoints.map((c) => c.treeSize)).to.deep.equal([2, 9, 10]);
  });

  it('serialises concurrent records in call order', async () => {
    const anchor = createFileCheckpointAnchor(file);
    await anchor.create();
    await Promise.all([1, 2, 3, 4, 5].map((n) => anchor.record(checkpoint(n))));
    expect((await readAnchorFile(file)).checkpoints.map((c) => c.treeSize)).to.deep.equal([1, 2, 3, 4, 5]);
  });
});
