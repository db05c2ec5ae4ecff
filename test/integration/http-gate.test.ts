import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { bodyOf, startTestApp } from './http-harness.js';
import type { TestApp } from './http-harness.js';

/** A request through node:http, for what fetch will not send (chunked bodies, odd encodings). */
function send(
  url: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | Buffer[] },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${options.path}`,
      { method: options.method, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    // The server may answer (413/415) before it has read the whole body and close the connection.
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    for (const part of Array.isArray(options.body) ? options.body : options.body ? [options.body] : [])
      req.write(part);
    req.end();
  });
}

describe('createApp: the gate before any handler', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  beforeEach(() => app.reset());
  after(() => app.close());

  const post = (
    path: string,
    contentType: string | undefined,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });

  it('hands the exact body bytes and media type of an application/jose request to exchange.submit', async () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x2e, 0x62, 0x0d, 0x0a, 0x2e, 0x63, 0xff, 0x00, 0x20]);
    const res = await post('/v1/evidence-requests', 'application/jose', bytes);
    expect(res.status).to.equal(200);
    expect(app.calls.submit).to.have.length(1);
    expect(Buffer.compare(app.calls.submit[0]!.body, bytes)).to.equal(0);
    expect(app.calls.submit[0]!.contentType).to.equal('application/jose');
    expect(app.calls.submit[0]!.requestId).to.equal(res.headers.get('x-request-id'));
  });

  it('accepts application/xml with a charset parameter and passes the bare media type', async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><a xmlns="urn:x">ä</a>';
    const res = await post('/v1/evidence-requests', 'application/xml; charset=utf-8', xml);
    expect(res.status).to.equal(200);
    expect(app.calls.submit[0]!.contentType).to.equal('application/xml');
    expect(app.calls.submit[0]!.body.toString('utf8')).to.equal(xml);
  });

  for (const type of [
    'text/plain',
    'application/json',
    'text/xml',
    'application/jose+json',
    'multipart/form-data',
  ]) {
    it(`refuses ${type} on the evidence route with 415 ERR_MEDIA_TYPE`, async () => {
      const res = await post('/v1/evidence-requests', type, 'a.b.c');
      expect(res.status).to.equal(415);
      expect((await bodyOf(res)).code).to.equal('ERR_MEDIA_TYPE');
      expect(app.calls.submit).to.have.length(0);
    });
  }

  it('refuses an evidence request without Content-Type with 415 ERR_MEDIA_TYPE', async () => {
    const res = await send(app.url, {
      method: 'POST',
      path: '/v1/evidence-requests',
      body: Buffer.from('a.b.c'),
    });
    expect(res.status).to.equal(415);
    expect(JSON.parse(res.body).code).to.equal('ERR_MEDIA_TYPE');
  });

  it('refuses an empty evidence request with 400 ERR_REQUEST_MALFORMED', async () => {
    const res = await post('/v1/evidence-requests', 'application/jose', '');
    expect(res.status).to.equal(400);
    expect((await bodyOf(res)).code).to.equal('ERR_REQUEST_MALFORMED');
    expect(app.calls.submit).to.have.length(0);
  });

  it('accepts a body of exactly 256 KiB and refuses one byte more with 413 ERR_TOO_LARGE', async () => {
    const ok = await post('/v1/evidence-requests', 'application/jose', Buffer.alloc(256 * 1024, 0x61));
    expect(ok.status).to.equal(200);
    const res = await send(app.url, {
      method: 'POST',
      path: '/v1/evidence-requests',
      headers: { 'content-type': 'application/jose', 'content-length': String(256 * 1024 + 1) },
      body: Buffer.alloc(256 * 1024 + 1, 0x61),
    });
    expect(res.status).to.equal(413);
    expect(JSON.parse(res.body).code).to.equal('ERR_TOO_LARGE');
    expect(app.calls.submit).to.have.length(1);
  });

  it('refuses a chunked body that grows over the limit with 413 ERR_TOO_LARGE', async () => {
    const res = await send(app.url, {
      method: 'POST',
      path: '/v1/evidence-requests',
      headers: { 'content-type': 'application/xml', 'transfer-encoding': 'chunked' },
      body: Array.from({ length: 5 }, () => Buffer.alloc(64 * 1024, 0x3c)),
    });
    expect(res.status).to.equal(413);
    expect(JSON.parse(res.body).code).to.equal('ERR_TOO_LARGE');
  });

  it('refuses a JSON body over 64 KiB with 413 ERR_TOO_LARGE', async () => {
    const body = JSON.stringify({ consumer: 'ags:09999001', pad: 'x'.repeat(64 * 1024) });
    const res = await post('/v1/me/consents', 'application/json', body, {
      authorization: 'Bearer erika-token.abc',
    });
    expect(res.status).to.equal(413);
    expect((await bodyOf(res)).code).to.equal('ERR_TOO_LARGE');
  });

  for (const encoding of ['gzip', 'deflate', 'br', 'identity, gzip']) {
    it(`refuses Content-Encoding: ${encoding} with 415 ERR_MEDIA_TYPE and never inflates`, async () => {
      const res = await send(app.url, {
        method: 'POST',
        path: '/v1/evidence-requests',
        headers: { 'content-type': 'application/jose', 'content-encoding': encoding },
        body: gzipSync(Buffer.from('a.b.c')),
      });
      expect(res.status).to.equal(415);
      expect(JSON.parse(res.body).code).to.equal('ERR_MEDIA_TYPE');
      expect(app.calls.submit).to.have.length(0);
    });
  }

  it('refuses malformed JSON with 400 ERR_REQUEST_MALFORMED', async () => {
    const res = await post('/v1/me/consents', 'application/json', '{"consumer":', {
      authorization: 'Bearer erika-token.abc',
    });
    expect(res.status).to.equal(400);
    expect((await bodyOf(res)).code).to.equal('ERR_REQUEST_MALFORMED');
  });

  for (const [what, body] of [
    ['a value', '{"consumer":"ags:09999002","evidenceTypes":["x\\ud800"],"purpose":"p"}'],
    ['a member name', '{"consumer":"ags:09999002","\\udc00":1}'],
  ]) {
    it(`refuses an escaped lone surrogate in ${what} of a JSON body with 400 ERR_REQUEST_MALFORMED`, async () => {
      const res = await post('/v1/me/consents', 'application/json', body!, {
        authorization: 'Bearer erika-token.abc',
      });
      expect(res.status).to.equal(400);
      expect((await bodyOf(res)).code).to.equal('ERR_REQUEST_MALFORMED');
    });
  }

  it('reads an escaped surrogate pair in a JSON body as the character it stands for', async () => {
    const res = await post('/v1/me/consents', 'application/json', '{"purpose":"\\ud83d\\ude00"}', {
      authorization: 'Bearer erika-token.abc',
    });
    expect((await bodyOf(res)).code).to.not.equal('ERR_REQUEST_MALFORMED');
  });

  for (const charset of ['utf-16', 'iso-8859-1', '"us-ascii"']) {
    it(`refuses a JSON body declared with charset=${charset} with 415 ERR_MEDIA_TYPE`, async () => {
      const res = await post('/v1/me/consents', `application/json; charset=${charset}`, '{}', {
        authorization: 'Bearer erika-token.abc',
      });
      expect(res.status).to.equal(415);
      expect((await bodyOf(res)).code).to.equal('ERR_MEDIA_TYPE');
    });
  }

  it('refuses a JSON body that is not an object or array with 400 ERR_REQUEST_MALFORMED', async () => {
    const res = await post('/v1/me/consents', 'application/json', '"text"', {
      authorization: 'Bearer erika-token.abc',
    });
    expect(res.status).to.equal(400);
    expect((await bodyOf(res)).code).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('answers an unknown route with 404 ERR_NOT_FOUND', async () => {
    const res = await fetch(`${app.url}/v1/nothing-here`);
    expect(res.status).to.equal(404);
    expect((await bodyOf(res)).code).to.equal('ERR_NOT_FOUND');
  });

  it('does not route /V1/evidence-requests (routing is case-sensitive)', async () => {
    const res = await post('/V1/evidence-requests', 'application/jose', 'a.b.c');
    expect(res.status).to.equal(404);
    expect((await bodyOf(res)).code).to.equal('ERR_NOT_FOUND');
    expect(app.calls.submit).to.have.length(0);
  });

  it('does not route /v1/evidence-requests/ (no trailing-slash folding)', async () => {
    const res = await post('/v1/evidence-requests/', 'application/jose', 'a.b.c');
    expect(res.status).to.equal(404);
    expect((await bodyOf(res)).code).to.equal('ERR_NOT_FOUND');
    expect(app.calls.submit).to.have.length(0);
  });

  it('does not route /healthz/ or //healthz', async () => {
    expect((await fetch(`${app.url}/healthz/`)).status).to.equal(404);
    expect((await send(app.url, { method: 'GET', path: '//healthz' })).status).to.equal(404);
  });

  it('answers a known path with a wrong method with a 405 problem and an Allow header', async () => {
    const res = await fetch(`${app.url}/v1/evidence-requests`, { method: 'DELETE' });
    expect(res.status).to.equal(405);
    expect(res.headers.get('allow')).to.equal('POST');
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect((await bodyOf(res)).code).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('refuses a path that is not valid percent-encoding with 400 ERR_REQUEST_MALFORMED', async () => {
    const res = await send(app.url, {
      method: 'GET',
      path: '/v1/evidence-requests/%E0%A4%A',
      headers: { authorization: 'Bearer agency-token.ghi' },
    });
    expect(res.status).to.equal(400);
    expect(JSON.parse(res.body).code).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('sets the security headers on answers and problems alike', async () => {
    for (const res of [await fetch(`${app.url}/healthz`), await fetch(`${app.url}/nope`)]) {
      expect(res.headers.get('content-security-policy')).to.include("default-src 'none'");
      expect(res.headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('x-frame-options')).to.equal('SAMEORIGIN');
      expect(res.headers.get('strict-transport-security')).to.match(/max-age=\d+/);
      expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(res.headers.get('x-powered-by')).to.equal(null);
      expect(res.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    }
  });
});
