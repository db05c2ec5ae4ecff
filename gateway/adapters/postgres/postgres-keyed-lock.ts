/**
 * The keyed lock across gateway instances (KeyedLock port): `run(key, fn)` holds a transaction-scoped advisory
 * lock on hash(domain, key) for fn's duration, so a withdrawal on one instance and a release on another of the
 * same consent, or two decisions on one preview, are ordered as in one process. Calls for the same key in this
 * process queue in memory first, so that only one of them holds a pooled connection while it waits.
 *
 * Pool sizing: a held lock keeps one connection for as long as fn runs (fn's own queries use other
 * connections), so the pool must be larger than the number of keys locked at once plus what fn needs.
 */
import { createKeyedLock } from '../../core/keyed-lock.js';
import type { KeyedLock } from '../../core/ports.js';
import type { PostgresDatabase } from './postgres-database.js';

export function createPostgresKeyedLock(database: PostgresDatabase, domain: string): KeyedLock {
  const local = createKeyedLock();
  return {
    run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      return local.run(key, () =>
        database.transaction(async (client) => {
          await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${domain}:${key}`]);
          return fn();
        }),
      );
    },
  };
}
