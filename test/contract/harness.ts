/**
 * What every contract suite gets from a backend: a fresh, empty store and a way to close it. A suite calls `open`
 * once per test (in beforeEach), so tests never see each other's rows. Backends that need time (the replay
 * store's pruning) get it through the Clock passed in, never from the system clock.
 */
import type { Clock } from '../../gateway/core/ports.js';

export interface OpenedStore<S> {
  readonly store: S;
  /** Releases everything, also what `reopen` opened; may be called after the store was shut down. */
  close(): Promise<void>;
  /**
   * Optional: a second, independent handle on the same storage (a new connection, as after a restart or from
   * another process). Suites use it for durability and cross-connection concurrency; without it those tests skip.
   */
  reopen?(): Promise<S>;
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

export interface CurrentStore<S> {
  /** The store opened for this test. */
  (): S;
  /**
   * A second handle on the same storage (what a restart or a second instance sees). Every store backend's factory
   * must offer one: without it the test fails rather than passing unchecked.
   */
  reopen(): Promise<S>;
}

/** Runs `open` before and `close` after each test of the surrounding describe; `current()` is the open store. */
export function useStore<S>(open: () => Promise<OpenedStore<S>>): CurrentStore<S> {
  let opened: OpenedStore<S> | undefined;
  beforeEach(async () => {
    opened = await open();
  });
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });
  const current = (): S => {
    if (opened === undefined) throw new Error('no store is open');
    return opened.store;
  };
  return Object.assign(current, {
    async reopen(): Promise<S> {
      if (opened?.reopen === undefined) {
        throw new Error('this backend offers no second handle on its storage (OpenedStore.reopen)');
      }
      return opened.reopen();
    },
  });
}

/** A fixed instant the suites count from (ms since epoch). */
export const T0 = Date.UTC(2026, 10, 1, 9);
