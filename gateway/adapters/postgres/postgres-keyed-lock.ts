/**
 * The KeyedLock port (ports.ts) across gateways sharing one PostgreSQL database: `run(key, fn)` holds the
 * transaction-scoped advisory lock `pg_advisory_xact_lock(hashtextextended(domain || ':' || key, 0))` while
 * `fn` runs, so calls for the same key never overlap, whichever instance makes them; calls for different keys
 * run in parallel (a 64-bit hash collision of two keys only serialises them, it never lets two in at once).
 *
 * Calls of one process for the same key queue in memory first (core/keyed-lock.ts), so waiting callers do not
 * each hold a pool connection; only the one at the head of its key's queue asks the database.
 *
 * Pool size: a held lock keeps one pooled connection (in an open transaction) for the whole of `fn`, and `fn`
 * usually needs connections of its own (the consent and log writes it guards). So at most `maxHeld` locks are
 * held at once per process (default: half the pool, at least 1) and further calls for other keys wait in memory;
 * the rest of the pool stays free for the work inside. With `maxHeld` at the pool size, N locks whose `fn` each
 * needs a connection would starve the pool until its connect timeout. A database-side
 * `idle_in_transaction_session_timeout` shorter than the longest `fn` would end the lock's session, and with it
 * the lock, while `fn` still runs: leave it off (the default) for the gateway's role. The wait for the lock
 * itself is bounded by the pool's statement timeout.
 *
 * Errors: a database that cannot be reached, or a lock not obtained, rejects with ERR_LOG_UNAVAILABLE before
 * `fn` runs; `fn`'s own result or error is passed on unchanged (the transaction holds nothing but the lock, so
 * its commit or rollback changes no data).
 */
import type pg from 'pg';
import { GatewayError } from '../../core/errors.js';
import { createKeyedLock } from '../../core/keyed-lock.js';
import type { KeyedLock } from '../../core/ports.js';
import type { PostgresDatabase } from './postgres-database.js';

export interface PostgresKeyedLockOptions {
  /** Locks held at once by this process; default half the pool's connections, at least 1. */
  readonly maxHeld?: number;
}

/** A counting semaphore: at most `limit` holders at once, the rest served in order. */
function createSemaphore(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let held = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (held >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else held += 1;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else held -= 1;
    }
  };
}

export function createPostgresKeyedLock(
  database: PostgresDatabase,
  domain: string,
  options: PostgresKeyedLockOptions = {},
): KeyedLock {
  const memory = createKeyedLock();
  const poolMax = database.pool.options.max ?? 10;
  const slot = createSemaphore(Math.max(1, options.maxHeld ?? Math.floor(poolMax / 2)));

  async function holding<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await database.pool.connect();
    } catch (cause) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the lock database cannot be reached', { cause });
    }
    let broken = false;
    try {
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${domain}:${key}`]);
      } catch (cause) {
        broken = true;
        throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the lock cannot be taken', { cause });
      }
      let outcome: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await fn() };
      } catch (error) {
        outcome = { ok: false, error };
      }
      // Ends the transaction and so the lock; a failure here (the connection died) cannot undo what fn did.
      await client.query(outcome.ok ? 'COMMIT' : 'ROLLBACK').catch(() => {
        broken = true;
      });
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    } finally {
      // A broken client is destroyed, not reused: its session, and with it any lock, ends.
      client.release(broken);
    }
  }

  return {
    run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      return memory.run(key, () => slot(() => holding(key, fn)));
    },
  };
}
