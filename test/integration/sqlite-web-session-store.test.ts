import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteWebSessionStore } from '../../gateway/adapters/sqlite/sqlite-web-session-store.js';

const T0 = Date.UTC(2026, 10, 1, 9);
const record = (idHash: string, overrides: Record<string, number> = {}) => ({
  idHash,
  data: JSON.stringify({ kind: 'session' }),
  createdAt: T0,
  lastSeenAt: T0,
  expiresAt: T0 + 8 * 3600_000,
  ...overrides,
});

describe('SqliteWebSessionStore', () => {
  let dir: string;
  let database: SqliteDatabase;
  let store: SqliteWebSessionStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oog-sessions-'));
    database = new SqliteDatabase(join(dir, 'gateway.db'));
    store = new SqliteWebSessionStore(database);
  });
  afterEach(() => {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores, reads and survives a reopen of the file', async () => {
    await store.create(record('a'));
    database.close();
    database = new SqliteDatabase(join(dir, 'gateway.db'));
    store = new SqliteWebSessionStore(database);
    expect(await store.get('a')).to.deep.equal(record('a'));
    expect(await store.get('b')).to.equal(undefined);
  });

  it('moves lastSeenAt forward only', async () => {
    await store.create(record('a'));
    await store.touch('a', T0 + 5000);
    await store.touch('a', T0 + 1000);
    expect((await store.get('a'))?.lastSeenAt).to.equal(T0 + 5000);
  });

  it('deletes once: the second delete of the same id reports false (a login is consumed exactly once)', async () => {
    await store.create(record('a'));
    const [first, second] = await Promise.all([store.delete('a'), store.delete('a')]);
    expect([first, second]).to.deep.equal([true, false]);
    expect(await store.get('a')).to.equal(undefined);
  });

  it('purges sessions past their end or idle too long, and keeps the rest', async () => {
    await store.create(record('ended', { expiresAt: T0 + 1000 }));
    await store.create(record('idle', { lastSeenAt: T0 - 3600_000 }));
    await store.create(record('fresh'));
    expect(await store.purge(T0 + 2000, T0 - 900_000)).to.equal(2);
    expect(await store.get('fresh')).to.not.equal(undefined);
  });

  it('refuses data that is not JSON (CHECK constraint)', async () => {
    let failed = false;
    try {
      await store.create({ ...record('x'), data: 'not json' });
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
  });
});
