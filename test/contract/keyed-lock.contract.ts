/**
 * Contract of the KeyedLock port (gateway/core/ports.ts; in memory: core/keyed-lock.ts): calls for one key run one after another, in call order,
 * whatever the earlier ones resolved or rejected with; calls for different keys do not wait for each other. Today
 * it is in-process; a backend shared by several gateway processes would put a database lock behind the same port.
 */
import { expect } from 'chai';
import type { KeyedLock } from '../../gateway/core/ports.js';
import { useStore, type OpenStore } from './harness.js';

/** A promise and its resolve, to hold a call inside the lock until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

export function keyedLockContract(name: string, open: OpenStore<KeyedLock>): void {
  describe(`KeyedLock contract: ${name}`, () => {
    const lock = useStore(open);

    it('runs calls for one key one after another, in call order', async () => {
      const events: string[] = [];
      const g = gate();
      const first = lock().run('k', async () => {
        events.push('first:start');
        await g.promise;
        events.push('first:end');
        return 1;
      });
      const second = lock().run('k', async () => {
        events.push('second:start');
        return 2;
      });
      const third = lock().run('k', async () => {
        events.push('third:start');
        return 3;
      });
      await tick();
      expect(events).to.deep.equal(['first:start']);
      g.open();
      expect(await Promise.all([first, second, third])).to.deep.equal([1, 2, 3]);
      expect(events).to.deep.equal(['first:start', 'first:end', 'second:start', 'third:start']);
    });

    it('does not make a call for another key wait', async () => {
      const g = gate();
      const held = lock().run('a', () => g.promise);
      let otherRan = false;
      await lock().run('b', async () => {
        otherRan = true;
      });
      expect(otherRan).to.equal(true);
      g.open();
      await held;
    });

    it('passes a rejection through and still runs the next call for the key', async () => {
      const failing = lock().run('k', async () => {
        throw new Error('boom');
      });
      const next = lock().run('k', async () => 'ran');
      const error = await failing.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(Error).with.property('message', 'boom');
      expect(await next).to.equal('ran');
    });

    it('lets 20 concurrent read-modify-write calls on one key lose no update', async () => {
      let value = 0;
      await Promise.all(
        Array.from({ length: 20 }, () =>
          lock().run('counter', async () => {
            const seen = value;
            await tick();
            value = seen + 1;
          }),
        ),
      );
      expect(value).to.equal(20);
    });
  });
}
