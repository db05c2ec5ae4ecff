import { expect } from 'chai';
import {
  CHECKPOINT_TYP,
  createTransferLog,
  verifyCheckpointConsistency,
} from '../../../gateway/core/transfer-log/index.js';
import { signLogToken } from '../../../gateway/core/transfer-log/log-token.js';
import { ecSigner, manualClock, MemoryTransferLogStore, sampleRecord } from './helpers/memory-store.js';

const GATEWAY = 'oog:test-gateway';

function payloadOf(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('verifyCheckpointConsistency', () => {
  const signer = ecSigner();

  /** A log with checkpoints signed at `sizes` (in order) and a proof source over its store. */
  async function logWithCheckpoints(sizes: readonly number[], records = () => sampleRecord()) {
    const store = new MemoryTransferLogStore();
    const clock = manualClock();
    const log = createTransferLog({ store, signer, clock, gatewayId: GATEWAY });
    const checkpoints: string[] = [];
    for (const size of sizes) {
      while ((await store.size()) < size) await log.append(records());
      clock.set(clock.nowMs() + 1000);
      checkpoints.push((await log.checkpoint()).jws);
    }
    const proofs = (first: number, second: number) => log.consistencyProof(first, second);
    return { log, store, checkpoints, proofs };
  }

  it('accepts a later checkpoint that extends an earlier one, for many size pairs', async () => {
    const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33];
    const { checkpoints, proofs } = await logWithCheckpoints(sizes);
    for (let i = 0; i < sizes.length; i++) {
      for (let j = i; j < sizes.length; j++) {
        const result = await verifyCheckpointConsistency(
          checkpoints[i]!,
          checkpoints[j]!,
          proofs,
          signer.publicKey,
          { issuer: GATEWAY },
        );
        expect(result.ok, `${sizes[i]} → ${sizes[j]}`).to.equal(true);
      }
    }
  });

  it('accepts any tree after the empty one without asking for a proof', async () => {
    const { checkpoints } = await logWithCheckpoints([0, 5]);
    const result = await verifyCheckpointConsistency(
      checkpoints[0]!,
      checkpoints[1]!,
      () => {
        throw new Error('not asked');
      },
      signer.publicKey,
    );
    expect(result.ok).to.equal(true);
  });

  it('refuses the pair in swapped order with size-decreased', async () => {
    const { checkpoints, proofs } = await logWithCheckpoints([3, 9]);
    const result = await verifyCheckpointConsistency(
      checkpoints[1]!,
      checkpoints[0]!,
      proofs,
      signer.publicKey,
    );
    expect(result).to.deep.equal({ ok: false, reason: 'size-decreased' });
  });

  it('refuses a newer checkpoint that is older in time with time-decreased', async () => {
    const { checkpoints, proofs } = await logWithCheckpoints([3, 9]);
    const older = await signLogToken(signer, CHECKPOINT_TYP, { ...payloadOf(checkpoints[1]!), time: 1 });
    const result = await verifyCheckpointConsistency(checkpoints[0]!, older, proofs, signer.publicKey);
    expect(result).to.deep.equal({ ok: false, reason: 'time-decreased' });
  });

  it('refuses an edited root under the old signature as new-checkpoint (signature)', async () => {
    const { checkpoints, proofs } = await logWithCheckpoints([3, 9]);
    const [h, p, s] = checkpoints[1]!.split('.') as [string, string, string];
    const payload = { ...payloadOf(checkpoints[1]!), rootHash: payloadOf(checkpoints[0]!).rootHash };
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect(forged).to.not.equal(`${h}.${p}.${s}`);
    const result = await verifyCheckpointConsistency(checkpoints[0]!, forged, proofs, signer.publicKey);
    expect(result).to.deep.equal({ ok: false, reason: 'new-checkpoint', detail: 'signature' });
  });

  it('refuses a forged root signed with the right key as inconsistent', async () => {
    const { checkpoints, proofs } = await logWithCheckpoints([3, 9]);
    const forged = await signLogToken(signer, CHECKPOINT_TYP, {
      ...payloadOf(checkpoints[1]!),
      rootHash: Buffer.alloc(32, 7).toString('base64url'),
    });
    const result = await verifyCheckpointConsistency(checkpoints[0]!, forged, proofs, signer.publicKey);
    expect(result).to.deep.equal({ ok: false, reason: 'inconsistent' });
  });

  it('refuses a rewritten log: its proof does not connect the old root to the new one', async () => {
    const original = await logWithCheckpoints([6]);
    const rewritten = await logWithCheckpoints([6, 10]);
    const result = await verifyCheckpointConsistency(
      original.checkpoints[0]!,
      rewritten.checkpoints[1]!,
      rewritten.proofs,
      signer.publicKey,
    );
    expect(result).to.deep.equal({ ok: false, reason: 'inconsistent' });
  });

  it('refuses equal sizes with different roots as inconsistent', async () => {
    const a = await logWithCheckpoints([4]);
    const b = await logWithCheckpoints([4]);
    const result = await verifyCheckpointConsistency(
      a.checkpoints[0]!,
      b.checkpoints[0]!,
      () => [],
      signer.publicKey,
    );
    expect(result).to.deep.equal({ ok: false, reason: 'inconsistent' });
  });

  it('refuses checkpoints of another key, another issuer or not checkpoints at all', async () => {
    const { checkpoints, proofs } = await logWithCheckpoints([3, 9]);
    const other = ecSigner();
    expect(
      await verifyCheckpointConsistency(checkpoints[0]!, checkpoints[1]!, proofs, other.publicKey),
    ).to.deep.equal({ ok: false, reason: 'old-checkpoint', detail: 'signature' });
    expect(
      await verifyCheckpointConsistency(checkpoints[0]!, checkpoints[1]!, proofs, signer.publicKey, {
        issuer: 'oog:other',
      }),
    ).to.deep.equal({ ok: false, reason: 'old-checkpoint', detail: 'issuer' });
    const otherIssuer = await signLogToken(signer, CHECKPOINT_TYP, {
      ...payloadOf(checkpoints[1]!),
      iss: 'oog:other',
    });
    expect(
      await verifyCheckpointConsistency(checkpoints[0]!, otherIssuer, proofs, signer.publicKey),
    ).to.deep.equal({ ok: false, reason: 'issuer-differs' });
    for (const junk of ['', 'a.b.c', 'not a token', checkpoints[0]!.split('.').slice(0, 2).join('.')]) {
      expect(
        await verifyCheckpointConsistency(junk, checkpoints[1]!, proofs, signer.publicKey),
      ).to.deep.equal({ ok: false, reason: 'old-checkpoint', detail: 'malformed' });
    }
    const wrongTyp = await signLogToken(signer, 'transfer-receipt+jwt', payloadOf(checkpoints[1]!));
    expect(
      await verifyCheckpointConsistency(checkpoints[0]!, wrongTyp, proofs, signer.publicKey),
    ).to.deep.equal({ ok: false, reason: 'new-checkpoint', detail: 'typ' });
  });

  it('refuses malformed proofs with proof-malformed and a wrong hash with inconsistent', async () => {
    const { checkpoints, proofs } = await logWithCheckpoints([3, 9]);
    const good = await proofs(3, 9);
    const malformed: unknown[] = [
      'not json',
      null,
      {},
      [1, 2],
      good.map((h) => `${h}=`),
      good.map((h) => h.slice(1)),
      Array.from({ length: 200 }, () => good[0]),
    ];
    for (const proof of malformed) {
      expect(
        await verifyCheckpointConsistency(checkpoints[0]!, checkpoints[1]!, () => proof, signer.publicKey),
      ).to.deep.equal({ ok: false, reason: 'proof-malformed' });
    }
    const wrong = [...good];
    wrong[0] = Buffer.alloc(32, 1).toString('base64url');
    for (const proof of [wrong, good.slice(1), [...good, good[0]], []]) {
      expect(
        await verifyCheckpointConsistency(checkpoints[0]!, checkpoints[1]!, () => proof, signer.publicKey),
      ).to.deep.equal({ ok: false, reason: 'inconsistent' });
    }
  });

  it('says proof-unavailable when the proof source throws', async () => {
    const { checkpoints } = await logWithCheckpoints([3, 9]);
    const result = await verifyCheckpointConsistency(
      checkpoints[0]!,
      checkpoints[1]!,
      () => Promise.reject(new Error('store too small')),
      signer.publicKey,
    );
    expect(result).to.deep.equal({ ok: false, reason: 'proof-unavailable' });
  });
});
