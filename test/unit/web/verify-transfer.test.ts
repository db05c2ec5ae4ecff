/** The DPO detail's "verified" mark: each check can fail on its own, and any failure removes the mark. */
import { expect } from 'chai';
import type { TransferRecord } from '../../../gateway/core/ports.js';
import { createTransferLog, verifyCheckpoint } from '../../../gateway/core/transfer-log/index.js';
import { createVerificationRuns } from '../../../gateway/core/transfer-log/index.js';
import type { VerificationRun } from '../../../gateway/core/transfer-log/index.js';
import { checkTransfer, type TransferDetail } from '../../../gateway/web/verify-transfer.js';
import {
  ecSigner,
  manualClock,
  MemoryTransferLogStore,
  sampleRecord,
} from '../transfer-log/helpers/memory-store.js';

const GATEWAY = 'oog:test-gateway';

async function setup(): Promise<{ detail: TransferDetail; open: Parameters<typeof checkTransfer>[1] }> {
  const store = new MemoryTransferLogStore();
  const signer = ecSigner();
  const log = createTransferLog({ store, signer, clock: manualClock(), gatewayId: GATEWAY });
  const records: TransferRecord[] = [];
  for (let i = 0; i < 5; i++) {
    const record = sampleRecord({ exchangeId: i === 3 ? 'x' : `e${i}` });
    records.push(record);
    await log.append(record);
  }
  const checkpoint = await log.checkpoint();
  const leaf = (await store.leaf(3))!;
  const detail: TransferDetail = {
    exchangeId: 'x',
    checkpoint: { ...checkpoint, time: new Date(checkpoint.time).toISOString() },
    records: [
      {
        index: 3,
        leafHash: leaf.leafHash,
        record: JSON.parse(leaf.record!) as TransferRecord,
        inclusionProof: await log.inclusionProof(3, checkpoint.treeSize),
      },
    ],
  };
  const open = async (jws: string) => {
    const verified = await verifyCheckpoint(jws, signer.publicKey, { issuer: GATEWAY });
    return verified.ok ? verified.checkpoint : undefined;
  };
  return { detail, open };
}

describe('web: the verified mark of a transfer', () => {
  it('is set when the record, its proof and the signed checkpoint agree', async () => {
    const { detail, open } = await setup();
    expect(await checkTransfer(detail, open)).to.deep.equal({
      verified: true,
      checkpoint: true,
      records: [{ index: 3, leaf: true, proof: true }],
    });
  });

  it('is not set for a changed record, a changed proof, a changed root or an unsigned checkpoint', async () => {
    const { detail, open } = await setup();
    const r = detail.records[0]!;
    const changedRecord = { ...detail, records: [{ ...r, record: { ...r.record!, purpose: 'other' } }] };
    expect((await checkTransfer(changedRecord, open)).records[0]).to.include({ leaf: false, proof: true });
    const flipped = r.inclusionProof[0]!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    const changedProof = {
      ...detail,
      records: [{ ...r, inclusionProof: [flipped, ...r.inclusionProof.slice(1)] }],
    };
    expect((await checkTransfer(changedProof, open)).records[0]).to.include({ leaf: true, proof: false });
    const changedRoot = { ...detail, checkpoint: { ...detail.checkpoint, rootHash: flipped } };
    const rootCheck = await checkTransfer(changedRoot, open);
    expect([rootCheck.checkpoint, rootCheck.records[0]!.proof]).to.deep.equal([false, false]);
    const unsigned = await checkTransfer(detail, async () => undefined);
    expect(unsigned.checkpoint).to.equal(false);
    for (const check of [changedRecord, changedProof, changedRoot].map((d) => checkTransfer(d, open))) {
      expect((await check).verified).to.equal(false);
    }
    expect(unsigned.verified).to.equal(false);
  });

  it('keeps the mark for a purged record whose leaf hash is still proven', async () => {
    const { detail, open } = await setup();
    const purged = { ...detail, records: [{ ...detail.records[0]!, record: null }] };
    expect(await checkTransfer(purged, open)).to.deep.include({
      verified: true,
      records: [{ index: 3, leaf: 'purged', proof: true }],
    });
  });
});

describe('log verification runs', () => {
  it('records each run, and a request during a run joins it instead of starting a second pass', async () => {
    const saved: VerificationRun[] = [];
    let passes = 0;
    let finish: () => void = () => undefined;
    const runs = createVerificationRuns({
      verify: async () => {
        passes++;
        await new Promise<void>((resolve) => (finish = resolve));
        return { ok: true, size: 7 };
      },
      store: { add: async (run) => void saved.push(run), latest: async () => saved[saved.length - 1] },
      clock: { nowMs: () => 1000 },
    });
    const first = runs.run('startup');
    const second = runs.run('dpo');
    await new Promise((resolve) => setImmediate(resolve));
    expect((await runs.state()).running).to.equal(true);
    finish();
    expect(await first).to.equal(await second);
    expect(passes).to.equal(1);
    expect(await runs.state()).to.deep.equal({
      running: false,
      last: { ok: true, size: 7, trigger: 'startup', startedAt: 1000, finishedAt: 1000 },
    });
    const again = runs.run('dpo');
    await new Promise((resolve) => setImmediate(resolve));
    finish();
    expect((await again).trigger).to.equal('dpo');
    expect(passes).to.equal(2);
  });
});
