/**
 * The PostgreSQL stores (issue 13 items 2 and 3) against the machine's real PostgreSQL, a fresh database per
 * test: each store's behaviour, and with two PostgresDatabase instances on one database (two gateways) the
 * guarantees that must hold across instances — one replay winner, one decision, one append per count, disjoint
 * leases, shared outbox bounds, and a keyed lock that excludes across processes.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { PostgresCallbackOutbox } from '../../gateway/adapters/postgres/postgres-callback-outbox.js';
import { POSTGRES_CALLBACK_OUTBOX_MIGRATIONS } from '../../gateway/adapters/postgres/postgres-callback-outbox.js';
import {
  POSTGRES_CONSENT_REQUEST_MIGRATIONS,
  PostgresConsentRequestStore,
} from '../../gateway/adapters/postgres/postgres-consent-request-store.js';
import {
  POSTGRES_CONSENT_MIGRATIONS,
  PostgresConsentStore,
} from '../../gateway/adapters/postgres/postgres-consent-store.js';
import {
  PostgresDatabase,
  type PostgresMigration,
} from '../../gateway/adapters/postgres/postgres-database.js';
import { createPostgresKeyedLock } from '../../gateway/adapters/postgres/postgres-keyed-lock.js';
import {
  POSTGRES_PREVIEW_MIGRATIONS,
  PostgresPreviewStore,
} from '../../gateway/adapters/postgres/postgres-preview-store.js';
import {
  POSTGRES_REPLAY_MIGRATIONS,
  PostgresReplayStore,
} from '../../gateway/adapters/postgres/postgres-replay-store.js';
import {
  POSTGRES_VERIFICATION_RUN_MIGRATIONS,
  PostgresVerificationRunStore,
} from '../../gateway/adapters/postgres/postgres-verification-run-store.js';
import {
  POSTGRES_WEB_SESSION_MIGRATIONS,
  PostgresWebSessionStore,
} from '../../gateway/adapters/postgres/postgres-web-session-store.js';
import { GatewayError } from '../../gateway/core/errors.js';
import type { ConsentRecord, ConsentRequestRecord, HeldEvidence } from '../../gateway/core/ports.js';
import { freshPostgresDatabase, type FreshDatabase } from '../helpers/postgres.js';

const ALL_MIGRATIONS: PostgresMigration[] = [
  ...POSTGRES_REPLAY_MIGRATIONS,
  ...POSTGRES_CONSENT_MIGRATIONS,
  ...POSTGRES_PREVIEW_MIGRATIONS,
  ...POSTGRES_CONSENT_REQUEST_MIGRATIONS,
  ...POSTGRES_WEB_SESSION_MIGRATIONS,
  ...POSTGRES_VERIFICATION_RUN_MIGRATIONS,
  ...POSTGRES_CALLBACK_OUTBOX_MIGRATIONS,
];

const T0 = Date.UTC(2026, 10, 1, 9);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('it resolved');
}

function consent(overrides: Partial<ConsentRecord> = {}): ConsentRecord {
  return {
    id: randomUUID(),
    subjectRef: 'subject-erika',
    consumer: 'ags:09999001',
    evidenceTypes: ['meldebescheinigung', 'geburtsurkunde'],
    purpose: 'wohngeld-antrag',
    validUntil: T0 + 1000,
    singleUse: false,
    createdAt: T0,
    events: [{ type: 'given', at: T0, by: 'citizen' }],
    ...overrides,
  };
}

function held(overrides: Partial<HeldEvidence> = {}): HeldEvidence {
  return {
    exchangeId: randomUUID(),
    subjectRef: 'subject-erika',
    consumer: 'ags:09999001',
    provider: 'ags:09162000',
    evidenceType: 'meldebescheinigung',
    purpose: 'wohngeld-antrag',
    legalBasis: '§ 23 WoGG',
    procedure: { reference: 'AZ-1' },
    consentId: 'consent-1',
    format: 'json',
    heldAt: T0,
    decideBy: T0 + 60_000,
    state: 'pending',
    record: {
      v: 1,
      time: new Date(T0).toISOString(),
      exchangeId: 'x',
      outcome: 'awaiting-citizen',
      authenticated: true,
      provider: 'ags:09162000',
      evidenceType: 'meldebescheinigung',
      purpose: 'wohngeld-antrag',
      legalBasis: '§ 23 WoGG',
      procedure: { reference: 'AZ-1' },
      format: 'json',
    },
    sealed: new Uint8Array([1, 2, 3, 250]),
    ...overrides,
  };
}

function request(overrides: Partial<ConsentRequestRecord> = {}): ConsentRequestRecord {
  return {
    id: randomUUID(),
    consumer: 'ags:09999001',
    subjectRef: 'subject-erika',
    evidenceTypes: ['meldebescheinigung'],
    purpose: 'wohngeld-antrag',
    procedure: { reference: 'AZ-7', service: 'wohngeld' },
    notice: { de: 'Wir möchten …', en: 'We would like …' },
    noticeHash: 'hash-1',
    returnUrl: 'https://agency.example/back',
    singleUse: true,
    consentValidDays: 30,
    createdAt: T0,
    respondBy: T0 + 86_400_000,
    state: 'requested',
    ...overrides,
  };
}

describe('PostgreSQL stores (real PostgreSQL)', function () {
  this.timeout(30_000);
  let fresh: FreshDatabase;
  let a: PostgresDatabase;
  let b: PostgresDatabase;

  beforeEach(async () => {
    fresh = await freshPostgresDatabase();
    a = await PostgresDatabase.open(fresh.url);
    b = await PostgresDatabase.open(fresh.url);
    await Promise.all([a.migrate(ALL_MIGRATIONS), b.migrate(ALL_MIGRATIONS)]);
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await fresh.drop();
  });

  describe('PostgresReplayStore', () => {
    it('resolves true for exactly one of 50 concurrent calls spread over two instances', async () => {
      const stores = [new PostgresReplayStore(a), new PostgresReplayStore(b)];
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => stores[i % 2]!.remember('ags:1', 'msg-1', T0 + 60_000)),
      );
      expect(results.filter(Boolean)).to.have.length(1);
      expect(await stores[1]!.remember('ags:2', 'msg-1', T0 + 60_000)).to.equal(true);
    });

    it('prunes expired entries and keeps live ones', async () => {
      const store = new PostgresReplayStore(a, { nowMs: () => T0 });
      await store.remember('ags:1', 'old', T0 - 1);
      await store.remember('ags:1', 'live', T0 + 60_000);
      expect(await store.prune(T0)).to.be.at.least(1);
      expect(await store.remember('ags:1', 'old', T0 + 60_000)).to.equal(true);
      expect(await store.remember('ags:1', 'live', T0 + 60_000)).to.equal(false);
    });

    it('rejects with ERR_LOG_UNAVAILABLE once the database is gone', async () => {
      const store = new PostgresReplayStore(a);
      await a.close();
      const error = await store.remember('ags:1', 'm', T0).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(GatewayError).with.property('code', 'ERR_LOG_UNAVAILABLE');
    });
  });

  describe('PostgresConsentStore', () => {
    it('stores and lists consents with their events, newest first', async () => {
      const store = new PostgresConsentStore(a);
      const first = consent({ requestId: 'req-1', noticeHash: 'h' });
      const second = consent({ createdAt: T0 + 5, validUntil: null, singleUse: true });
      await store.create(first);
      await store.create(second);
      expect(await store.get(first.id)).to.deep.equal(first);
      expect(await store.get('absent')).to.equal(undefined);
      expect(
        await store.appendEvent(first.id, { type: 'used', at: T0 + 9, by: 'x-1', exchangeId: 'x-1' }, 1),
      ).to.equal(true);
      const list = await new PostgresConsentStore(b).listBySubject('subject-erika');
      expect(list.map((c) => c.id)).to.deep.equal([second.id, first.id]);
      expect(list[1]!.events).to.deep.equal([
        { type: 'given', at: T0, by: 'citizen' },
        { type: 'used', at: T0 + 9, by: 'x-1', exchangeId: 'x-1' },
      ]);
      expect((await rejection(store.create(first))).message).to.match(/duplicate key/);
    });

    it('appends only at the expected count; two instances appending at once: exactly one', async () => {
      const record = consent({ singleUse: true });
      await new PostgresConsentStore(a).create(record);
      const stores = [new PostgresConsentStore(a), new PostgresConsentStore(b)];
      expect(await stores[0]!.appendEvent(record.id, { type: 'used', at: T0, by: 'x' }, 2)).to.equal(false);
      expect(await stores[0]!.appendEvent('absent', { type: 'used', at: T0, by: 'x' }, 0)).to.equal(false);
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            stores[i % 2]!.appendEvent(record.id, { type: 'used', at: T0, by: `x-${i}` }, round + 1),
          ),
        );
        expect(results.filter(Boolean), `round ${round}`).to.have.length(1);
      }
      expect((await stores[1]!.get(record.id))!.events).to.have.length(6);
    });

    it('refuses UPDATE and DELETE on events and UPDATE on consents', async () => {
      const record = consent();
      await new PostgresConsentStore(a).create(record);
      expect((await rejection(a.query("UPDATE consent_events SET type = 'withdrawn'"))).message).to.match(
        /append-only/,
      );
      expect((await rejection(a.query('DELETE FROM consent_events'))).message).to.match(/append-only/);
      expect((await rejection(a.query("UPDATE consents SET purpose = 'x'"))).message).to.match(/immutable/);
    });
  });

  describe('PostgresPreviewStore', () => {
    it('holds, lists, decides once and destroys', async () => {
      const store = new PostgresPreviewStore(a);
      const one = held();
      const two = held({ heldAt: T0 + 1, decideBy: T0 + 10, consentId: 'consent-2' });
      await store.hold(one);
      await store.hold(two);
      expect(await store.get(one.exchangeId)).to.deep.equal(one);
      expect((await store.listBySubject('subject-erika')).map((e) => e.exchangeId)).to.deep.equal([
        two.exchangeId,
        one.exchangeId,
      ]);
      expect((await store.listPendingByConsent('consent-2')).map((e) => e.exchangeId)).to.deep.equal([
        two.exchangeId,
      ]);
      expect((await store.listDue(T0 + 10, 10)).map((e) => e.exchangeId)).to.deep.equal([two.exchangeId]);
      expect(await store.decide(one.exchangeId, 'approved', T0 + 2, T0 + 100)).to.equal(true);
      expect(await store.decide(two.exchangeId, 'rejected', T0 + 2)).to.equal(true);
      const approved = await store.get(one.exchangeId);
      expect(approved).to.include({ state: 'approved', decidedAt: T0 + 2, collectUntil: T0 + 100 });
      expect(approved!.sealed).to.deep.equal(one.sealed);
      expect((await store.get(two.exchangeId))!.sealed).to.equal(null);
      expect((await store.listDue(T0 + 100, 10)).map((e) => e.exchangeId)).to.deep.equal([one.exchangeId]);
      await store.destroy(one.exchangeId);
      expect((await store.get(one.exchangeId))!.sealed).to.equal(null);
      expect(await store.listDue(T0 + 100, 10)).to.deep.equal([]);
    });

    it('two instances deciding at once: exactly one true', async () => {
      const entry = held();
      await new PostgresPreviewStore(a).hold(entry);
      for (let i = 0; i < 5; i++) {
        const e = held();
        await new PostgresPreviewStore(a).hold(e);
        const results = await Promise.all([
          new PostgresPreviewStore(a).decide(e.exchangeId, 'approved', T0, T0 + 10),
          new PostgresPreviewStore(b).decide(e.exchangeId, 'rejected', T0),
        ]);
        expect(results.filter(Boolean)).to.have.length(1);
      }
    });
  });

  describe('PostgresConsentRequestStore', () => {
    it('stores, lists newest first, decides once, and refuses rewriting', async () => {
      const store = new PostgresConsentRequestStore(a);
      const one = request();
      const two = request({ createdAt: T0 + 1, consentValidDays: null });
      await store.create(one);
      await store.create(two);
      expect(await store.get(one.id)).to.deep.equal(one);
      expect((await store.listBySubject('subject-erika')).map((r) => r.id)).to.deep.equal([two.id, one.id]);
      const results = await Promise.all([
        store.decide(one.id, 'approved', T0 + 5, 'consent-9'),
        new PostgresConsentRequestStore(b).decide(one.id, 'declined', T0 + 5),
      ]);
      expect(results.filter(Boolean)).to.have.length(1);
      const decided = await store.get(one.id);
      expect(decided!.decidedAt).to.equal(T0 + 5);
      expect(
        (await rejection(a.query("UPDATE consent_requests SET body = '{}' WHERE id = $1", [two.id]))).message,
      ).to.match(/decided once/);
      expect(
        (await rejection(a.query("UPDATE consent_requests SET state = 'expired' WHERE id = $1", [one.id])))
          .message,
      ).to.match(/decided once/);
    });
  });

  describe('PostgresWebSessionStore', () => {
    it('stores, touches forward only, deletes once and purges', async () => {
      const store = new PostgresWebSessionStore(a);
      const session = { idHash: 'h1', data: '{"a":1}', createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 1000 };
      await store.create(session);
      await store.create({ ...session, idHash: 'h2', lastSeenAt: T0 + 500 });
      expect(await store.get('h1')).to.deep.equal(session);
      await store.touch('h1', T0 + 10);
      await store.touch('h1', T0 + 5);
      expect((await store.get('h1'))!.lastSeenAt).to.equal(T0 + 10);
      const deleted = await Promise.all([store.delete('h1'), new PostgresWebSessionStore(b).delete('h1')]);
      expect(deleted.filter(Boolean)).to.have.length(1);
      await store.create({ ...session, idHash: 'h3', expiresAt: T0 + 100 });
      expect(await store.purge(T0 + 100, T0 + 200)).to.equal(1);
      expect(await store.get('h2')).to.not.equal(undefined);
      expect(await store.purge(T0 + 100, T0 + 501)).to.equal(1);
      expect(await store.get('h2')).to.equal(undefined);
    });
  });

  describe('PostgresVerificationRunStore', () => {
    it('records runs and returns the latest', async () => {
      const store = new PostgresVerificationRunStore(a);
      expect(await store.latest()).to.equal(undefined);
      await store.add({ trigger: 'startup', startedAt: T0, finishedAt: T0 + 5, ok: true, size: 10 });
      const bad = {
        trigger: 'dpo' as const,
        startedAt: T0 + 10,
        finishedAt: T0 + 20,
        ok: false,
        size: 12,
        checkpointSize: 11,
        reason: 'leaf-mismatch' as const,
        firstBadIndex: 3,
      };
      await new PostgresVerificationRunStore(b).add(bad as never);
      expect(await store.latest()).to.deep.equal(bad);
    });
  });
  describe('PostgresCallbackOutbox', () => {
    const bounds = { maxPending: 6, maxPendingPerConsumer: 4, maxFinished: 2 };
    const item = (consumer: string, n: number) => ({
      consumer,
      eventType: 'exchange.finished',
      eventId: `e-${n}`,
      body: `{"n":${n}}`,
    });

    it('two instances leasing at once get disjoint rows; after the lease they are due again', async () => {
      const one = new PostgresCallbackOutbox(a, {
        maxPending: 100,
        maxPendingPerConsumer: 100,
        maxFinished: 10,
      });
      const two = new PostgresCallbackOutbox(b, {
        maxPending: 100,
        maxPendingPerConsumer: 100,
        maxFinished: 10,
      });
      for (let i = 0; i < 40; i++) await one.enqueue(item(`c${i % 3}`, i), T0 + i);
      const [x, y] = await Promise.all([one.lease(T0 + 100, 25, 1000), two.lease(T0 + 100, 25, 1000)]);
      const ids = [...x, ...y].map((r) => r.id);
      expect(new Set(ids).size).to.equal(ids.length);
      expect(ids).to.have.length(40);
      for (const rows of [x, y]) {
        const due = rows.map((r) => Number(JSON.parse(r.body).n));
        expect(due).to.deep.equal([...due].sort((p, q) => p - q));
        for (const r of rows) expect(r.nextAttemptAt).to.equal(T0 + 1100);
      }
      expect(await one.lease(T0 + 1099, 100, 1000)).to.deep.equal([]);
      expect(await one.nextDueAt()).to.equal(T0 + 1100);
      // The first instance "crashed": its leases end and the other one takes the rows.
      const again = await two.lease(T0 + 1100, 100, 1000);
      expect(again.map((r) => r.id).sort((p, q) => p - q)).to.deep.equal([...ids].sort((p, q) => p - q));
    });

    it('finishes, reschedules and releases rows, counting attempts', async () => {
      const box = new PostgresCallbackOutbox(a, bounds);
      await box.enqueue(item('c', 1), T0);
      await box.enqueue(item('c', 2), T0);
      await box.enqueue(item('c', 3), T0);
      const [r1, r2, r3] = await box.lease(T0, 10, 500);
      await box.finish(r1!.id, 'delivered', T0 + 1);
      await box.reschedule(r2!.id, T0 + 50, 'status 503');
      await box.release([r3!.id], T0 + 2);
      expect(await box.row(r1!.id)).to.include({ state: 'delivered', attempts: 1, finishedAt: T0 + 1 });
      expect(await box.row(r2!.id)).to.include({
        attempts: 1,
        nextAttemptAt: T0 + 50,
        lastError: 'status 503',
      });
      expect(await box.row(r3!.id)).to.include({ attempts: 0, nextAttemptAt: T0 + 2 });
      await box.finish(r3!.id, 'failed', T0 + 3, 'ERR_X', false);
      expect(await box.row(r3!.id)).to.include({ state: 'failed', attempts: 0 });
      expect(await box.pendingCount()).to.equal(1);
      expect(await box.nextDueAt()).to.equal(T0 + 50);
      expect(await box.counts()).to.deep.equal({ pending: 1, delivered: 1, failed: 1, dropped: 0 });
    });

    it('holds the bounds across two instances enqueueing at once, and prunes finished rows', async () => {
      const boxes = [new PostgresCallbackOutbox(a, bounds), new PostgresCallbackOutbox(b, bounds)];
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          boxes[i % 2]!.enqueue(item(i < 10 ? 'busy' : `q${i % 3}`, i), T0),
        ),
      );
      expect(results.filter((r) => r === 'queued')).to.have.length(6);
      const rows = await boxes[0]!.rows();
      const pending = rows.filter((r) => r.state === 'pending');
      expect(pending).to.have.length(6);
      expect(pending.filter((r) => r.consumer === 'busy').length).to.be.at.most(4);
      const dropped = rows.filter((r) => r.state === 'dropped');
      expect(dropped).to.have.length(14);
      expect(dropped.every((r) => r.body === '' && /queue-full/.test(r.lastError ?? ''))).to.equal(true);
      // Enough finishes to trigger a prune keep maxFinished finished rows (plus the pending ones).
      for (let i = 0; i < 70; i++) await boxes[0]!.enqueue(item('busy', 100 + i), T0);
      const counts = await boxes[0]!.counts();
      expect(counts.pending).to.equal(6);
      expect(counts.dropped + counts.delivered + counts.failed).to.be.below(2 + 64 + 1);
    });

    it('rejects with ERR_LOG_UNAVAILABLE once the database is gone', async () => {
      const box = new PostgresCallbackOutbox(a, bounds);
      await a.close();
      const error = await rejection(box.enqueue(item('c', 1), T0));
      expect(error).to.be.instanceOf(GatewayError).with.property('code', 'ERR_LOG_UNAVAILABLE');
    });
  });

  describe('createPostgresKeyedLock', () => {
    it('never lets two instances run the same key at once; different keys run in parallel', async () => {
      const locks = [createPostgresKeyedLock(a, 'consent'), createPostgresKeyedLock(b, 'consent')];
      const spans: { key: string; enter: number; exit: number }[] = [];
      const work = (key: string) => async () => {
        const enter = performance.now();
        await sleep(20);
        spans.push({ key, enter, exit: performance.now() });
        return key;
      };
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          locks[i % 2]!.run(i < 6 ? 'k1' : 'k2', work(i < 6 ? 'k1' : 'k2')),
        ),
      );
      const elapsed = performance.now() - started;
      expect(results.filter((k) => k === 'k1')).to.have.length(6);
      for (const key of ['k1', 'k2']) {
        const mine = spans.filter((s) => s.key === key).sort((p, q) => p.enter - q.enter);
        for (let i = 1; i < mine.length; i++) expect(mine[i]!.enter).to.be.at.least(mine[i - 1]!.exit);
      }
      // 6 × 20 ms per key; the two keys overlapped, so well under 12 × 20 ms in all.
      const k1 = spans.filter((s) => s.key === 'k1');
      const k2 = spans.filter((s) => s.key === 'k2');
      const overlap = k1.some((p) => k2.some((q) => p.enter < q.exit && q.enter < p.exit));
      expect(overlap, `elapsed ${elapsed.toFixed(0)} ms`).to.equal(true);
    });

    it("passes fn's result and error through, and the lock is free again after an error", async () => {
      const lock = createPostgresKeyedLock(a, 'test');
      const failure = Object.assign(new Error('provider down'), { code: 'ECONNREFUSED' });
      const error = await rejection(
        lock.run('k', async () => {
          throw failure;
        }),
      );
      expect(error).to.equal(failure);
      expect(await createPostgresKeyedLock(b, 'test').run('k', async () => 42)).to.equal(42);
    });

    it('holds at most half the pool in locks, so fn still gets a connection with many keys locked', async () => {
      const small = await PostgresDatabase.open(fresh.url, { max: 2, connectTimeoutMs: 2_000 });
      try {
        const lock = createPostgresKeyedLock(small, 'test');
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            lock.run(
              `key-${i}`,
              async () => (await small.query<{ n: number }>('SELECT $1::int AS n', [i])).rows[0]!.n,
            ),
          ),
        );
        expect(results).to.deep.equal([0, 1, 2, 3, 4, 5]);
      } finally {
        await small.close();
      }
    });

    it('rejects with ERR_LOG_UNAVAILABLE before fn runs when the database is gone', async () => {
      const lock = createPostgresKeyedLock(a, 'test');
      await a.close();
      let ran = false;
      const error = await rejection(
        lock.run('k', async () => {
          ran = true;
        }),
      );
      expect(error).to.be.instanceOf(GatewayError).with.property('code', 'ERR_LOG_UNAVAILABLE');
      expect(ran).to.equal(false);
    });
  });
});
