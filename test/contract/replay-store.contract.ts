/**
 * Contract of the ReplayStore port (core/ports.ts): (issuer, messageId) is accepted exactly once, durably and
 * under concurrency, and pruning never forgets an entry that has not expired.
 */
import { expect } from 'chai';
import type { ReplayStore } from '../../gateway/core/ports.js';
import { manualClock, T0, useStore, type OpenStoreWithClock } from './harness.js';

export function replayStoreContract(name: string, open: OpenStoreWithClock<ReplayStore>): void {
  describe(`ReplayStore contract: ${name}`, () => {
    const clock = manualClock(T0);
    const store = useStore(() => {
      clock.set(T0);
      return open(clock);
    });
    const later = T0 + 3_600_000;

    it('accepts a pair once and refuses it ever after', async () => {
      expect(await store().remember('ags:1', 'm-1', later)).to.equal(true);
      expect(await store().remember('ags:1', 'm-1', later)).to.equal(false);
      expect(await store().remember('ags:1', 'm-1', later + 1)).to.equal(false);
    });

    it('keys on both issuer and message id, case-sensitively', async () => {
      expect(await store().remember('ags:1', 'm-1', later)).to.equal(true);
      expect(await store().remember('ags:2', 'm-1', later)).to.equal(true);
      expect(await store().remember('ags:1', 'm-2', later)).to.equal(true);
      expect(await store().remember('ags:1', 'M-1', later)).to.equal(true);
      // The pair is not concatenated: ('a:b', 'c') and ('a', 'b:c') are different pairs.
      expect(await store().remember('a:b', 'c', later)).to.equal(true);
      expect(await store().remember('a', 'b:c', later)).to.equal(true);
    });

    it('lets exactly one of 50 concurrent calls with the same pair resolve true', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store().remember('ags:1', 'race', later)),
      );
      expect(results.filter(Boolean)).to.have.length(1);
    });

    it('accepts 50 concurrent distinct pairs, each once', async () => {
      const ids = Array.from({ length: 50 }, (_, i) => `m-${i}`);
      const first = await Promise.all(ids.map((id) => store().remember('ags:1', id, later)));
      expect(first.every(Boolean)).to.equal(true);
      const again = await Promise.all(ids.map((id) => store().remember('ags:1', id, later)));
      expect(again.some(Boolean)).to.equal(false);
    });

    it('still refuses an unexpired pair after time moves on and old entries may have been pruned', async () => {
      expect(await store().remember('ags:1', 'live', T0 + 86_400_000)).to.equal(true);
      expect(await store().remember('ags:1', 'old', T0 + 1)).to.equal(true);
      // Hours later: a backend that prunes may drop 'old', never 'live'.
      clock.set(T0 + 7_200_000);
      expect(await store().remember('ags:1', 'trigger-1', T0 + 86_400_000)).to.equal(true);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await store().remember('ags:1', 'trigger-2', T0 + 86_400_000)).to.equal(true);
      expect(await store().remember('ags:1', 'live', T0 + 86_400_000)).to.equal(false);
      expect(await store().remember('ags:1', 'trigger-1', T0 + 86_400_000)).to.equal(false);
    });

    it('still refuses a pair through another connection to the same store (restart, second process)', async function () {
      expect(await store().remember('ags:1', 'durable', later)).to.equal(true);
      const other = await store.reopen();
      expect(await other.remember('ags:1', 'durable', later)).to.equal(false);
      expect(await other.remember('ags:1', 'fresh', later)).to.equal(true);
      expect(await store().remember('ags:1', 'fresh', later)).to.equal(false);
    });

    it('lets exactly one of 40 concurrent calls over two connections resolve true', async function () {
      const other = await store.reopen();
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? other : store()).remember('ags:1', 'two-conn', later)),
      );
      expect(results.filter(Boolean)).to.have.length(1);
    });
  });
}
