/**
 * Contract of the callback outbox port (CallbackOutbox in gateway/core/ports.ts; docs/callbacks.md "Delivery"):
 * the delivery order (earliest next attempt first, then enqueue order), leases (a leased row is not handed out
 * again until its lease ends or it is given back; two connections never lease the same row), the bounds (over
 * them a callback is recorded as dropped), and that finishing or rescheduling acts on pending rows only. The
 * inspection methods (rows, row, counts) are what every backend offers its operators and tests.
 */
import { expect } from 'chai';
import { T0, useStore, type OpenedStore } from './harness.js';

import type { CallbackOutbox, OutboxRow, OutboxState } from '../../gateway/core/ports.js';

export type OutboxRowShape = OutboxRow;

/** The outbox's bounds (OOG_CALLBACK_MAX_PENDING, …). */
export interface OutboxBoundsShape {
  readonly maxPending: number;
  readonly maxPendingPerConsumer: number;
  readonly maxFinished: number;
}

/** The port, with the inspection methods the suite reads the table through. */
export interface CallbackOutboxShape extends CallbackOutbox {
  counts(): Record<OutboxState, number> | Promise<Record<OutboxState, number>>;
  row(id: number): OutboxRow | undefined | Promise<OutboxRow | undefined>;
  rows(): OutboxRow[] | Promise<OutboxRow[]>;
}

const ROOMY: OutboxBoundsShape = { maxPending: 1000, maxPendingPerConsumer: 1000, maxFinished: 1000 };
/** A lease longer than any test's clock steps. */
const L = 60_000;

let counter = 0;
function item(consumer = 'ags:09999001') {
  counter++;
  return {
    consumer,
    eventType: 'exchange.finished',
    eventId: `x-${counter}`,
    body: JSON.stringify({ consumer, id: `x-${counter}`, status: 'released', umlaut: 'Grüße' }),
  };
}

/**
 * Tests a backend may declare as failing today (pending there, run everywhere else). 'bounds-across-connections':
 * SqliteCallbackOutbox counts pending rows in memory per instance, so two instances on one database (two
 * processes; SQLite's gateway is single-process today) each let a consumer queue up to the bound.
 */
export type CallbackOutboxKnownBug = 'bounds-across-connections';

export function callbackOutboxContract(
  name: string,
  open: (bounds: OutboxBoundsShape) => Promise<OpenedStore<CallbackOutboxShape>>,
  options: { readonly knownBugs?: readonly CallbackOutboxKnownBug[] } = {},
): void {
  const unlessKnownBug = (bug: CallbackOutboxKnownBug) => (options.knownBugs?.includes(bug) ? it.skip : it);
  describe(`callback outbox contract: ${name}`, () => {
    const outbox = useStore(() => open(ROOMY));

    /** Enqueues `n` items at T0 + i and resolves with their rows, in enqueue order. */
    async function enqueueRows(n: number, consumer?: string, box = outbox()): Promise<OutboxRowShape[]> {
      for (let i = 0; i < n; i++) expect(await box.enqueue(item(consumer), T0 + i)).to.equal('queued');
      return (await box.rows()).slice(-n);
    }

    /** Runs `test` on a fresh outbox with these bounds, closing it after. */
    async function withBounds(bounds: OutboxBoundsShape, test: (box: CallbackOutboxShape) => Promise<void>) {
      const opened = await open(bounds);
      try {
        await test(opened.store);
      } finally {
        await opened.close();
      }
    }

    it('stores a queued callback as pending, due from the time it was enqueued', async () => {
      const it0 = item();
      expect(await outbox().enqueue(it0, T0)).to.equal('queued');
      const [row] = await outbox().rows();
      expect(row).to.deep.include({
        ...it0,
        state: 'pending',
        attempts: 0,
        nextAttemptAt: T0,
        createdAt: T0,
        finishedAt: null,
        lastError: null,
      });
      expect(await outbox().row(row!.id)).to.deep.equal(row);
      expect(await outbox().lease(T0 - 1, 10, L)).to.deep.equal([]);
      expect(await outbox().lease(T0, 10, L)).to.deep.equal([{ ...row, nextAttemptAt: T0 + L }]);
      expect(await outbox().row(row!.id)).to.deep.include({
        state: 'pending',
        attempts: 0,
        nextAttemptAt: T0 + L,
      });
      expect(await outbox().pendingCount()).to.equal(1);
      expect(await outbox().row(row!.id + 1000)).to.equal(undefined);
    });

    it('hands out due callbacks earliest next attempt first, then in enqueue order, at most `limit`', async () => {
      const [a, b, c, d] = await enqueueRows(4);
      // b's next attempt is later than everybody else's; a and c were due at T0 and T0 + 2.
      await outbox().reschedule(b!.id, T0 + 50, 'HTTP 500');
      expect(await outbox().lease(T0 + 100, 0, L)).to.deep.equal([]);
      expect((await outbox().lease(T0 + 49, 2, L)).map((r) => r.id)).to.deep.equal([a!.id, c!.id]);
      expect((await outbox().lease(T0 + 49, 10, L)).map((r) => r.id)).to.deep.equal([d!.id]);
      expect((await outbox().lease(T0 + 100, 10, L)).map((r) => r.id)).to.deep.equal([b!.id]);
    });

    it('hands a leased callback out again only when its lease ends, or at once when it is given back', async () => {
      const [a, b] = await enqueueRows(2);
      expect((await outbox().lease(T0 + 10, 1, 1000)).map((r) => r.id)).to.deep.equal([a!.id]);
      expect((await outbox().lease(T0 + 10, 10, 1000)).map((r) => r.id)).to.deep.equal([b!.id]);
      expect(await outbox().lease(T0 + 500, 10, 1000)).to.deep.equal([]);
      expect(await outbox().nextDueAt()).to.equal(T0 + 1010);
      await outbox().release([b!.id], T0 + 600);
      expect((await outbox().lease(T0 + 600, 10, 1000)).map((r) => [r.id, r.attempts])).to.deep.equal([
        [b!.id, 0],
      ]);
      expect((await outbox().lease(T0 + 1010, 10, 1000)).map((r) => r.id)).to.deep.equal([a!.id]);
      expect(await outbox().row(a!.id)).to.deep.include({ state: 'pending', attempts: 0 });
    });

    it('never leases one callback to two connections at once', async function () {
      const rows = await enqueueRows(6);
      const other = await outbox.reopen();
      const [mine, theirs] = await Promise.all([outbox().lease(T0 + 10, 4, L), other.lease(T0 + 10, 4, L)]);
      const ids = [...mine, ...theirs].map((r) => r.id).sort((x, y) => x - y);
      expect(ids).to.deep.equal(rows.map((r) => r.id).sort((x, y) => x - y));
    });

    it('answers the earliest next attempt, or undefined when nothing is pending', async () => {
      expect(await outbox().nextDueAt()).to.equal(undefined);
      const [a, b] = await enqueueRows(2);
      await outbox().reschedule(a!.id, T0 + 500, 'timeout');
      expect(await outbox().nextDueAt()).to.equal(b!.nextAttemptAt);
      await outbox().finish(b!.id, 'delivered', T0 + 3);
      expect(await outbox().nextDueAt()).to.equal(T0 + 500);
      await outbox().finish(a!.id, 'failed', T0 + 600, 'gave up');
      expect(await outbox().nextDueAt()).to.equal(undefined);
    });

    it('finishes a pending callback once, counting the attempt that ended it', async () => {
      const [a, b] = await enqueueRows(2);
      await outbox().finish(a!.id, 'delivered', T0 + 10);
      expect(await outbox().row(a!.id)).to.deep.include({
        state: 'delivered',
        attempts: 1,
        finishedAt: T0 + 10,
        lastError: null,
      });
      // A second finish (a duplicate attempt ending late) changes nothing.
      await outbox().finish(a!.id, 'failed', T0 + 20, 'late failure');
      expect(await outbox().row(a!.id)).to.deep.include({
        state: 'delivered',
        attempts: 1,
        finishedAt: T0 + 10,
      });
      expect((await outbox().lease(T0 + 100, 10, L)).map((r) => r.id)).to.deep.equal([b!.id]);
      expect(await outbox().pendingCount()).to.equal(1);
      expect(await outbox().counts()).to.deep.equal({ pending: 1, delivered: 1, failed: 0, dropped: 0 });
    });

    it('marks a callback failed without counting an attempt when none was made', async () => {
      const [a] = await enqueueRows(1);
      await outbox().finish(a!.id, 'failed', T0 + 5, 'registration gone', false);
      expect(await outbox().row(a!.id)).to.deep.include({
        state: 'failed',
        attempts: 0,
        finishedAt: T0 + 5,
        lastError: 'registration gone',
      });
      expect(await outbox().pendingCount()).to.equal(0);
    });

    it('reschedules a pending callback: counts the attempt, keeps the error, and is not due before its time', async () => {
      const [a] = await enqueueRows(1);
      await outbox().reschedule(a!.id, T0 + 1000, 'HTTP 503');
      await outbox().reschedule(a!.id, T0 + 3000, 'HTTP 502');
      expect(await outbox().row(a!.id)).to.deep.include({
        state: 'pending',
        attempts: 2,
        nextAttemptAt: T0 + 3000,
        lastError: 'HTTP 502',
      });
      expect(await outbox().lease(T0 + 2999, 10, L)).to.deep.equal([]);
      expect(await outbox().lease(T0 + 3000, 10, L)).to.have.length(1);
    });

    it('does not reschedule a finished callback', async () => {
      const [a] = await enqueueRows(1);
      await outbox().finish(a!.id, 'delivered', T0 + 1);
      await outbox().reschedule(a!.id, T0 + 1000, 'HTTP 500');
      expect(await outbox().row(a!.id)).to.deep.include({ state: 'delivered', attempts: 1, lastError: null });
      expect(await outbox().lease(T0 + 2000, 10, L)).to.deep.equal([]);
    });

    it('hands out pending callbacks again after a reopen, with their attempts, and no finished ones', async function () {
      const [a, b, c] = await enqueueRows(3);
      await outbox().reschedule(a!.id, T0 + 100, 'HTTP 500');
      await outbox().finish(b!.id, 'delivered', T0 + 5);
      const other = await outbox.reopen();
      expect(await other.nextDueAt()).to.equal(c!.nextAttemptAt);
      expect((await other.lease(T0 + 1000, 10, L)).map((r) => [r.id, r.attempts])).to.deep.equal([
        [c!.id, 0],
        [a!.id, 1],
      ]);
      expect(await other.pendingCount()).to.equal(2);
    });

    describe('bounds', () => {
      it('records a callback over the per-consumer bound as dropped, never due, while others still queue', () =>
        withBounds({ ...ROOMY, maxPendingPerConsumer: 2 }, async (box) => {
          const a = await enqueueRows(2, 'ags:a', box);
          expect(await box.enqueue(item('ags:a'), T0 + 10)).to.equal('dropped');
          expect(await box.enqueue(item('ags:b'), T0 + 11)).to.equal('queued');
          const dropped = (await box.rows()).find((r) => r.state === 'dropped');
          expect(dropped).to.deep.include({ consumer: 'ags:a', finishedAt: T0 + 10 });
          expect((await box.lease(T0 + 100, 10, L)).map((r) => r.id)).to.not.include(dropped!.id);
          expect(await box.pendingCount()).to.equal(3);
          // Once one of a's callbacks is finished, a has room again.
          await box.finish(a[0]!.id, 'delivered', T0 + 20);
          expect(await box.enqueue(item('ags:a'), T0 + 21)).to.equal('queued');
        }));

      it('records a callback over the total bound as dropped', () =>
        withBounds({ ...ROOMY, maxPending: 3 }, async (box) => {
          await enqueueRows(2, 'ags:a', box);
          expect(await box.enqueue(item('ags:b'), T0 + 5)).to.equal('queued');
          expect(await box.enqueue(item('ags:c'), T0 + 6)).to.equal('dropped');
          expect(await box.counts()).to.deep.equal({ pending: 3, delivered: 0, failed: 0, dropped: 1 });
        }));

      it('holds the bound under 20 concurrent enqueues', () =>
        withBounds({ ...ROOMY, maxPendingPerConsumer: 5 }, async (box) => {
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => box.enqueue(item('ags:a'), T0 + i)),
          );
          expect(results.filter((r) => r === 'queued')).to.have.length(5);
          expect(await box.pendingCount()).to.equal(5);
          expect((await box.counts()).pending).to.equal(5);
        }));

      unlessKnownBug('bounds-across-connections')('holds the bound across two connections', async () => {
        const opened = await open({ ...ROOMY, maxPendingPerConsumer: 2 });
        try {
          if (opened.reopen === undefined) throw new Error('this backend offers no second handle (reopen)');
          const other = await opened.reopen();
          expect(await opened.store.enqueue(item('ags:a'), T0)).to.equal('queued');
          expect(await other.enqueue(item('ags:a'), T0 + 1)).to.equal('queued');
          expect(await opened.store.enqueue(item('ags:a'), T0 + 2)).to.equal('dropped');
          expect(await other.enqueue(item('ags:a'), T0 + 3)).to.equal('dropped');
          expect((await other.counts()).pending).to.equal(2);
        } finally {
          await opened.close();
        }
      });

      it('prunes only finished callbacks, oldest first, keeping about maxFinished of them', () =>
        withBounds({ ...ROOMY, maxFinished: 5 }, async (box) => {
          const rows = await enqueueRows(150, undefined, box);
          for (const row of rows.slice(0, 140)) await box.finish(row.id, 'delivered', T0 + 1000);
          const counts = await box.counts();
          expect(counts.pending).to.equal(10);
          // The bound is approximate (pruned now and then, not on every finish), but the table stops growing.
          expect(counts.delivered).to.be.at.least(5).and.below(140);
          const kept = (await box.rows()).filter((r) => r.state === 'delivered').map((r) => r.id);
          const finishedIds = rows.slice(0, 140).map((r) => r.id);
          // The newest finished rows are the ones kept.
          expect(kept).to.deep.equal(finishedIds.slice(-kept.length));
        }));
    });
  });
}
