import { expect } from 'chai';
import { Counter } from 'prom-client';
import { bodyOf, startTestApp } from './http-harness.js';
import type { TestApp } from './http-harness.js';

describe('createApp: operations endpoints', () => {
  let app: TestApp;
  let readiness: () => Promise<{ ok: boolean; checks: Record<string, boolean> }>;
  let counter: Counter;

  before(async () => {
    app = await startTestApp((services) => {
      counter = new Counter({
        name: 'oog_test_exchanges_total',
        help: 'a metric another part adds',
        registers: [services.metrics!],
      });
      return { ...services, health: { ready: () => readiness() } };
    });
  });
  beforeEach(() => {
    app.reset();
    readiness = async () => ({ ok: true, checks: { store: true, keys: true } });
  });
  after(() => app.close());

  it('answers /healthz with 200 while up', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).to.equal(200);
    expect(await bodyOf(res)).to.deep.equal({ status: 'ok' });
  });

  it('answers /healthz with 200 even when not ready', async () => {
    readiness = async () => ({ ok: false, checks: { store: false } });
    expect((await fetch(`${app.url}/healthz`)).status).to.equal(200);
  });

  it('answers /readyz with 200 and the checks when ready', async () => {
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).to.equal(200);
    expect(await bodyOf(res)).to.deep.equal({ status: 'ready', checks: { store: true, keys: true } });
  });

  it('answers /readyz with a 503 problem naming the failed check when not ready', async () => {
    readiness = async () => ({ ok: false, checks: { store: false, keys: true } });
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).to.equal(503);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(await bodyOf(res)).to.deep.include({
      code: 'ERR_LOG_UNAVAILABLE',
      status: 503,
      checks: { store: false, keys: true },
    });
  });

  it('answers /readyz with 503 when the readiness check itself throws, without its message', async () => {
    readiness = async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.5:5432');
    };
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).to.equal(503);
    const text = await res.text();
    expect(JSON.parse(text)).to.have.property('code', 'ERR_LOG_UNAVAILABLE');
    expect(text).to.not.include('ECONNREFUSED');
  });

  it('serves Prometheus text with the request counter and duration by route, and metrics added by others', async () => {
    counter.inc(3);
    await fetch(`${app.url}/healthz`);
    await fetch(`${app.url}/no/such/route`);
    const res = await fetch(`${app.url}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).to.match(/^oog_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+$/m);
    expect(text).to.match(/^oog_http_requests_total\{method="GET",route="unmatched",status="404"\} \d+$/m);
    expect(text).to.match(
      /^oog_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/healthz",status="200"\} \d+$/m,
    );
    expect(text).to.match(/^oog_test_exchanges_total 3$/m);
  });

  it('labels parameterised routes by their template, never by the concrete URL', async () => {
    await fetch(`${app.url}/v1/evidence-requests/7a1c8f9e-3b2d-4c5e-9f00-112233445566`);
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).to.include('route="/v1/evidence-requests/{exchangeId}"');
    expect(text).to.not.include('7a1c8f9e');
  });

  it('serves the JWKS as JSON, cacheable, and strips any private member a key source hands over', async () => {
    const leaky = await startTestApp((services) => ({
      ...services,
      jwks: () => ({ keys: [{ kty: 'EC', crv: 'P-256', x: 'X', y: 'Y', d: 'PRIVATE', kid: 'k1' }] }),
    }));
    try {
      const res = await fetch(`${leaky.url}/.well-known/jwks.json`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.headers.get('cache-control')).to.equal('public, max-age=300');
      expect(await bodyOf(res)).to.deep.equal({
        keys: [{ kty: 'EC', crv: 'P-256', x: 'X', y: 'Y', kid: 'k1' }],
      });
    } finally {
      await leaky.close();
    }
  });
});
