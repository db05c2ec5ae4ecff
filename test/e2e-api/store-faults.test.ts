/**
 * Issue 11, denial of service (d) and (f): another connection holding SQLite's writer lock froze the whole event
 * loop for up to 5 s per batch (`/healthz` waited 7.9 s), and with the store's disk full every exchange got 503
 * while `/readyz` said ready. Now a busy store answers 503 ERR_LOG_UNAVAILABLE within its wait while health
 * keeps answering, and a store that cannot take writes is reported by `/readyz` until it can again.
 * A full disk is SQLite's `max_page_count` on the gateway's own connection: the same SQLITE_FULL a full disk
 * gives, without filling one.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../helpers/start-test-gateway.js';

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
}

describe('e2e: a busy or full store (issue 11)', function () {
  this.timeout(60_000);
  let g: TestGateway;
  before(async () => {
    g = await startTestGateway({ meldebehoerde: 'ok' });
  });
  after(async () => g?.close());

  it('answers 503 ERR_LOG_UNAVAILABLE while another connection holds the writer lock, and health meanwhile', async () => {
    expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
    const other = new Database(join(g.dataDir, 'gateway.db'));
    try {
      other.exec('BEGIN IMMEDIATE');
      const before = g.provider!.requests;
      const token = await g.signRequest();
      const started = performance.now();
      const exchange = timed(g.sendJws(token));
      // While the exchange waits for the lock, the event loop is free: /healthz answers at once.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const health = await g.request('GET', '/healthz');
      expect(health.status).to.equal(200);
      // With SQLite's 5 s busy wait on the event loop (this process's too) it came after the wait.
      expect(performance.now() - started).to.be.below(1_500);
      const answer = await exchange;
      expect([answer.value.status, answer.value.json?.['code']]).to.deep.equal([503, 'ERR_LOG_UNAVAILABLE']);
      expect(answer.ms).to.be.below(4_000);
      expect(g.provider!.requests).to.equal(before);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
    // The lock gone, the next exchange passes.
    expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
  });

  it('waits out a short lock instead of refusing', async () => {
    const other = new Database(join(g.dataDir, 'gateway.db'));
    try {
      other.exec('BEGIN IMMEDIATE');
      const exchange = g.sendJws(await g.signRequest());
      await new Promise((resolve) => setTimeout(resolve, 300));
      other.exec('COMMIT');
      expect((await exchange).status).to.equal(200);
    } finally {
      other.close();
    }
  });

  it('reports a full store on /readyz once a write failed, and ready again once it can write', async () => {
    const backend = g.gateway.backend;
    if (backend.kind !== 'sqlite') throw new Error('this test injects SQLite faults');
    const db = backend.database.db;
    expect((await g.request('GET', '/readyz')).status).to.equal(200);
    const pages = Number(db.pragma('page_count', { simple: true }));
    db.pragma(`max_page_count = ${pages}`);
    try {
      let status = 200;
      for (let i = 0; i < 500 && status === 200; i++)
        status = (await g.sendJws(await g.signRequest())).status;
      expect(status).to.equal(503);
      const ready = await g.request('GET', '/readyz');
      expect({ status: ready.status, code: ready.json?.['code'] }).to.deep.equal({
        status: 503,
        code: 'ERR_LOG_UNAVAILABLE',
      });
      // Nothing comes in: the probe (at most one a second) keeps finding the store full.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await g.request('GET', '/readyz')).status).to.equal(503);
    } finally {
      db.pragma('max_page_count = 1073741823');
    }
    // Space again: without any exchange, the next probe finds the store writable.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await g.request('GET', '/readyz')).status).to.equal(200);
    expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
  });
});
