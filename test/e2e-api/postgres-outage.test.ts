/**
 * Issue 13 "the database goes away mid-exchange → 503, nothing forwarded, no released without its record; back →
 * serves": the gateway's PostgreSQL database stops taking connections and its sessions are terminated (what a
 * PostgreSQL restart or failover does to the gateway, confined to this test's database), then comes back.
 */
import { expect } from 'chai';
import pg from 'pg';
import { freshPostgresDatabase, POSTGRES_ADMIN_URL, type FreshDatabase } from '../helpers/postgres.js';
import { startTestGateway, type TestGateway } from '../helpers/start-test-gateway.js';

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('e2e: the PostgreSQL database goes away and comes back (issue 13)', function () {
  this.timeout(60_000);
  let fresh: FreshDatabase;
  let g: TestGateway;

  before(async () => {
    fresh = await freshPostgresDatabase();
    g = await startTestGateway({ meldebehoerde: 'ok', config: { databaseUrl: fresh.url } });
  });
  after(async () => {
    await admin(`ALTER DATABASE ${fresh.name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await g?.close();
    await fresh?.drop();
  });

  it('answers 503 ERR_LOG_UNAVAILABLE during the outage without forwarding, and serves again by itself', async () => {
    expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
    const forwardedBefore = g.provider!.requests;

    await admin(`ALTER DATABASE ${fresh.name} ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${fresh.name}'`);
    for (let i = 0; i < 5; i++) {
      const answer = await g.sendJws(await g.signRequest());
      expect({ status: answer.status, code: answer.json?.['code'] }, answer.text).to.deep.equal({
        status: 503,
        code: 'ERR_LOG_UNAVAILABLE',
      });
    }
    expect(g.provider!.requests, 'forwarded during the outage').to.equal(forwardedBefore);
    expect((await g.request('GET', '/readyz')).status).to.equal(503);

    await admin(`ALTER DATABASE ${fresh.name} ALLOW_CONNECTIONS true`);
    const until = Date.now() + 15_000;
    while ((await g.request('GET', '/readyz')).status !== 200) {
      if (Date.now() > until) throw new Error('not ready again within 15 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const after = await g.sendJws(await g.signRequest());
    expect(after.status, after.text).to.equal(200);
    const records = await g.records();
    // Nothing released without its record: every release answered has one, none was answered during the outage.
    expect(records.filter((r) => r.outcome === 'released')).to.have.length(2);
    expect((await g.gateway.transferLog.verifyStored()).ok).to.equal(true);
  });
});
