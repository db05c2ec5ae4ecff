import { expect } from 'chai';
import { createLogger } from '../../gateway/log.js';
import { entries, ERIKA, ERIKA_TOKEN, settle, startTestApp } from './http-harness.js';

function collect(): { lines: string[]; destination: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe('createLogger', () => {
  it('keeps a message with "\\n" and control characters on one line', () => {
    const { lines, destination } = collect();
    createLogger({ level: 'info', destination }).info(
      { note: 'a\nb\r\u0000c\u001b[2J' },
      'first\nforged {"level":60}',
    );
    expect(lines).to.have.length(1);
    expect(lines[0]!.trimEnd().split('\n')).to.have.length(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry['msg']).to.equal('first\nforged {"level":60}');
    expect(entry['note']).to.equal('a\nb\r\u0000c\u001b[2J');
  });

  it('redacts IDNr, token, authorization, cookie and body members', () => {
    const { lines, destination } = collect();
    createLogger({ level: 'info', destination }).info(
      {
        idnr: ERIKA,
        subject: { idnr: ERIKA },
        token: 'tok-secret',
        req: {
          headers: { authorization: 'Bearer tok-secret', cookie: 'sid=tok-secret' },
          body: 'payload-secret',
        },
      },
      'event',
    );
    expect(lines[0]).to.not.include(ERIKA);
    expect(lines[0]).to.not.include('tok-secret');
    expect(lines[0]).to.not.include('payload-secret');
  });

  it('masks an IDNr and a bearer token in free text, messages and errors', () => {
    const { lines, destination } = collect();
    const logger = createLogger({ level: 'info', destination });
    logger.info({ reason: `no consent for ${ERIKA}` }, `lookup of ${ERIKA}\nfailed`);
    logger.error(
      { err: new Error(`bad row ${ERIKA}`, { cause: new Error('Authorization: Bearer abc.def.ghi') }) },
      'x',
    );
    expect(lines).to.have.length(2);
    for (const line of lines) {
      expect(line).to.not.include(ERIKA);
      expect(line).to.not.include('abc.def.ghi');
    }
  });

  it('leaves numbers that are not IDNr-shaped alone', () => {
    const { lines, destination } = collect();
    createLogger({ level: 'info', destination }).info({ note: 'leaf 1234567890 of 123456789012' }, 'x');
    expect((JSON.parse(lines[0]!) as { note: string }).note).to.equal('leaf 1234567890 of 123456789012');
  });
});

describe('createApp: access log', () => {
  it('writes one http.request line with method, route, status, ms and requestId — no URL, query, header or IDNr', async () => {
    const app = await startTestApp();
    try {
      const res = await fetch(`${app.url}/v1/me/consents`, {
        headers: {
          authorization: `Bearer ${ERIKA_TOKEN}`,
          cookie: 'sid=cookie-secret',
          'user-agent': 'ua-secret',
        },
      });
      expect(res.status).to.equal(200);
      await settle();
      const lines = entries(app.logs).filter((e) => e['msg'] === 'http.request');
      expect(lines).to.have.length(1);
      expect(Object.keys(lines[0]!).sort()).to.deep.equal([
        'event',
        'level',
        'method',
        'ms',
        'msg',
        'requestId',
        'route',
        'status',
        'time',
      ]);
      expect(lines[0]).to.deep.include({
        method: 'GET',
        route: '/v1/me/consents',
        status: 200,
        requestId: res.headers.get('x-request-id'),
      });
    } finally {
      await app.close();
    }
  });

  it('logs no IDNr or token when a citizen call with an IDNr in the query and body is refused', async () => {
    const app = await startTestApp();
    try {
      await fetch(`${app.url}/v1/me/consents?idnr=${ERIKA}`, {
        headers: { authorization: `Bearer ${ERIKA_TOKEN}` },
      });
      await fetch(`${app.url}/v1/me/consents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ERIKA_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ idnr: ERIKA, consumer: 'ags:09999001', evidenceTypes: ['x'], purpose: 'p' }),
      });
      await fetch(`${app.url}/v1/me/consents`, { headers: { authorization: `Bearer forged-${ERIKA}` } });
      await settle();
      expect(app.logs.length).to.be.greaterThan(3);
      const all = app.logs.join('');
      expect(all).to.not.include(ERIKA);
      expect(all).to.not.include(ERIKA_TOKEN);
      expect(all).to.not.include('forged-');
      for (const chunk of app.logs) expect(chunk.trimEnd().split('\n')).to.have.length(1);
    } finally {
      await app.close();
    }
  });
});
