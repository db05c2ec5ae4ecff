/**
 * An in-process mutual exclusion per key: calls for the same key run one after another, calls for different keys
 * run freely. The exchange and the consent service share one so that a release and a withdrawal of the same
 * consent never interleave (issue 5: the log never shows a release after the withdrawal it relied on).
 *
 * One gateway process serialises here; several processes sharing one database would need a database lock
 * instead (DESIGN.md "Scale" — not built: SQLite is single-process).
 */
export interface KeyedLock {
  /** Runs `fn` once every earlier call for `key` has settled; resolves or rejects with `fn`'s result. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

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
