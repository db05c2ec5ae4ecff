import type { KeyedLock } from './ports.js';

/**
 * The in-process KeyedLock (ports.ts): one gateway process serialises calls per key in memory. Several processes
 * sharing one database need the database's lock behind the same port instead.
 */
export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(fn, fn);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      // Forget the key once nothing is queued behind this call, so the map does not grow without bound.
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
  };
}
