/**
 * Contract of the VerificationRunStore (gateway/core/transfer-log/verification-runs.ts): the history of full
 * verifications of the stored log; `latest` is the run recorded last.
 */
import { expect } from 'chai';
import type { VerificationRun, VerificationRunStore } from '../../gateway/core/transfer-log/index.js';
import { T0, useStore, type OpenStore } from './harness.js';

export function verificationRunStoreContract(name: string, open: OpenStore<VerificationRunStore>): void {
  describe(`VerificationRunStore contract: ${name}`, () => {
    const store = useStore(open);

    it('has no latest run while none was recorded', async () => {
      expect(await store().latest()).to.equal(undefined);
    });

    it('reads back a passing run without the members it does not have', async () => {
      const run: VerificationRun = {
        trigger: 'startup',
        startedAt: T0,
        finishedAt: T0 + 5,
        ok: true,
        size: 12,
      };
      await store().add(run);
      expect(await store().latest()).to.deep.equal(run);
    });

    it('reads back a failing run with every member', async () => {
      const run: VerificationRun = {
        trigger: 'dpo',
        startedAt: T0,
        finishedAt: T0 + 7,
        ok: false,
        size: 40,
        checkpointSize: 32,
        reason: 'leaf-hash-mismatch',
        firstBadIndex: 17,
      };
      await store().add(run);
      expect(await store().latest()).to.deep.equal(run);
    });

    it('answers the run recorded last', async () => {
      const runs: VerificationRun[] = [0, 1, 2].map((i) => ({
        trigger: i === 0 ? 'startup' : 'schedule',
        startedAt: T0 + i * 1000,
        finishedAt: T0 + i * 1000 + 10,
        ok: i !== 1,
        size: 10 + i,
      }));
      for (const run of runs) {
        await store().add(run);
        expect(await store().latest()).to.deep.equal(run);
      }
    });

    it('keeps the latest run across a reopen', async function () {
      const run: VerificationRun = {
        trigger: 'schedule',
        startedAt: T0,
        finishedAt: T0 + 1,
        ok: true,
        size: 3,
      };
      await store().add(run);
      expect(await (await store.reopen()).latest()).to.deep.equal(run);
    });
  });
}
