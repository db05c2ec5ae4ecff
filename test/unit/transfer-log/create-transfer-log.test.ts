import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { GatewayError } from '../../../gateway/core/errors.js';
import type { TransferRecord } from '../../../gateway/core/ports.js';
import {
  createTransferLog,
  RECEIPT_TYP,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
  verifyReceipt,
} from '../../../gateway/core/transfer-log/index.js';
import { signLogToken } from '../../../gateway/core/transfer-log/log-token.js';
import {
  ecSigner,
  logSigner,
  manualClock,
  MemoryTransferLogStore,
  sampleRecord,
} from './helpers/memory-store.js';

const GATEWAY = 'oog:test-gateway';

function setup() {
  const store = new MemoryTransferLogStore();
  const signer = ecSigner();
  const clock = manualClock();
  const log = createTransferLog({ store, signer, clock, gatewayId: GATEWAY });
  return { store, signer, clock, log };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    expect(error).to.be.instanceOf(GatewayError);
    return (error as GatewayError).code;
  }
}

const b64 = (s: string) => Buffer.from(s, 'base64url');

/** Re-signs a token's payload after `edit`, with the given key: a validly signed but altered token. */
async function resign(
  jws: string,
  signer: ReturnType<typeof ecSigner>,
  edit: (p: Record<string, unknown>) => void,
  typ = RECEIPT_TYP,
) {
  const payload = JSON.parse(b64(jws.split('.')[1]!).toString('utf8')) as Record<string, unknown>;
  edit(payload);
  return signLogToken(signer, typ, payload);
}

describe('createTransferLog', () => {
  describe('append', () => {
    it('sends 500 appends made in one tick to the store as one batch, gap-free and in call order', async () => {
      const { store, log } = setup();
      const records = Array.from({ length: 500 }, () => sampleRecord());
      const leaves = await Promise.all(records.map((r) => log.append(r)));
      expect(store.appendCalls).to.deep.equal([500]);
      expect(leaves.map((l) => l.index)).to.deep.equal(records.map((_, i) => i));
      leaves.forEach((leaf, i) => expect(store.leaves[i]!.leafHash).to.equal(leaf.leafHash));
    });

    it('refuses a malformed record alone, with ERR_INTERNAL, and appends the others', async () => {
      const { store, log } = setup();
      const good = log.append(sampleRecord());
      const bad = codeOf(
        Promise.resolve().then(() => log.append({ ...sampleRecord(), v: 2 } as unknown as TransferRecord)),
      );
      const float = codeOf(
        Promise.resolve().then(() => log.append(sampleRecord({ time: 1.5 as unknown as string }))),
      );
      expect((await good).index).to.equal(0);
      expect(await bad).to.equal('ERR_INTERNAL');
      expect(await float).to.equal('ERR_INTERNAL');
      expect(store.leaves).to.have.length(1);
    });

    it('fails every append of a batch the store cannot write, with ERR_LOG_UNAVAILABLE', async () => {
      const { store, log } = setup();
      store.failAppends = true;
      const codes = await Promise.all([1, 2, 3].map(() => codeOf(log.append(sampleRecord()))));
      expect(codes).to.deep.equal(['ERR_LOG_UNAVAILABLE', 'ERR_LOG_UNAVAILABLE', 'ERR_LOG_UNAVAILABLE']);
    });
  });

  describe('checkpoint', () => {
    it('signs a checkpoint of the empty tree, then a new one only when the tree grew', async () => {
      const { store, signer, log } = setup();
      const empty = await log.checkpoint();
      expect(empty.treeSize).to.equal(0);
      expect(empty.rootHash).to.equal('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
      await log.append(sampleRecord());
      await log.append(sampleRecord());
      const two = await log.checkpoint();
      expect(two.treeSize).to.equal(2);
      expect(await log.checkpoint()).to.deep.equal(two);
      expect(store.saveCalls).to.equal(2);
      const verified = await verifyCheckpoint(two.jws, signer.publicKey, { issuer: GATEWAY });
      expect(verified.ok).to.equal(true);
      if (verified.ok) {
        expect(verified.checkpoint).to.deep.equal({
          iss: GATEWAY,
          treeSize: 2,
          rootHash: two.rootHash,
          time: two.time,
        });
      }
    });

    it('never lets the checkpoint time go back when the clock steps back', async () => {
      const { clock, log } = setup();
      await log.append(sampleRecord());
      const first = await log.checkpoint();
      clock.set(first.time - 60_000);
      await log.append(sampleRecord());
      const second = await log.checkpoint();
      expect(second.treeSize).to.equal(2);
      expect(second.time).to.be.at.least(first.time);
    });

    it('refuses a head when the log is shorter than its last checkpoint, with ERR_LOG_UNAVAILABLE', async () => {
      const { store, log } = setup();
      for (let i = 0; i < 3; i++) await log.append(sampleRecord());
      await log.checkpoint();
      store.leaves.pop();
      expect(await codeOf(log.checkpoint())).to.equal('ERR_LOG_UNAVAILABLE');
    });

    it('refuses to sign a head that does not extend the last one, with ERR_LOG_UNAVAILABLE', async () => {
      const { store, log } = setup();
      for (let i = 0; i < 3; i++) await log.append(sampleRecord());
      await log.checkpoint();
      store.leaves.pop();
      await log.append(sampleRecord());
      await log.append(sampleRecord());
      expect(await codeOf(log.checkpoint())).to.equal('ERR_LOG_UNAVAILABLE');
      expect(store.checkpoints.map((c) => c.treeSize)).to.deep.equal([3]);
    });
  });

  describe('checkpointCovering', () => {
    it('coalesces concurrent requests: one checkpoint in flight at a time, later ones wait for the next', async () => {
      const { store, log } = setup();
      const leaves = await Promise.all(Array.from({ length: 50 }, () => log.append(sampleRecord())));
      const first = await Promise.all(leaves.map((l) => log.checkpointCovering(l.index)));
      expect(store.saveCalls).to.equal(1);
      first.forEach((cp, i) => expect(cp.treeSize).to.be.greaterThan(leaves[i]!.index));

      // While one is being saved, new leaves arrive and ask for a bigger one.
      const more: Promise<unknown>[] = [];
      for (let round = 0; round < 5; round++) {
        const leaf = await log.append(sampleRecord());
        more.push(
          log.checkpointCovering(leaf.index).then((cp) => expect(cp.treeSize).to.be.greaterThan(leaf.index)),
        );
      }
      await Promise.all(more);
      expect(store.maxSavesInFlight).to.equal(1);
      expect(store.saveCalls).to.be.at.most(1 + 5);
      const sizes = store.checkpoints.map((c) => c.treeSize);
      expect(sizes).to.deep.equal([...sizes].sort((a, b) => a - b));
    });

    it('refuses an index the log does not hold yet, with ERR_REQUEST_MALFORMED', async () => {
      const { log } = setup();
      await log.append(sampleRecord());
      expect(await codeOf(log.checkpointCovering(1))).to.equal('ERR_REQUEST_MALFORMED');
      expect(await codeOf(log.checkpointCovering(-1))).to.equal('ERR_REQUEST_MALFORMED');
      expect(await codeOf(log.checkpointCovering(0.5))).to.equal('ERR_REQUEST_MALFORMED');
    });
  });

  describe('inclusionProof and consistencyProof', () => {
    it('give proofs that verify against signed checkpoints', async () => {
      const { log } = setup();
      const leaves = [];
      for (let i = 0; i < 13; i++) leaves.push(await log.append(sampleRecord()));
      const cp7 = await log.checkpointCovering(6);
      for (let i = 0; i < 8; i++) await log.append(sampleRecord());
      const cp21 = await log.checkpoint();
      expect([cp7.treeSize, cp21.treeSize]).to.deep.equal([13, 21]);
      for (const leaf of leaves) {
        const proof = (await log.inclusionProof(leaf.index, 21)).map(b64);
        expect(verifyInclusion(leaf.index, 21, b64(leaf.leafHash), proof, b64(cp21.rootHash))).to.equal(true);
      }
      const consistency = (await log.consistencyProof(13, 21)).map(b64);
      expect(verifyConsistency(13, 21, b64(cp7.rootHash), b64(cp21.rootHash), consistency)).to.equal(true);
    });

    it('refuse sizes beyond the log and impossible arguments, with ERR_REQUEST_MALFORMED', async () => {
      const { log } = setup();
      for (let i = 0; i < 4; i++) await log.append(sampleRecord());
      expect(await codeOf(log.inclusionProof(0, 5))).to.equal('ERR_REQUEST_MALFORMED');
      expect(await codeOf(log.inclusionProof(4, 4))).to.equal('ERR_REQUEST_MALFORMED');
      expect(await codeOf(log.consistencyProof(3, 5))).to.equal('ERR_REQUEST_MALFORMED');
      expect(await codeOf(log.consistencyProof(3, 2))).to.equal('ERR_REQUEST_MALFORMED');
      expect(await codeOf(log.consistencyProof(0, 2))).to.equal('ERR_REQUEST_MALFORMED');
      expect(await log.consistencyProof(4, 4)).to.deep.equal([]);
    });
  });

  describe('issueReceipt', () => {
    async function receiptFixture() {
      const ctx = setup();
      const records = Array.from({ length: 11 }, () => sampleRecord());
      const leaves = await Promise.all(records.map((r) => ctx.log.append(r)));
      const receipt = await ctx.log.issueReceipt({ exchangeId: records[6]!.exchangeId, leaf: leaves[6]! });
      return { ...ctx, records, leaves, receipt };
    }

    it('issues a receipt that verifies offline with the gateway key alone', async () => {
      const { signer, receipt, records, leaves } = await receiptFixture();
      const result = await verifyReceipt(receipt, signer.publicKey, { issuer: GATEWAY });
      expect(result.ok).to.equal(true);
      if (!result.ok) return;
      expect(result.receipt.exchangeId).to.equal(records[6]!.exchangeId);
      expect(result.receipt.leafIndex).to.equal(6);
      expect(result.receipt.leafHash).to.equal(leaves[6]!.leafHash);
      expect(result.checkpoint.treeSize).to.equal(11);
    });

    it('refuses a receipt that was tampered with, signed by another key, or of another type', async () => {
      const { signer, receipt, log } = await receiptFixture();
      const [h, p, s] = receipt.split('.') as [string, string, string];
      const payload = JSON.parse(b64(p).toString('utf8')) as Record<string, unknown>;
      const altered = Buffer.from(JSON.stringify({ ...payload, leafIndex: 5 })).toString('base64url');
      const badSig = s.slice(0, -2) + (s.endsWith('AA') ? 'BA' : 'AA');
      const other = ecSigner();
      const checkpoint = await log.checkpoint();
      const foreignCheckpoint = await resign(checkpoint.jws, other, () => undefined, 'checkpoint+jwt');
      const cases: [string, string, string][] = [
        ['payload edited', `${h}.${altered}.${s}`, 'signature'],
        ['signature edited', `${h}.${p}.${badSig}`, 'signature'],
        ['not a JWS', 'abc', 'malformed'],
        ['checkpoint given as receipt', checkpoint.jws, 'typ'],
        ['signed by another key', await resign(receipt, other, () => undefined), 'signature'],
        [
          'leaf index changed and re-signed',
          await resign(receipt, signer, (q) => (q.leafIndex = 5)),
          'inclusion',
        ],
        [
          'leaf hash changed and re-signed',
          await resign(receipt, signer, (q) => (q.leafHash = 'A'.repeat(43))),
          'inclusion',
        ],
        [
          'proof element dropped',
          await resign(receipt, signer, (q) => (q.inclusionProof = (q.inclusionProof as string[]).slice(1))),
          'inclusion',
        ],
        ['index beyond checkpoint', await resign(receipt, signer, (q) => (q.leafIndex = 11)), 'inclusion'],
        ['extra member', await resign(receipt, signer, (q) => (q.extra = 1)), 'payload'],
        [
          'checkpoint not a JWS',
          await resign(receipt, signer, (q) => (q.checkpoint = 'x.y.z')),
          'checkpoint-invalid',
        ],
        [
          'checkpoint signed by another key',
          await resign(receipt, signer, (q) => (q.checkpoint = foreignCheckpoint)),
          'checkpoint-invalid',
        ],
      ];
      for (const [name, token, reason] of cases) {
        const result = await verifyReceipt(token, signer.publicKey);
        expect(result, name).to.deep.equal({ ok: false, reason });
      }
      expect(await verifyReceipt(receipt, signer.publicKey, { issuer: 'oog:someone-else' })).to.deep.equal({
        ok: false,
        reason: 'issuer',
      });
    });

    it('ties the receipt to a later checkpoint through a consistency proof', async () => {
      const { signer, receipt, log } = await receiptFixture();
      for (let i = 0; i < 6; i++) await log.append(sampleRecord());
      const later = await log.checkpoint();
      const proof = await log.consistencyProof(11, later.treeSize);
      const ok = await verifyReceipt(receipt, signer.publicKey, {
        checkpoint: later.jws,
        consistencyProof: proof,
      });
      expect(ok.ok).to.equal(true);
      expect(await verifyReceipt(receipt, signer.publicKey, { checkpoint: later.jws })).to.deep.equal({
        ok: false,
        reason: 'consistency-proof-required',
      });
      const wrong = await verifyReceipt(receipt, signer.publicKey, {
        checkpoint: later.jws,
        consistencyProof: proof.slice(1),
      });
      expect(wrong).to.deep.equal({ ok: false, reason: 'consistency' });
      // A checkpoint of the same size with another root (a split view) does not match.
      const fork = await resign(
        later.jws,
        signer,
        (q) => {
          q.treeSize = 11;
          q.rootHash = 'A'.repeat(43);
        },
        'checkpoint+jwt',
      );
      expect(await verifyReceipt(receipt, signer.publicKey, { checkpoint: fork })).to.deep.equal({
        ok: false,
        reason: 'checkpoint-mismatch',
      });
    });

    it("refuses to bind an exchange to another exchange's leaf, with ERR_INTERNAL", async () => {
      const { log, leaves, records } = await receiptFixture();
      expect(
        await codeOf(log.issueReceipt({ exchangeId: records[1]!.exchangeId, leaf: leaves[2]! })),
      ).to.equal('ERR_INTERNAL');
    });

    it('refuses to issue a receipt the stored tree does not prove, with ERR_LOG_UNAVAILABLE', async () => {
      const { log, store, leaves, records } = await receiptFixture();
      store.nodeTable.set('0/7', Buffer.alloc(32));
      expect(
        await codeOf(log.issueReceipt({ exchangeId: records[6]!.exchangeId, leaf: leaves[6]! })),
      ).to.equal('ERR_LOG_UNAVAILABLE');
    });
  });

  describe('verifyCheckpoint', () => {
    it('refuses another key, another issuer and a receipt presented as a checkpoint', async () => {
      const { log, signer } = setup();
      const leaf = await log.append(sampleRecord({ exchangeId: 'e-1' }));
      const cp = await log.checkpoint();
      expect((await verifyCheckpoint(cp.jws, ecSigner().publicKey)).ok).to.equal(false);
      expect(await verifyCheckpoint(cp.jws, signer.publicKey, { issuer: 'oog:other' })).to.deep.equal({
        ok: false,
        reason: 'issuer',
      });
      const receipt = await log.issueReceipt({ exchangeId: 'e-1', leaf });
      expect(await verifyCheckpoint(receipt, signer.publicKey)).to.deep.equal({ ok: false, reason: 'typ' });
    });

    it('verifies checkpoints signed with PS256 and EdDSA too', async () => {
      for (const [alg, pair] of [
        ['PS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
        ['EdDSA', generateKeyPairSync('ed25519')],
      ] as const) {
        const store = new MemoryTransferLogStore();
        const log = createTransferLog({
          store,
          signer: logSigner(alg, pair.privateKey),
          clock: manualClock(),
          gatewayId: GATEWAY,
        });
        await log.append(sampleRecord());
        const cp = await log.checkpoint();
        expect((await verifyCheckpoint(cp.jws, pair.publicKey)).ok, alg).to.equal(true);
      }
    });
  });

  describe('verifyStored', () => {
    it('accepts an untouched log and names the first edited record', async () => {
      const { store, log } = setup();
      for (let i = 0; i < 37; i++) await log.append(sampleRecord());
      await log.checkpoint();
      expect(await log.verifyStored()).to.deep.equal({ ok: true, size: 37, checkpointSize: 37 });
      const leaf = store.leaves[21]!;
      store.leaves[21] = { ...leaf, record: leaf.record!.replace('wohngeld', 'wohngelt') };
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        firstBadIndex: 21,
        reason: 'leaf-hash-mismatch',
      });
    });

    it('keeps the hash of a purged record and still verifies, if a purge record names it', async () => {
      const { store, log } = setup();
      for (let i = 0; i < 9; i++) await log.append(sampleRecord());
      await log.checkpoint();
      store.leaves[3] = { ...store.leaves[3]!, record: null };
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        reason: 'purge-unrecorded',
        firstBadIndex: 3,
      });
      await log.append({
        v: 1,
        time: '2027-06-01T00:00:00.000Z',
        exchangeId: '0b7e6a4c-1d2f-4e3a-9b8c-7d6e5f4a3b2c',
        outcome: 'purged',
        authenticated: false,
        purged: { leaves: [[3, 1]], retainedUntil: '2027-01-01' },
      });
      expect(await log.verifyStored()).to.deep.equal({ ok: true, size: 10, checkpointSize: 9 });
    });

    it('reports a broken tree before an unrecorded purge', async () => {
      const { store, log } = setup();
      for (let i = 0; i < 9; i++) await log.append(sampleRecord());
      await log.checkpoint();
      store.leaves[2] = { ...store.leaves[2]!, record: null };
      const leaf = store.leaves[6]!;
      store.leaves[6] = { ...leaf, record: leaf.record!.replace('wohngeld', 'wohngelt') };
      expect(await log.verifyStored()).to.deep.include({
        ok: false,
        reason: 'leaf-hash-mismatch',
        firstBadIndex: 6,
      });
    });

    it('refuses a checkpoint whose signature does not verify, as checkpoint-invalid', async () => {
      const { store, log } = setup();
      await log.append(sampleRecord());
      const cp = await log.checkpoint();
      store.checkpoints[store.checkpoints.length - 1] = { ...cp, jws: cp.jws.slice(0, -4) + 'AAAA' };
      expect(await log.verifyStored()).to.deep.include({ ok: false, reason: 'checkpoint-invalid' });
      const other = createTransferLog({
        store,
        signer: ecSigner('o'.repeat(43)),
        clock: manualClock(),
        gatewayId: GATEWAY,
      });
      store.checkpoints[store.checkpoints.length - 1] = cp;
      expect(await other.verifyStored()).to.deep.include({ ok: false, reason: 'checkpoint-invalid' });
    });
  });
});
