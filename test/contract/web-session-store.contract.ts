/**
 * Contract of the WebSessionStore port (core/ports.ts): sessions keyed by the hash of their id, lastSeenAt only
 * moves forward, a delete consumes a session exactly once, and purge removes exactly the sessions past their end
 * or idle too long.
 */
import { expect } from 'chai';
import type { WebSessionRecord, WebSessionStore } from '../../gateway/core/ports.js';
import { rejectionOf, T0, useStore, type OpenStore } from './harness.js';

const HOUR = 3_600_000;

function session(idHash: string, overrides: Partial<WebSessionRecord> = {}): WebSessionRecord {
  return {
    idHash,
    data: JSON.stringify({ kind: 'session', subjectRef: 'subject-erika', umlaut: 'Grüße' }),
    createdAt: T0,
    lastSeenAt: T0,
    expiresAt: T0 + 8 * HOUR,
    ...overrides,
  };
}

export function webSessionStoreContract(name: string, open: OpenStore<WebSessionStore>): void {
  describe(`WebSessionStore contract: ${name}`, () => {
    const store = useStore(open);

    it('reads back exactly what was created', async () => {
      const s = session('h-1');
      await store().create(s);
      expect(await store().get('h-1')).to.deep.equal(s);
      expect(await store().get('h-unknown')).to.equal(undefined);
    });

    it('refuses a second session with the same id hash and keeps the first', async () => {
      await store().create(session('h-1'));
      await rejectionOf(store().create(session('h-1', { data: '{"kind":"login"}' })));
      expect((await store().get('h-1'))?.data).to.equal(session('h-1').data);
    });

    it('moves lastSeenAt forward, never back, and touches nothing else', async () => {
      await store().create(session('h-1'));
      await store().create(session('h-2'));
      await store().touch('h-1', T0 + 10);
      await store().touch('h-1', T0 + 5);
      expect(await store().get('h-1')).to.deep.equal(session('h-1', { lastSeenAt: T0 + 10 }));
      expect(await store().get('h-2')).to.deep.equal(session('h-2'));
      await store().touch('h-unknown', T0 + 10);
      expect(await store().get('h-unknown')).to.equal(undefined);
    });

    it('deletes once: true the first time, false after, and the session is gone', async () => {
      await store().create(session('h-1'));
      expect(await store().delete('h-1')).to.equal(true);
      expect(await store().get('h-1')).to.equal(undefined);
      expect(await store().delete('h-1')).to.equal(false);
      expect(await store().delete('h-never')).to.equal(false);
    });

    it('lets exactly one of 10 concurrent deletes of one session report true (a login is consumed once)', async () => {
      await store().create(session('h-login'));
      const results = await Promise.all(Array.from({ length: 10 }, () => store().delete('h-login')));
      expect(results.filter(Boolean)).to.have.length(1);
    });

    it('purges sessions at or past their end and those idle since before idleBefore, and counts them', async () => {
      const now = T0 + 10 * HOUR;
      const idleBefore = now - HOUR;
      await store().create(session('ended', { lastSeenAt: now, expiresAt: now }));
      await store().create(session('ends-later', { lastSeenAt: now, expiresAt: now + 1 }));
      await store().create(session('idle', { lastSeenAt: idleBefore - 1, expiresAt: now + HOUR }));
      await store().create(session('just-active', { lastSeenAt: idleBefore, expiresAt: now + HOUR }));
      expect(await store().purge(now, idleBefore)).to.equal(2);
      expect(await store().get('ended')).to.equal(undefined);
      expect(await store().get('idle')).to.equal(undefined);
      expect(await store().get('ends-later')).to.not.equal(undefined);
      expect(await store().get('just-active')).to.not.equal(undefined);
      expect(await store().purge(now, idleBefore)).to.equal(0);
    });

    it('keeps a session from the idle purge once it was touched', async () => {
      await store().create(session('h-1', { lastSeenAt: T0 }));
      await store().touch('h-1', T0 + 2 * HOUR);
      expect(await store().purge(T0 + 2 * HOUR, T0 + HOUR)).to.equal(0);
      expect((await store().get('h-1'))?.lastSeenAt).to.equal(T0 + 2 * HOUR);
    });

    it('keeps sessions across a reopen (a restart logs nobody out), and consumes a login once across connections', async function () {
      await store().create(session('h-1'));
      await store().touch('h-1', T0 + 7);
      const other = await store.reopen();
      expect(await other.get('h-1')).to.deep.equal(session('h-1', { lastSeenAt: T0 + 7 }));
      const results = await Promise.all([store().delete('h-1'), other.delete('h-1')]);
      expect(results.filter(Boolean)).to.have.length(1);
    });
  });
}
