import { connect } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { SERVER_TIMEOUTS, startServer } from '../../gateway/http/index.js';

describe('startServer', () => {
  it('listens on a free port for port 0 and reports its URL', async () => {
    const app = express();
    app.get('/x', (_req, res) => void res.send('ok'));
    const running = await startServer(app, { port: 0, host: '127.0.0.1' });
    try {
      expect(running.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`${running.url}/x`)).text()).to.equal('ok');
    } finally {
      await running.close();
    }
  });

  it('sets headersTimeout ≤ 10 s, requestTimeout ≤ 30 s and a keep-alive below the headers timeout', async () => {
    const running = await startServer(express(), { port: 0, host: '127.0.0.1' });
    try {
      expect(running.server.headersTimeout).to.equal(10_000);
      expect(running.server.requestTimeout).to.equal(30_000);
      expect(running.server.keepAliveTimeout).to.be.within(1_000, SERVER_TIMEOUTS.headersTimeout - 1);
    } finally {
      await running.close();
    }
  });

  it('waits for app.locals.ready and rejects if it rejects, without listening', async () => {
    const app = express();
    app.locals['ready'] = Promise.reject(new Error('broken document'));
    let error: unknown;
    await startServer(app, { port: 0, host: '127.0.0.1' }).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('broken document');
  });

  it('closes, cutting a connection that never finishes its headers after the grace period', async () => {
    const running = await startServer(express(), { port: 0, host: '127.0.0.1' });
    const port = Number(new URL(running.url).port);
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const started = Date.now();
    await running.close(200);
    await closed;
    expect(Date.now() - started).to.be.below(5_000);
  });
});
