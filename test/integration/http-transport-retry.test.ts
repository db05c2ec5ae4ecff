/**
 * When the connector may send a forwarded request a second time (issue 11): only if not one byte of it went out
 * on the first try. A raw node:net provider counts every complete request it read, so a retry that reached the
 * provider twice shows as a count of two for one `send`.
 */
import { expect } from 'chai';
import http from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createHttpJsonConnector, type HttpJsonConnector } from '../../connectors/index.js';
import type { ForwardedMessage } from '../../gateway/core/ports.js';
import { refusalOf } from '../unit/envelope/fake-trust.js';

const ANSWER = 'eyJhbGciOiJFUzI1NiJ9.e30.c2lnbmF0dXJl';

/** What the raw provider does with a request it has read completely. */
type OnRequest = (socket: Socket, requestOnConnection: number) => 'answer' | 'destroy' | 'reset';

interface RawProvider {
  readonly url: string;
  /** Complete requests (head and Content-Length body) read so far, over all connections. */
  readonly requests: number;
  readonly connections: number;
  /** Server-side sockets, in the order they connected. */
  readonly sockets: readonly Socket[];
  close(): Promise<void>;
}

/** A keep-alive HTTP/1.1 provider written on node:net, so that it can break a connection at any byte. */
async function startRawProvider(onRequest: OnRequest): Promise<RawProvider> {
  let requests = 0;
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let onThisConnection = 0;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const headEnd = buffered.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buffered.subarray(0, headEnd).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.byteLength < headEnd + 4 + length) return;
        buffered = buffered.subarray(headEnd + 4 + length);
        requests++;
        onThisConnection++;
        const action = onRequest(socket, onThisConnection);
        if (action === 'destroy') return void socket.destroy();
        if (action === 'reset') return void socket.resetAndDestroy();
        socket.write(
          'HTTP/1.1 200 OK\r\ncontent-type: application/jose\r\nconnection: keep-alive\r\n' +
            `content-length: ${Buffer.byteLength(ANSWER)}\r\n\r\n${ANSWER}`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/evidence`,
    get requests() {
      return requests;
    },
    get connections() {
      return sockets.length;
    },
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function messageTo(url: string, body: string): ForwardedMessage {
  return {
    exchangeId: 'e6c1f7d2-3b4a-4c5d-8e9f-0a1b2c3d4e5f',
    provider: {
      id: 'mld:09999001',
      name: 'Meldebehörde',
      roles: ['provider'],
      evidenceTypes: ['meldebescheinigung'],
      endpoint: { kind: 'http-json', url },
    },
    format: 'json',
    body,
  };
}

describe('http transport: retrying a forwarded request', function () {
  let provider: RawProvider | undefined;
  let connector: HttpJsonConnector | undefined;
  let agent: http.Agent | undefined;

  afterEach(async function () {
    connector?.close();
    agent?.destroy();
    await provider?.close();
    connector = agent = provider = undefined;
  });

  for (const how of ['destroy', 'reset'] as const) {
    it(`does not send again when the provider read the whole request on a reused connection and then broke it (${how}): one delivery, ERR_PROVIDER_UNAVAILABLE 502`, async function () {
      // The second request on the first connection is read in full, then the connection is broken without an
      // answer; any later request (a retry on a fresh connection) would be answered.
      provider = await startRawProvider((_socket, n) =>
        n === 2 && provider!.connections === 1 ? how : 'answer',
      );
      connector = createHttpJsonConnector({ timeoutMs: 2_000 });
      const signal = new AbortController().signal;

      const first = await connector.send(messageTo(provider.url, 'first.forwarded.request'), signal);
      expect(first.body).to.equal(ANSWER);
      expect(provider.requests).to.equal(1);

      const error = await refusalOf(
        connector.send(messageTo(provider.url, 'second.forwarded.request'), signal),
      );
      expect([error.code, error.status]).to.deep.equal(['ERR_PROVIDER_UNAVAILABLE', 502]);
      expect(provider.requests, 'the second request reached the provider once').to.equal(2);
      expect(provider.connections, 'no second connection for a retry').to.equal(1);
    });
  }

  it('reports a broken fresh connection the same way, ERR_PROVIDER_UNAVAILABLE 502, and does not retry it', async function () {
    provider = await startRawProvider(() => 'destroy');
    connector = createHttpJsonConnector({ timeoutMs: 2_000 });
    const error = await refusalOf(
      connector.send(messageTo(provider.url, 'a.forwarded.request'), new AbortController().signal),
    );
    expect([error.code, error.status]).to.deep.equal(['ERR_PROVIDER_UNAVAILABLE', 502]);
    expect(provider.requests).to.equal(1);
  });

  for (const close of ['end', 'destroy'] as const) {
    it(`retries once, on a fresh connection, when the pooled connection was closed by the provider (${close}) before the request was written`, async function () {
      provider = await startRawProvider(() => 'answer');
      agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      connector = createHttpJsonConnector({ timeoutMs: 2_000, httpAgent: agent });
      const signal = new AbortController().signal;
      await connector.send(messageTo(provider.url, 'first.forwarded.request'), signal);
      const pooled = Object.values(agent.freeSockets).flat()[0];
      expect(pooled, 'the first connection is pooled for reuse').to.not.equal(undefined);

      // The provider closes the idle connection. The moment the client reads its FIN, the socket is still in the
      // pool (the agent drops it only on 'close', after its own side has shut down too): sending right then
      // hands the request a connection that can no longer carry it.
      const second = await new Promise<Promise<unknown>>((resolve) => {
        pooled!.once('end', () =>
          resolve(connector!.send(messageTo(provider!.url, 'second.forwarded.request'), signal)),
        );
        // 'end' half-closes: the provider could still read what came in, so writing anyway would be unsafe.
        provider!.sockets[0]![close]();
      });
      expect((await second) as { body: string }).to.deep.include({ body: ANSWER });
      expect(provider.connections, 'one fresh connection for the retry').to.equal(2);
      expect(provider.requests, 'the second request reached the provider once').to.equal(2);
    });
  }
});
