/**
 * Contract of the store's health as the readiness probe sees it (the StoreHealth port), and of failing closed:
 * once the store is closed it is not ready, and writes are refused with ERR_LOG_UNAVAILABLE rather than lost.
 */
import { expect } from 'chai';
import { GatewayError } from '../../gateway/core/errors.js';
import type { ConsentStore, ReplayStore, StoreHealth, TransferLogStore } from '../../gateway/core/ports.js';
import { rejectionOf, T0, useStore, type OpenStore } from './harness.js';

export type { StoreHealth };

/** One database's health and some of the stores built on it; `shutdown` closes the database (idempotent). */
export interface HealthSubject {
  readonly health: StoreHealth;
  readonly transferLog: TransferLogStore;
  readonly replay: ReplayStore;
  readonly consents: ConsentStore;
  shutdown(): Promise<void>;
}

const record = () => ({
  v: 1 as const,
  time: new Date(T0).toISOString(),
  exchangeId: '00000000-0000-4000-8000-000000000001',
  outcome: 'released' as const,
  authenticated: true,
});

function expectUnavailable(error: unknown): void {
  expect(error).to.be.instanceOf(GatewayError);
  expect((error as GatewayError).code).to.equal('ERR_LOG_UNAVAILABLE');
}

export function storeHealthContract(name: string, open: OpenStore<HealthSubject>): void {
  describe(`store health contract: ${name}`, () => {
    const subject = useStore(open);

    it('is ready when fresh, and stays ready after writes', async () => {
      expect(await subject().health.ready()).to.equal(true);
      await subject().transferLog.append([record()]);
      await subject().replay.remember('ags:1', 'm-1', T0 + 1000);
      expect(await subject().health.ready()).to.equal(true);
    });

    it('is not ready once closed, and refuses writes with ERR_LOG_UNAVAILABLE instead of losing them', async () => {
      await subject().shutdown();
      expect(await subject().health.ready()).to.equal(false);
      expectUnavailable(await rejectionOf(subject().transferLog.append([record()])));
      expectUnavailable(await rejectionOf(subject().replay.remember('ags:1', 'm-1', T0 + 1000)));
      expectUnavailable(
        await rejectionOf(
          subject().consents.appendEvent('consent-1', { type: 'withdrawn', at: T0, by: 'citizen' }, 1),
        ),
      );
    });

    it('settles the writes in flight when it closes: each resolves or is refused with ERR_LOG_UNAVAILABLE', async () => {
      // SQLite refuses the writes still queued; a backend that finishes them on a graceful close may resolve them.
      const pending = [
        subject().transferLog.append([record()]),
        subject().replay.remember('ags:1', 'm-2', T0 + 1000),
      ];
      await subject().shutdown();
      for (const result of await Promise.allSettled(pending)) {
        if (result.status === 'rejected') expectUnavailable(result.reason);
      }
    });
  });
}
