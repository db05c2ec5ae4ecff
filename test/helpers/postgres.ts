/**
 * Fresh PostgreSQL databases for tests: one per call, dropped afterwards, on the server OOG_TEST_POSTGRES_URL
 * names (default: the machine's PostgreSQL, user postgres, trust authentication; `.ci/run` starts it).
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const POSTGRES_ADMIN_URL =
  process.env['OOG_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface FreshDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** Creates an empty database; `drop()` removes it, closing what still uses it. */
export async function freshPostgresDatabase(prefix = 'oog_test'): Promise<FreshDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
