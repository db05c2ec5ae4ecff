import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createHttpXoevConnector, type HttpXoevConnector } from '../../../connectors/http-xoev/index.js';
import type { ForwardedMessage, Participant } from '../../../gateway/core/ports.js';
import { refusalOf } from './xoev-fixtures.js';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

const ANSWER =
  '<?xml version="1.0" encoding="UTF-8"?>\n<oog:nachweisantwort.0201 xmlns:oog="urn:oog:schemata:nachweis:1"/>';
const FORWARDED = '<?xml version="1.0" encoding="UTF-8"?>\n<x>Müller</x>';

function provider(url: string): Participant {
  return {
    id: 'psw:09999001',
    name: 'Standesamt',
    roles: ['provider'],
    evidenceTypes: ['geburtsurkunde'],
    endpoint: { kind: 'http-xoev', url },
  };
}

describe('createHttpXoevConnector', () => {
  let server: Server | undefined;
  let connector: HttpXoevConnector;
  let received: { method?: string; headers: IncomingMessage['headers']; body: string }[];

  beforeEach(() => {
    connector = createHttpXoevConnector({ timeoutMs: 300, maxResponseBytes: 4_096 });
    received = [];
  });

  afterEach(async () => {
    connector.close();
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
      server = undefined;
    }
  });

  async function serve(handler: Handler): Promise<string> {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ method: request.method, headers: request.headers, body });
        handler(request, body, response);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/evidence`;
  }

  function message(url: string, format: 'xoev' | 'json' = 'xoev'): ForwardedMessage {
    return {
      exchangeId: '7d2e9c41-5b3a-4f6e-8a1d-2c3b4a5f6e7d',
      provider: provider(url),
      format,
      body: FORWARDED,
    };
  }

  const xml =
    (status: number, body: string, headers: Record<string, string> = {}): Handler =>
    (_q, _b, response) => {
      response.writeHead(status, { 'content-type': 'application/xml; charset=utf-8', ...headers });
      response.end(body);
    };

  it('posts the signed XÖV document as application/xml and returns the answer untouched', async () => {
    const url = await serve(xml(200, ANSWER));
    const answer = await connector.send(message(url), new AbortController().signal);
    expect(answer).to.deep.equal({ contentType: 'application/xml', body: ANSWER });
    expect(received).to.have.lengthOf(1);
    expect(received[0]!.method).to.equal('POST');
    expect(received[0]!.headers['content-type']).to.equal('application/xml; charset=utf-8');
    expect(received[0]!.headers.accept).to.equal('application/xml');
    expect(received[0]!.headers['accept-encoding']).to.equal('identity');
    expect(received[0]!.body).to.equal(FORWARDED);
  });

  it('does not follow a redirect, with ERR_PROVIDER_UNAVAILABLE 502', async () => {
    const url = await serve((_q, _b, r) => {
      r.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
      r.end();
    });
    const error = await refusalOf(connector.send(message(url), new AbortController().signal));
    expect([error.code, error.status]).to.deep.equal(['ERR_PROVIDER_UNAVAILABLE', 502]);
    expect(received).to.have.lengthOf(1);
  });

  it('refuses another media type and a compressed answer, with ERR_PROVIDER_UNAVAILABLE 502', async () => {
    let url = await serve(xml(200, '{}', { 'content-type': 'application/json' }));
    expect((await refusalOf(connector.send(message(url), new AbortController().signal))).status).to.equal(
      502,
    );
    await new Promise((resolve) => server!.close(resolve));
    url = await serve((_q, _b, r) => {
      r.writeHead(200, { 'content-type': 'application/xml', 'content-encoding': 'gzip' });
      r.end(gzipSync(ANSWER));
    });
    const error = await refusalOf(connector.send(message(url), new AbortController().signal));
    expect([error.code, error.status]).to.deep.equal(['ERR_PROVIDER_UNAVAILABLE', 502]);
  });

  it('refuses an answer over maxResponseBytes, declared or streamed, with ERR_PROVIDER_UNAVAILABLE 502', async () => {
    const big = `<a>${'x'.repeat(5_000)}</a>`;
    let url = await serve(xml(200, big));
    expect((await refusalOf(connector.send(message(url), new AbortController().signal))).code).to.equal(
      'ERR_PROVIDER_UNAVAILABLE',
    );
    await new Promise((resolve) => server!.close(resolve));
    url = await serve((_q, _b, r) => {
      r.writeHead(200, { 'content-type': 'application/xml' });
      r.write(big.slice(0, 3_000));
      r.end(big.slice(3_000));
    });
    const error = await refusalOf(connector.send(message(url), new AbortController().signal));
    expect([error.code, error.status]).to.deep.equal(['ERR_PROVIDER_UNAVAILABLE', 502]);
  });

  it('gives up after timeoutMs, with ERR_PROVIDER_UNAVAILABLE 504', async () => {
    const url = await serve(() => undefined);
    const error = await refusalOf(connector.send(message(url), new AbortController().signal));
    expect([error.code, error.status]).to.deep.equal(['ERR_PROVIDER_UNAVAILABLE', 504]);
  });

  it('treats the caller’s deadline as a timeout (504) and other aborts as 502', async () => {
    const url = await serve(() => undefined);
    const slow = createHttpXoevConnector({ timeoutMs: 10_000 });
    try {
      const timedOut = await refusalOf(slow.send(message(url), AbortSignal.timeout(50)));
      expect([timedOut.code, timedOut.status]).to.deep.equal(['ERR_PROVIDER_UNAVAILABLE', 504]);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      const aborted = await refusalOf(slow.send(message(url), controller.signal));
      expect([aborted.code, aborted.status]).to.deep.equal(['ERR_PROVIDER_UNAVAILABLE', 502]);
    } finally {
      slow.close();
    }
  });

  it('turns a register’s 404 problem with ERR_NOT_FOUND into ERR_NOT_FOUND, any other error into 502', async () => {
    let url = await serve((_q, _b, r) => {
      r.writeHead(404, { 'content-type': 'application/problem+json' });
      r.end(JSON.stringify({ status: 404, code: 'ERR_NOT_FOUND' }));
    });
    expect((await refusalOf(connector.send(message(url), new AbortController().signal))).code).to.equal(
      'ERR_NOT_FOUND',
    );
    await new Promise((resolve) => server!.close(resolve));
    url = await serve(xml(500, '<error/>'));
    const error = await refusalOf(connector.send(message(url), new AbortController().signal));
    expect([error.code, error.status]).to.deep.equal(['ERR_PROVIDER_UNAVAILABLE', 502]);
  });

  it('refuses an unreachable provider and an endpoint that is not http(s), with ERR_PROVIDER_UNAVAILABLE 502', async () => {
    const unreachable = await refusalOf(
      connector.send(message('http://127.0.0.1:1/evidence'), new AbortController().signal),
    );
    expect([unreachable.code, unreachable.status]).to.deep.equal(['ERR_PROVIDER_UNAVAILABLE', 502]);
    const ftp = await refusalOf(connector.send(message('ftp://127.0.0.1/x'), new AbortController().signal));
    expect(ftp.code).to.equal('ERR_PROVIDER_UNAVAILABLE');
    const credentials = await refusalOf(
      connector.send(message('http://u:p@127.0.0.1/x'), new AbortController().signal),
    );
    expect(credentials.code).to.equal('ERR_PROVIDER_UNAVAILABLE');
  });

  it('refuses a JSON message, with ERR_INTERNAL', async () => {
    const url = await serve(xml(200, ANSWER));
    expect(
      (await refusalOf(connector.send(message(url, 'json'), new AbortController().signal))).code,
    ).to.equal('ERR_INTERNAL');
    expect(received).to.have.lengthOf(0);
  });

  it('refuses bad options, with TypeError', () => {
    expect(() => createHttpXoevConnector({ timeoutMs: 0 })).to.throw(TypeError);
    expect(() => createHttpXoevConnector({ timeoutMs: 10, maxResponseBytes: -1 })).to.throw(TypeError);
  });
});
