import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SqliteDatabase } from '../../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteReplayStore } from '../../gateway/adapters/sqlite/sqlite-replay-store.js';
import { GatewayError } from '../../gateway/core/errors.js';

describe('SqliteReplayStore', () => {
  let dir: string;
  let file: string;
  const open: SqliteDatabase[] = [];
  let now = Date.UTC(2025, 0, 1);
  const clock = { nowMs: () => now };

  function openStore(path = file, options: { readonly?: boolean } = {}) {
    const db = new SqliteDatabase(path, options);
    open.push(db);
    return { db, store: new SqliteReplayStore(db, clock) };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oog-replay-'));
    file = join(dir, 'gateway.db');
    now = Date.UTC(2025, 0, 1);
  });

  afterEach(() => {
    for (const d of open.splice(0)) d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('remember', () => {
    it('resolves true for exactly one of 50 concurrent calls with the same pair', async () => {
      const { store } = openStore();
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.remember('ags:1', 'm-1', now + 60_000)),
      );
      expect(results.filter(Boolean)).to.have.length(1);
    });

    it('keeps issuers apart: the same message id from two issuers is new for each', async () => {
      const { store } = openStore();
      expect(await store.remember('ags:1', 'm-1', now + 60_000)).to.equal(true);
      expect(await store.remember('ags:2', 'm-1', now + 60_000)).to.equal(true);
      expect(await store.remember('ags:1', 'm-2', now + 60_000)).to.equal(true);
      expect(await store.remember('ags:1', 'm-1', now + 60_000)).to.equal(false);
    });

    it('still knows a pair after the file is reopened, also under 50 concurrent calls', async () => {
      const first = openStore();
      expect(await first.store.remember('ags:1', 'm-1', now + 60_000)).to.equal(true);
      first.db.close();
      const again = openStore();
      const results = await Promise.all(
        Array.from({ length: 50 }, () => again.store.remember('ags:1', 'm-1', now + 60_000)),
      );
      expect(results.filter(Boolean)).to.have.length(0);
      const fresh = await Promise.all(
        Array.from({ length: 50 }, () => again.store.remember('ags:1', 'm-9', now + 60_000)),
      );
      expect(fresh.filter(Boolean)).to.have.length(1);
    });

    it('prunes expired entries now and then, keeping live ones', async () => {
      const { store } = openStore();
      await store.remember('ags:1', 'old', now + 1_000);
      await store.remember('ags:1', 'live', now + 10 * 60_000);
      now += 5 * 60_000;
      await store.remember('ags:1', 'trigger', now + 60_000);
      await new Promise((resolve) => setImmediate(resolve));
      const side = new Database(file, { readonly: true });
      try {
        const ids = (
          side.prepare('SELECT message_id FROM replay ORDER BY message_id').all() as { message_id: string }[]
        ).map((r) => r.message_id);
        expect(ids).to.deep.equal(['live', 'trigger']);
      } finally {
        side.close();
      }
      expect(await store.remember('ags:1', 'live', now + 60_000)).to.equal(false);
    });

    it('rejects when the database cannot be written, with ERR_LOG_UNAVAILABLE', async () => {
      openStore().db.close();
      const { store } = openStore(file, { readonly: true });
      try {
        await store.remember('ags:1', 'm-1', now + 60_000);
        expect.fail('expected a refusal');
      } catch (error) {
        expect(error).to.be.instanceOf(GatewayError);
        expect((error as GatewayError).code).to.equal('ERR_LOG_UNAVAILABLE');
      }
    });
  });
});
