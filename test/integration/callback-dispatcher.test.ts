/**
 * The callback dispatcher against real HTTP receivers on port 0 and a real SQLite outbox in a temp dir
 * (docs/callbacks.md): delivered and verifiable, receiver down, slow, 500, redirecting elsewhere, unregistered
 * consumers, the queue bound, restarts. Short retry delays keep it fast; no test sleeps longer than a timeout.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import {
  createCallbackDispatcher,
  type CallbackDispatcher,
  type CallbackDispatcherOptions,
} from '../../gateway/adapters/callbacks/create-callback-dispatcher.js';
import {
  PRUNE_EVERY,
  SqliteCallbackOutbox,
  type OutboxBounds,
} from '../../gateway/adapters/sqlite/sqlite-callback-outbox.js';
import { SqliteDatabase } from '../../gateway/adapters/sqlite/sqlite-database.js';
import { verifyCallback, type CallbackEvent } from '../../gateway/core/callbacks/index.js';
import { GatewayError } from '../../gateway/core/errors.js';
import type { Participant } from '../../gateway/core/ports.js';
import { createLogger } from '../../gateway/log.js';

const A = 'ags:09999001';
const B = 'ags:09999002';
const SECRETS = new Map([
  [A, 'secret-of-the-wohngeldstelle-32-chars-or-more'],
  [B, 'secret-of-the-elterngeldstelle-32-chars-or-more'],
]);

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly method: string | undefined;
}

type Mode = 'ok' | '500' | 'slow' | 'slow-once' | 'redirect' | 'endless';

interface Receiver {
  readonly url: string;
  readonly requests: Received[];
  mode: Mode;
  redirectTo?: string;
  close(): Promise<void>;
}

async function startReceiver(mode: Mode = 'ok'): Promise<Receiver> {
  const requests: Received[] = [];
  const held = new Set<() => void>();
  const receiver: Receiver = {
    url: '',
    requests,
    mode,
    async close() {
      for (const release of held) release();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        method: req.method,
      });
      const m = receiver.mode;
      if (m === 'slow' || (m === 'slow-once' && requests.length === 1)) {
        const release = () => {
          held.delete(release);
          if (!res.writableEnded) res.writeHead(200).end('late');
        };
        held.add(release);
        setTimeout(release, 2_000).unref();
        return;
      }
      if (m === '500') return void res.writeHead(500).end('no');
      if (m === 'endless') {
        // 200 and then a body that never ends: only a reader that stops early gets past it.
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(16_384, 'x');
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        res.on('close', () => res.removeAllListeners('drain'));
        pump();
        return;
      }
      if (m === 'redirect') return void res.writeHead(302, { location: receiver.redirectTo }).end();
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks`;
  return receiver;
}

/** A URL on which nothing listens: a port that was just free. */
async function closedUrl(): Promise<string> {
  const r = await startReceiver();
  await r.close();
  return r.url;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function event(overrides: Partial<CallbackEvent> = {}): CallbackEvent {
  return {
    consumer: A,
    type: 'exchange.finished',
    id: '3b0c5a52-8f1e-4c1a-9d7e-3f9a2b1c0d01',
    status: 'released',
    at: '2026-03-01T12:00:00.000Z',
    ...overrides,
  };
}

describe('callback dispatcher (real HTTP receivers, SQLite outbox)', () => {
  let dir: string;
  const receivers: Receiver[] = [];
  const dispatchers: CallbackDispatcher[] = [];
  const databases: SqliteDatabase[] = [];
  /** The registry as the trust store holds it: participant id → callback URL. */
  let registered: Map<string, string>;
  let offsetMs = 0;
  const clock = { nowMs: () => Date.now() + offsetMs };
  const trust = {
    participant: (id: string): Participant | undefined =>
      registered.has(id)
        ? { id, name: id, roles: ['consumer'], evidenceTypes: [], callbackUrl: registered.get(id)! }
        : id === 'ags:09999003'
          ? { id, name: id, roles: ['consumer'], evidenceTypes: [] }
          : undefined,
  };

  async function receiver(mode: Mode = 'ok'): Promise<Receiver> {
    const r = await startReceiver(mode);
    receivers.push(r);
    return r;
  }

  function setup(
    options: Partial<CallbackDispatcherOptions> = {},
    bounds: Partial<OutboxBounds> = {},
    start = true,
  ) {
    const db = new SqliteDatabase(join(dir, 'gateway.db'));
    databases.push(db);
    const outbox = new SqliteCallbackOutbox(db, {
      maxPending: 100,
      maxPendingPerConsumer: 50,
      maxFinished: 100,
      ...bounds,
    });
    const registry = new Registry();
    const dispatcher = createCallbackDispatcher({
      outbox,
      trust,
      secrets: SECRETS,
      clock,
      logger: createLogger({ level: 'silent' }),
      maxAttempts: 3,
      baseDelayMs: 10,
      maxDelayMs: 40,
      timeoutMs: 250,
      allowHttp: true,
      registry,
      ...options,
    });
    dispatchers.push(dispatcher);
    if (start) dispatcher.start();
    return { db, outbox, dispatcher, registry };
  }

  async function metric(registry: Registry, name: string): Promise<number> {
    const json = await registry.getMetricsAsJSON();
    return json.find((m) => m.name === name)?.values[0]?.value ?? 0;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oog-callbacks-'));
    registered = new Map();
    offsetMs = 0;
  });

  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.close();
    for (const r of receivers.splice(0)) await r.close();
    for (const db of databases.splice(0)) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a signed JSON body that the documented verifier accepts, once', async () => {
    const r = await receiver('ok');
    registered.set(A, r.url);
    const { outbox, dispatcher, registry } = setup();
    await dispatcher.notify(event({ status: 'refused', code: 'ERR_CONSENT_MISSING' }));
    await waitFor('delivery', () => outbox.rows()[0]?.state === 'delivered');
    expect(r.requests).to.have.length(1);
    const got = r.requests[0]!;
    expect(got.method).to.equal('POST');
    expect(got.headers['content-type']).to.equal('application/json');
    expect(() =>
      verifyCallback({
        secret: SECRETS.get(A)!,
        body: got.body,
        timestamp: got.headers['callback-timestamp'],
        authentication: got.headers['callback-authentication'],
        nowMs: Date.now(),
      }),
    ).not.to.throw();
    expect(JSON.parse(got.body)).to.deep.equal(event({ status: 'refused', code: 'ERR_CONSENT_MISSING' }));
    // The other consumer's secret does not verify it: each consumer has its own.
    let code: string | undefined;
    try {
      verifyCallback({
        secret: SECRETS.get(B)!,
        body: got.body,
        timestamp: got.headers['callback-timestamp'],
        authentication: got.headers['callback-authentication'],
        nowMs: Date.now(),
      });
    } catch (error) {
      code = (error as GatewayError).code;
    }
    expect(code).to.equal('ERR_SIG_INVALID');
    expect(await metric(registry, 'oog_callbacks_delivered_total')).to.equal(1);
    expect(outbox.rows()[0]).to.include({ attempts: 1, lastError: null });
  });

  it('retries a receiver that is down (connection refused) a bounded number of times, then marks it failed', async () => {
    registered.set(A, await closedUrl());
    const { outbox, dispatcher, registry } = setup();
    await dispatcher.notify(event());
    await waitFor('failure', () => outbox.rows()[0]?.state === 'failed');
    const row = outbox.rows()[0]!;
    expect(row.attempts).to.equal(3);
    expect(row.lastError).to.equal('network-ECONNREFUSED');
    expect(await metric(registry, 'oog_callbacks_failed_total')).to.equal(1);
    expect(await metric(registry, 'oog_callbacks_retried_total')).to.equal(2);
    expect(await metric(registry, 'oog_callbacks_delivered_total')).to.equal(0);
  });

  it('gives up on a slow receiver after the per-attempt timeout and retries, delivering when it answers in time', async () => {
    const r = await receiver('slow-once');
    registered.set(A, r.url);
    const { outbox, dispatcher } = setup();
    const started = Date.now();
    await dispatcher.notify(event());
    await waitFor('delivery', () => outbox.rows()[0]?.state === 'delivered');
    expect(Date.now() - started).to.be.below(1_500); // not the receiver's 2 s: the 250 ms timeout cut it off
    expect(r.requests).to.have.length(2);
    expect(outbox.rows()[0]).to.include({ attempts: 2 });
  });

  it('marks a callback failed after maxAttempts when the receiver always times out', async () => {
    const r = await receiver('slow');
    registered.set(A, r.url);
    const { outbox, dispatcher } = setup();
    await dispatcher.notify(event());
    await waitFor('failure', () => outbox.rows()[0]?.state === 'failed');
    expect(outbox.rows()[0]).to.include({ attempts: 3, lastError: 'timeout' });
    expect(r.requests).to.have.length(3);
  });

  it('retries a receiver answering 500, then marks it failed after exactly maxAttempts requests', async () => {
    const r = await receiver('500');
    registered.set(A, r.url);
    const { outbox, dispatcher, registry } = setup();
    await dispatcher.notify(event());
    await waitFor('failure', () => outbox.rows()[0]?.state === 'failed');
    await dispatcher.idle();
    expect(r.requests).to.have.length(3);
    expect(outbox.rows()[0]).to.include({ attempts: 3, lastError: 'http-500' });
    expect(await metric(registry, 'oog_callbacks_failed_total')).to.equal(1);
  });

  it('counts a 2xx as delivered without reading an endless answer body to its end', async () => {
    const r = await receiver('endless');
    registered.set(A, r.url);
    const { outbox, dispatcher } = setup({ timeoutMs: 2_000 });
    await dispatcher.notify(event());
    await waitFor('delivery', () => outbox.rows()[0]?.state === 'delivered', 1_500);
    expect(outbox.rows()[0]).to.include({ attempts: 1 });
  });

  it('never follows a redirect: the other URL receives nothing and the 302 counts as a failure', async () => {
    const elsewhere = await receiver('ok');
    const r = await receiver('redirect');
    r.redirectTo = elsewhere.url;
    registered.set(A, r.url);
    const { outbox, dispatcher } = setup();
    await dispatcher.notify(event());
    await waitFor('failure', () => outbox.rows()[0]?.state === 'failed');
    expect(r.requests).to.have.length(3);
    expect(elsewhere.requests).to.have.length(0);
    expect(outbox.rows()[0]).to.include({ lastError: 'redirect-302' });
  });

  it('sends nothing and queues nothing for a consumer without callback URL, without secret, or unknown', async () => {
    const r = await receiver('ok');
    const { outbox, dispatcher } = setup({ secrets: new Map([[A, SECRETS.get(A)!]]) });
    registered.set(B, r.url); // a URL, but no secret for B in this dispatcher
    await dispatcher.notify(event({ consumer: 'ags:09999003' })); // registered, no callback URL
    await dispatcher.notify(event({ consumer: B }));
    await dispatcher.notify(event({ consumer: 'ags:09999099' })); // not a participant at all
    await dispatcher.idle();
    expect(outbox.rows()).to.have.length(0);
    expect(r.requests).to.have.length(0);
  });

  it('sends nothing to an http URL unless http is allowed (demo mode)', async () => {
    const r = await receiver('ok');
    registered.set(A, r.url);
    const { outbox, dispatcher } = setup({ allowHttp: false });
    await dispatcher.notify(event());
    await dispatcher.idle();
    expect(outbox.rows()).to.have.length(0);
    expect(r.requests).to.have.length(0);
  });

  it('rejects a malformed event with ERR_INTERNAL and queues nothing', async () => {
    registered.set(A, await closedUrl());
    const { outbox, dispatcher } = setup();
    let code: string | undefined;
    try {
      await dispatcher.notify(event({ status: 'approved' }));
    } catch (error) {
      code = (error as GatewayError).code;
    }
    expect(code).to.equal('ERR_INTERNAL');
    expect(outbox.rows()).to.have.length(0);
  });

  it('contacts only the URL registered at send time, and nobody once the registration is gone', async () => {
    const old = await receiver('ok');
    const current = await receiver('ok');
    registered.set(A, old.url);
    const { outbox, dispatcher } = setup({}, {}, false);
    await dispatcher.notify(event({ id: 'first' }));
    await dispatcher.notify(event({ id: 'second' }));
    registered.set(A, current.url); // re-registered before delivery
    dispatcher.start();
    await waitFor('delivery', () => outbox.rows().every((row) => row.state === 'delivered'));
    expect(old.requests).to.have.length(0);
    expect(current.requests).to.have.length(2);

    const { dispatcher: second, outbox: outbox2 } = setup({}, {}, false);
    await second.notify(event({ id: 'third' }));
    registered.delete(A);
    second.start();
    await waitFor('failure', () => outbox2.rows().find((row) => row.eventId === 'third')?.state === 'failed');
    expect(outbox2.rows().find((row) => row.eventId === 'third')).to.include({
      lastError: 'no-callback-url',
    });
    expect(current.requests).to.have.length(2);
    expect(old.requests).to.have.length(0);
  });

  it('records callbacks over the per-consumer and total bounds as dropped, and the table stops growing', async () => {
    registered.set(A, await closedUrl());
    registered.set(B, await closedUrl());
    const { outbox, dispatcher, registry } = setup(
      {},
      { maxPending: 3, maxPendingPerConsumer: 2, maxFinished: 4 },
      false,
    );
    for (let i = 0; i < 5; i++) await dispatcher.notify(event({ id: `a-${i}` }));
    await dispatcher.notify(event({ consumer: B, id: 'b-0' }));
    await dispatcher.notify(event({ consumer: B, id: 'b-1' }));
    expect(outbox.counts()).to.deep.include({ pending: 3, dropped: 4 });
    expect(
      outbox
        .rows()
        .filter((r) => r.state === 'pending')
        .map((r) => r.eventId),
    ).to.deep.equal(['a-0', 'a-1', 'b-0']);
    expect(outbox.rows().find((r) => r.state === 'dropped')?.body).to.equal('');
    for (let i = 0; i < 300; i++) await dispatcher.notify(event({ id: `more-${i}` }));
    expect(outbox.rows().length).to.be.at.most(3 + 4 + PRUNE_EVERY);
    expect(outbox.counts().pending).to.equal(3);
    expect(await metric(registry, 'oog_callbacks_dropped_total')).to.equal(304);
    expect(await metric(registry, 'oog_callbacks_pending')).to.equal(3);
    // The bound holds across a restart: the pending rows are counted again when the outbox opens.
    const db2 = new SqliteDatabase(join(dir, 'gateway.db'));
    databases.push(db2);
    const reopened = new SqliteCallbackOutbox(db2, {
      maxPending: 3,
      maxPendingPerConsumer: 2,
      maxFinished: 4,
    });
    expect(await reopened.pendingCount()).to.equal(3);
    expect(
      await reopened.enqueue(
        { consumer: B, eventType: 'exchange.finished', eventId: 'x', body: '{}' },
        Date.now(),
      ),
    ).to.equal('dropped');
  });

  it('picks pending callbacks up again after a restart', async () => {
    const r = await receiver('ok');
    registered.set(A, r.url);
    const first = setup({}, {}, false);
    await first.dispatcher.notify(event({ id: 'before-restart' }));
    await first.dispatcher.close();
    first.db.close();
    expect(r.requests).to.have.length(0);

    const second = setup();
    await waitFor('delivery', () => second.outbox.rows()[0]?.state === 'delivered');
    expect(r.requests.map((q) => JSON.parse(q.body).id)).to.deep.equal(['before-restart']);
  });

  it('repeats an attempt that was cut off by close() after the restart, without counting it', async () => {
    const r = await receiver('slow');
    registered.set(A, r.url);
    const first = setup({ timeoutMs: 5_000 });
    await first.dispatcher.notify(event({ id: 'in-flight' }));
    await waitFor('the attempt to arrive', () => r.requests.length === 1);
    await first.dispatcher.close();
    expect(first.outbox.rows()[0]).to.include({ state: 'pending', attempts: 0 });
    first.db.close();

    r.mode = 'ok';
    const second = setup({ timeoutMs: 5_000 });
    await waitFor('delivery', () => second.outbox.rows()[0]?.state === 'delivered');
    expect(second.outbox.rows()[0]).to.include({ attempts: 1 });
    expect(r.requests).to.have.length(2);
  });

  it('leases a row to the dispatcher attempting it: a second gateway on the same store leaves it alone', async () => {
    const r = await receiver('slow');
    registered.set(A, r.url);
    const first = setup({ timeoutMs: 2_000 });
    await first.dispatcher.notify(event({ id: 'leased' }));
    await waitFor('the attempt to arrive', () => r.requests.length === 1);
    const second = setup({ timeoutMs: 2_000, idleMs: 20 });
    second.dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.requests).to.have.length(1);
    expect(second.outbox.rows()[0]).to.include({ state: 'pending', attempts: 0 });
  });

  it('attempts a row again once the lease of a dispatcher that died has ended', async () => {
    const r = await receiver('ok');
    registered.set(A, r.url);
    const dead = setup({}, {}, false);
    await dead.dispatcher.notify(event({ id: 'orphaned-lease' }));
    // What a crashed gateway leaves: a lease taken, no attempt recorded.
    expect(await dead.outbox.lease(clock.nowMs(), 10, 60_000)).to.have.length(1);
    const second = setup({ idleMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.requests).to.have.length(0);
    offsetMs = 61_000;
    await waitFor('delivery', () => second.outbox.rows()[0]?.state === 'delivered');
    expect(second.outbox.rows()[0]).to.include({ attempts: 1 });
    expect(r.requests).to.have.length(1);
  });

  it('has at most `concurrency` attempts in flight at once', async () => {
    const r = await receiver('slow');
    registered.set(A, r.url);
    const { dispatcher } = setup({ concurrency: 2, timeoutMs: 5_000 });
    for (let i = 0; i < 5; i++) await dispatcher.notify(event({ id: `c-${i}` }));
    await waitFor('two attempts', () => r.requests.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(r.requests).to.have.length(2);
  });
});
