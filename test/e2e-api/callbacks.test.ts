/**
 * Callbacks wired into the running gateway (gateway/main.ts): the demo registry's callback URLs point at a closed
 * port without breaking the start, and a consumer registered with a real receiver gets a verifiable callback
 * through RunningGateway.callbacks, counted in /metrics.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { expect } from 'chai';
import { verifyCallback } from '../../gateway/core/callbacks/index.js';
import { fromRoot } from '../../gateway/paths.js';
import { signXoevRequest } from '../../gateway/core/envelope/xoev/index.js';
import {
  ELTERNGELDSTELLE,
  ERIKA,
  exampleSigner,
  GATEWAY_ID,
  STANDESAMT,
  startTestGateway,
  WOHNGELDSTELLE,
  type TestGateway,
} from '../helpers/start-test-gateway.js';

const SECRET = 'a-test-secret-for-the-wohngeldstelle-0123456789';

async function waitFor(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 8_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('callbacks in the running gateway', () => {
  let t: TestGateway | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('starts with the demo callback URLs on a closed port and accepts a notification for a demo consumer', async () => {
    t = await startTestGateway();
    const registered = t.gateway.trust.participant(WOHNGELDSTELLE)?.callbackUrl;
    expect(registered).to.match(/^http:\/\/127\.0\.0\.1:8099\//);
    await t.gateway.callbacks.notify({
      consumer: WOHNGELDSTELLE,
      type: 'exchange.finished',
      id: 'e0b7d1de-5a4e-4c57-9f55-7a7f3c3b2a10',
      status: 'released',
      at: new Date().toISOString(),
    });
    const metrics = await t.request('GET', '/metrics');
    expect(metrics.status).to.equal(200);
    expect(metrics.text).to.match(/^oog_callbacks_dropped_total 0$/m);
  });

  /** The demo gateway with `consumer`'s callback URL pointing at `server` and a secret for it. */
  async function gatewayCalling(server: Server, consumer: string): Promise<TestGateway> {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oog-callbacks`;
    // A registry like the example one, with certificate paths made absolute and the receiver's URL.
    dir = mkdtempSync(join(tmpdir(), 'oog-callbacks-e2e-'));
    const example = fromRoot('certs-example/participants.json');
    const registry = JSON.parse(readFileSync(example, 'utf8')) as {
      anchors: string[];
      intermediates: string[];
      crls: string[];
      participants: { id: string; callbackUrl?: string; certificates: string[] }[];
    };
    const abs = (files: string[]) => files.map((f) => resolve(dirname(example), f));
    registry.anchors = abs(registry.anchors);
    registry.intermediates = abs(registry.intermediates);
    registry.crls = abs(registry.crls);
    for (const p of registry.participants) {
      p.certificates = abs(p.certificates);
      if (p.id === consumer) p.callbackUrl = url;
    }
    const participantsFile = join(dir, 'participants.json');
    writeFileSync(participantsFile, JSON.stringify(registry));
    const secretsFile = join(dir, 'callback-secrets.json');
    writeFileSync(secretsFile, JSON.stringify({ secrets: { [consumer]: SECRET } }), { mode: 0o600 });
    return startTestGateway({ config: { participantsFile, callbacks: { secretsFile } } });
  }

  it('tells the consumer when the citizen rejects its held evidence (exchange.finished, preview-rejected)', async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(204).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      t = await gatewayCalling(server, ELTERNGELDSTELLE);
      const gw = t;
      const citizen = await gw.citizenToken(ERIKA);
      await gw.request('POST', '/v1/me/consents', {
        bearer: citizen,
        json: { consumer: ELTERNGELDSTELLE, evidenceTypes: ['geburtsurkunde'], purpose: 'elterngeld-antrag' },
      });
      const xml = signXoevRequest(
        { signer: exampleSigner(ELTERNGELDSTELLE), clock: gw.clock },
        { to: { id: GATEWAY_ID, name: 'Once-Only Gateway (Demo)' } },
        {
          evidenceType: 'geburtsurkunde',
          provider: STANDESAMT,
          subjectIdnr: ERIKA,
          purpose: 'elterngeld-antrag',
          procedure: { reference: 'EG-1' },
          actor: 'sb-1',
        },
      );
      const held = await gw.request('POST', '/v1/evidence-requests', {
        body: xml,
        contentType: 'application/xml',
      });
      expect(held.status).to.equal(202);
      const exchangeId = String(held.json!['exchangeId']);
      expect(received).to.deep.equal([]);
      const rejected = await gw.request('POST', `/v1/me/previews/${exchangeId}`, {
        bearer: citizen,
        json: { decision: 'reject' },
      });
      expect(rejected.status).to.equal(200);
      await waitFor('the callback', () => received.length === 1);
      expect(JSON.parse(received[0]!)).to.deep.include({
        consumer: ELTERNGELDSTELLE,
        type: 'exchange.finished',
        id: exchangeId,
        status: 'preview-rejected',
        code: 'ERR_PREVIEW_REJECTED',
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('delivers a signed callback to the URL registered for the consumer, counted in /metrics', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      t = await gatewayCalling(server, WOHNGELDSTELLE);
      const event = {
        consumer: WOHNGELDSTELLE,
        type: 'consent-request.finished',
        id: '9d6c3f0e-1b2a-4c3d-8e4f-5a6b7c8d9e0f',
        status: 'declined',
        at: '2026-03-01T12:00:00.000Z',
      } as const;
      await t.gateway.callbacks.notify(event);
      await waitFor('the callback', () => received.length === 1);
      const got = received[0]!;
      verifyCallback({
        secret: SECRET,
        body: got.body,
        timestamp: got.headers['callback-timestamp'],
        authentication: got.headers['callback-authentication'],
        nowMs: Date.now(),
      });
      expect(JSON.parse(got.body)).to.deep.equal(event);
      await waitFor('the metric', async () =>
        /^oog_callbacks_delivered_total 1$/m.test((await t!.request('GET', '/metrics')).text),
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
