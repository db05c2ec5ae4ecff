/**
 * What every contract suite gets from a backend: a fresh, empty store and a way to close it. A suite calls `open`
 * once per test (in beforeEach), so tests never see each other's rows. Backends that need time (the replay
 * store's pruning) get it through the Clock passed in, never from the system clock.
 */
import type { Clock } from '../../gateway/core/ports.js';

export interface OpenedStore<S> {
  readonly store: S;
  close(): Promise<void>;
}

export type OpenStore<S> = () => Promise<OpenedStore<S>>;

export type OpenStoreWithClock<S> = (clock: Clock) => Promise<OpenedStore<S>>;

/** A clock the test sets by hand. */
export function manualClock(startMs: number): Clock & { set(ms: number): void } {
  let now = startMs;
  return { nowMs: () => now, set: (ms: number) => void (now = ms) };
}

/** Resolves with the rejection of `promise`, or fails the test if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Runs `open` before and `close` after each test of the surrounding describe; `current()` is the open store. */
export function useStore<S>(open: () => Promise<OpenedStore<S>>): () => S {
  let opened: OpenedStore<S> | undefined;
  beforeEach(async () => {
    opened = await open();
  });
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });
  return () => {
    if (opened === undefined) throw new Error('no store is open');
    return opened.store;
  };
}

/** A fixed instant the suites count from (ms since epoch). */
export const T0 = Date.UTC(2026, 10, 1, 9);
