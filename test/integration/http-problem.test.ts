import { expect } from 'chai';
import { GatewayError } from '../../gateway/core/errors.js';
import { bodyOf, entries, settle, startTestApp, UUID } from './http-harness.js';
import type { TestApp } from './http-harness.js';

const PROBLEM_MEMBERS = ['code', 'detail', 'instance', 'status', 'title', 'type'];

describe('createApp: problem+json answers', () => {
  let app: TestApp;
  let failure: unknown;

  before(async () => {
    app = await startTestApp((services) => ({
      ...services,
      exchange: {
        ...services.exchange,
        submit: async () => {
          throw failure;
        },
      },
    }));
  });
  beforeEach(() => app.reset());
  after(() => app.close());

  const submit = () =>
    fetch(`${app.url}/v1/evidence-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: 'a.b.c',
    });

  it('answers a GatewayError with its status, code, title, detail and a urn:uuid instance', async () => {
    failure = new GatewayError('ERR_CONSENT_MISSING', 'no active consent');
    const res = await submit();
    expect(res.status).to.equal(403);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    const problem = await bodyOf(res);
    expect(Object.keys(problem).sort()).to.deep.equal(PROBLEM_MEMBERS);
    expect(problem).to.deep.include({
      type: 'urn:oog:error:ERR_CONSENT_MISSING',
      title: 'Consent missing',
      status: 403,
      code: 'ERR_CONSENT_MISSING',
      detail: 'no active consent',
    });
    expect(String(problem['instance'])).to.match(/^urn:uuid:/);
    expect(String(problem['instance']).slice('urn:uuid:'.length)).to.match(UUID);
  });

  it('writes the instance id into the log line of the error, with its code', async () => {
    failure = new GatewayError('ERR_REPLAY', 'message id already seen');
    const problem = await bodyOf(await submit());
    await settle();
    const errorId = String(problem['instance']).slice('urn:uuid:'.length);
    const line = entries(app.logs).find((entry) => entry['errorId'] === errorId);
    expect(line, 'a log line with the error id').to.not.equal(undefined);
    expect(line).to.deep.include({ code: 'ERR_REPLAY', status: 409, msg: 'http.refused' });
  });

  // Issue 11: an operator's log of ordinary refusals carried stack traces with the gateway's absolute source paths.
  const refusals: [string, () => GatewayError][] = [
    [
      'a client refusal with a cause (body-parser)',
      () =>
        new GatewayError('ERR_REQUEST_MALFORMED', 'the body is not parseable JSON', {
          cause: new SyntaxError('Unexpected token } in JSON at position 12'),
        }),
    ],
    [
      'a client refusal without a cause',
      () => new GatewayError('ERR_SIG_INVALID', 'signature does not verify'),
    ],
    [
      "a provider's failure with a cause",
      () =>
        new GatewayError('ERR_PROVIDER_UNAVAILABLE', 'provider unreachable', {
          cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8081'), { code: 'ECONNREFUSED' }),
        }),
    ],
  ];
  for (const [what, make] of refusals) {
    it(`logs ${what} with its code and cause message but no stack or source path`, async () => {
      failure = make();
      const problem = await bodyOf(await submit());
      await settle();
      const errorId = String(problem['instance']).slice('urn:uuid:'.length);
      const raw = app.logs.find((line) => line.includes(errorId));
      expect(raw, 'the log line').to.be.a('string');
      const entry = JSON.parse(raw!) as Record<string, unknown>;
      expect(entry['code']).to.equal((failure as GatewayError).code);
      for (const leak of ['"stack"', '    at ', process.cwd(), '.ts:'])
        expect(raw, leak).to.not.include(leak);
      const cause = (failure as GatewayError).cause as Error | undefined;
      if (cause !== undefined) expect(raw).to.include(cause.message);
    });
  }

  it('logs the stack of an ERR_INTERNAL', async () => {
    failure = new Error('an unexpected fault');
    const problem = await bodyOf(await submit());
    await settle();
    const errorId = String(problem['instance']).slice('urn:uuid:'.length);
    const raw = app.logs.find((line) => line.includes(errorId))!;
    expect(raw).to.include('"stack"').and.include('an unexpected fault');
  });

  it('uses the narrowed status of a GatewayError (504 for a provider timeout)', async () => {
    failure = new GatewayError('ERR_PROVIDER_UNAVAILABLE', 'provider timed out', { status: 504 });
    const res = await submit();
    expect(res.status).to.equal(504);
    expect(await bodyOf(res)).to.deep.include({ code: 'ERR_PROVIDER_UNAVAILABLE', status: 504 });
  });

  it('turns an unknown error into ERR_INTERNAL with no detail, stack, SQL or path in the answer', async () => {
    const cause = new Error(
      'SQLITE_CORRUPT: SELECT * FROM consents WHERE idnr = 93141705862 at /srv/oog/data/gateway.db',
    );
    failure = cause;
    const res = await submit();
    expect(res.status).to.equal(500);
    const text = await res.text();
    const problem = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(problem).sort()).to.deep.equal(['code', 'instance', 'status', 'title', 'type']);
    expect(problem['code']).to.equal('ERR_INTERNAL');
    for (const leak of ['SQLITE', 'SELECT', '93141705862', '/srv/oog', 'gateway.db', 'at ', '.ts']) {
      expect(text, leak).to.not.include(leak);
    }
  });

  it('logs the full cause of an ERR_INTERNAL under its instance id, with the IDNr masked', async () => {
    failure = new Error('SQLITE_CORRUPT near idnr 93141705862');
    const problem = await bodyOf(await submit());
    await settle();
    const errorId = String(problem['instance']).slice('urn:uuid:'.length);
    const raw = app.logs.find((line) => line.includes(errorId) && line.includes('http.failed'));
    expect(raw, 'the http.failed line').to.be.a('string');
    expect(raw).to.include('SQLITE_CORRUPT');
    expect(raw).to.not.include('93141705862');
  });

  it('hides the detail of an ERR_INTERNAL raised as a GatewayError too', async () => {
    failure = new GatewayError('ERR_INTERNAL', 'key file /etc/oog/gateway.key.pem unreadable');
    const problem = await bodyOf(await submit());
    expect(problem['detail']).to.equal(undefined);
    expect(JSON.stringify(problem)).to.not.include('/etc/oog');
  });

  it('gives every problem a fresh instance id', async () => {
    failure = new GatewayError('ERR_STALE');
    const first = await bodyOf(await submit());
    const second = await bodyOf(await submit());
    expect(first['instance']).to.not.equal(second['instance']);
  });
});
