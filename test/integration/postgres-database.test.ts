/**
 * The PostgreSQL database module against the machine's real PostgreSQL (a fresh database per test): start-up
 * failures named for the operator, migrations once under concurrency, a newer schema refused, unavailability
 * as ERR_LOG_UNAVAILABLE.
 */
import { expect } from 'chai';
import {
  PostgresDatabase,
  PostgresStartError,
  type PostgresMigration,
} from '../../gateway/adapters/postgres/postgres-database.js';
import { GatewayError } from '../../gateway/core/errors.js';
import { freshPostgresDatabase, type FreshDatabase } from '../helpers/postgres.js';

const MIGRATIONS: PostgresMigration[] = [
  { id: 'test/1', sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY)' },
  { id: 'test/2', sql: 'ALTER TABLE t ADD COLUMN v TEXT' },
];

async function startFailure(url: string): Promise<Error> {
  try {
    const db = await PostgresDatabase.open(url, { connectTimeoutMs: 2_000 });
    await db.close();
  } catch (error) {
    return error as Error;
  }
  throw new Error('the database opened');
}

describe('PostgreSQL database (real PostgreSQL)', function () {
  this.timeout(20_000);
  let fresh: FreshDatabase;
  const open: PostgresDatabase[] = [];

  beforeEach(async () => {
    fresh = await freshPostgresDatabase();
  });
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
    await fresh.drop();
  });

  async function connect(): Promise<PostgresDatabase> {
    const db = await PostgresDatabase.open(fresh.url);
    open.push(db);
    return db;
  }

  it('names a malformed DATABASE_URL, an unreachable server and a missing database', async () => {
    const malformed = await startFailure('not a url');
    expect(malformed).to.be.instanceOf(PostgresStartError);
    expect(malformed.message).to.match(/DATABASE_URL is not a URL/);
    const scheme = await startFailure('mysql://u@127.0.0.1/db');
    expect(scheme.message).to.match(/scheme mysql/);
    const refused = await startFailure('postgres://postgres@127.0.0.1:1/postgres');
    expect(refused).to.be.instanceOf(PostgresStartError);
    expect(refused.message).to.match(/127\.0\.0\.1:1 is unreachable: connection refused/);
    const missing = await startFailure(fresh.url.replace(fresh.name, `${fresh.name}_absent`));
    expect(missing.message).to.match(new RegExp(`has no database ${fresh.name}_absent`));
  });

  it('applies each migration once, also when two instances start at the same moment', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await Promise.all([a.migrate(MIGRATIONS), b.migrate(MIGRATIONS)]);
    await a.migrate(MIGRATIONS);
    const ids = (await a.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id')).rows;
    expect(ids.map((r) => r.id)).to.deep.equal(['test/1', 'test/2']);
    await a.query("INSERT INTO t (id, v) VALUES (1, 'x')");
  });

  it('refuses a database a newer version migrated, naming the migrations it does not know', async () => {
    const db = await connect();
    await db.migrate(MIGRATIONS);
    const older = MIGRATIONS.slice(0, 1);
    const refused = await db.migrate(older).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(refused).to.be.instanceOf(PostgresStartError);
    expect(refused!.message).to.match(
      /newer schema than this version of the gateway knows \(migrations test\/2\)/,
    );
  });

  it('rolls a failed transaction back and keeps the statement’s own error', async () => {
    const db = await connect();
    await db.migrate(MIGRATIONS);
    const failed = await db
      .transaction(async (client) => {
        await client.query('INSERT INTO t (id) VALUES (1)');
        await client.query('INSERT INTO t (id) VALUES (1)');
      })
      .then(
        () => undefined,
        (error: unknown) => error as { code?: string },
      );
    expect(failed?.code).to.equal('23505');
    expect((await db.query('SELECT count(*)::int AS n FROM t')).rows[0]).to.deep.equal({ n: 0 });
  });

  it('answers ERR_LOG_UNAVAILABLE once the database is gone, and is not ready', async () => {
    const db = await connect();
    expect(await db.ready()).to.equal(true);
    await fresh.drop();
    const failed = await db.query('SELECT 1').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).to.be.instanceOf(GatewayError);
    expect((failed as GatewayError).code).to.equal('ERR_LOG_UNAVAILABLE');
    expect(await db.ready()).to.equal(false);
    fresh = await freshPostgresDatabase(); // for afterEach
  });
});
