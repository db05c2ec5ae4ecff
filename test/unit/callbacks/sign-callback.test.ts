import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { GatewayError } from '../../../gateway/core/errors.js';
import {
  callbackBody,
  checkCallbackEvent,
  retryDelayMs,
  signCallback,
  verifyCallback,
  type CallbackEvent,
} from '../../../gateway/core/callbacks/index.js';

const SECRET = 'a-callback-secret-of-at-least-thirty-two-chars';
const OTHER = 'another-secret-of-at-least-thirty-two-characters';
const NOW_MS = Date.parse('2026-03-01T12:00:00Z');
const NOW_S = NOW_MS / 1000;
const BODY = '{"at":"2026-03-01T12:00:00.000Z","consumer":"ags:09999001","id":"x","status":"released"}';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof GatewayError ? error.code : 'not a GatewayError';
  }
  return undefined;
}

function verify(overrides: Partial<Parameters<typeof verifyCallback>[0]> = {}) {
  const headers = signCallback(SECRET, BODY, NOW_S);
  return () =>
    verifyCallback({
      secret: SECRET,
      body: BODY,
      timestamp: headers['callback-timestamp'],
      authentication: headers['callback-authentication'],
      nowMs: NOW_MS,
      ...overrides,
    });
}

describe('signCallback', () => {
  it('sends the Unix seconds and the hex HMAC-SHA-512 over "timestamp.body"', () => {
    const headers = signCallback(SECRET, BODY, NOW_S);
    expect(headers['callback-timestamp']).to.equal(String(NOW_S));
    const expected = createHmac('sha512', SECRET).update(`${NOW_S}.${BODY}`).digest('hex');
    expect(headers['callback-authentication']).to.equal(expected);
  });

  it('refuses a secret shorter than 32 characters, with ERR_INTERNAL', () => {
    expect(codeOf(() => signCallback('short', BODY, NOW_S))).to.equal('ERR_INTERNAL');
  });
});

describe('verifyCallback', () => {
  it('accepts what signCallback made, at the same time and up to 5 minutes either way', () => {
    expect(codeOf(verify())).to.equal(undefined);
    expect(codeOf(verify({ nowMs: NOW_MS + 300_000 }))).to.equal(undefined);
    expect(codeOf(verify({ nowMs: NOW_MS - 300_000 }))).to.equal(undefined);
  });

  it('rejects a callback signed with another secret, with ERR_SIG_INVALID', () => {
    expect(codeOf(verify({ secret: OTHER }))).to.equal('ERR_SIG_INVALID');
  });

  it('rejects a tampered body, with ERR_SIG_INVALID', () => {
    expect(codeOf(verify({ body: BODY.replace('released', 'refused') }))).to.equal('ERR_SIG_INVALID');
    expect(codeOf(verify({ body: `${BODY} ` }))).to.equal('ERR_SIG_INVALID');
  });

  it('rejects a changed timestamp inside the window, with ERR_SIG_INVALID', () => {
    expect(codeOf(verify({ timestamp: String(NOW_S + 1) }))).to.equal('ERR_SIG_INVALID');
  });

  it('rejects a stale timestamp (over 5 minutes old), with ERR_STALE', () => {
    expect(codeOf(verify({ nowMs: NOW_MS + 301_000 }))).to.equal('ERR_STALE');
  });

  it('rejects a timestamp over 5 minutes in the future, with ERR_STALE', () => {
    expect(codeOf(verify({ nowMs: NOW_MS - 301_000 }))).to.equal('ERR_STALE');
  });

  it('rejects a stale callback even when its MAC is right for it, with ERR_STALE', () => {
    const old = signCallback(SECRET, BODY, NOW_S - 3600);
    expect(
      codeOf(() =>
        verifyCallback({
          secret: SECRET,
          body: BODY,
          timestamp: old['callback-timestamp'],
          authentication: old['callback-authentication'],
          nowMs: NOW_MS,
        }),
      ),
    ).to.equal('ERR_STALE');
  });

  const mac = signCallback(SECRET, BODY, NOW_S)['callback-authentication'];
  const malformed: [string, Partial<Parameters<typeof verifyCallback>[0]>][] = [
    ['a missing timestamp', { timestamp: undefined }],
    ['a missing authentication', { authentication: undefined }],
    ['a timestamp sent twice', { timestamp: [String(NOW_S), String(NOW_S)] }],
    ['a comma-joined repeated timestamp', { timestamp: `${NOW_S}, ${NOW_S}` }],
    ['a timestamp in milliseconds with a fraction', { timestamp: `${NOW_S}.5` }],
    ['a negative timestamp', { timestamp: `-${NOW_S}` }],
    ['an ISO timestamp', { timestamp: '2026-03-01T12:00:00Z' }],
    [
      'an authentication that is base64, not hex',
      { authentication: Buffer.from(mac, 'hex').toString('base64') },
    ],
    ['an authentication in upper-case hex', { authentication: mac.toUpperCase() }],
    ['a truncated authentication', { authentication: mac.slice(0, 64) }],
    ['an authentication with a prefix', { authentication: `sha512=${mac}` }],
    ['an authentication sent twice', { authentication: [mac, mac] }],
    ['an empty authentication', { authentication: '' }],
  ];
  for (const [what, overrides] of malformed) {
    it(`rejects ${what}, with ERR_REQUEST_MALFORMED`, () => {
      expect(codeOf(verify(overrides))).to.equal('ERR_REQUEST_MALFORMED');
    });
  }
});

describe('checkCallbackEvent', () => {
  const event: CallbackEvent = {
    consumer: 'ags:09999001',
    type: 'exchange.finished',
    id: '0f0e0d0c-0b0a-4000-8000-000000000001',
    status: 'refused',
    code: 'ERR_PREVIEW_REJECTED',
    at: '2026-03-01T12:00:00.000Z',
  };

  it('keeps only the known members and serialises them as canonical JSON', () => {
    const body = callbackBody({ ...event, subject: '93141705862' } as CallbackEvent);
    expect(body).to.equal(
      '{"at":"2026-03-01T12:00:00.000Z","code":"ERR_PREVIEW_REJECTED","consumer":"ags:09999001",' +
        '"id":"0f0e0d0c-0b0a-4000-8000-000000000001","status":"refused","type":"exchange.finished"}',
    );
  });

  const bad: [string, Partial<Record<keyof CallbackEvent, unknown>>][] = [
    ['a consumer that is no participant id', { consumer: 'Wohngeldstelle' }],
    ['an unknown type', { type: 'exchange.started' }],
    ['a status of the other type', { status: 'approved' }],
    ['an id with a slash', { id: '../x' }],
    ['a code not in the catalogue', { code: 'ERR_NOPE' }],
    ['a local time', { at: '2026-03-01 12:00' }],
  ];
  for (const [what, overrides] of bad) {
    it(`refuses ${what}, with ERR_INTERNAL`, () => {
      expect(codeOf(() => checkCallbackEvent({ ...event, ...overrides } as CallbackEvent))).to.equal(
        'ERR_INTERNAL',
      );
    });
  }
});

describe('retryDelayMs', () => {
  const schedule = { baseDelayMs: 1000, maxDelayMs: 8000 };
  it('doubles per attempt between half and all of the ceiling, capped at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, schedule, () => 0))).to.deep.equal([
      500, 1000, 2000, 4000, 4000,
    ]);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, schedule, () => 0.999999))).to.deep.equal([
      1000, 2000, 4000, 8000, 8000,
    ]);
  });

  it('keeps the default schedule (30 s doubling, 30 min cap) at about an hour over 7 waits', () => {
    const total = [1, 2, 3, 4, 5, 6, 7]
      .map((n) => retryDelayMs(n, { baseDelayMs: 30_000, maxDelayMs: 1_800_000 }, () => 0.999999))
      .reduce((a, b) => a + b, 0);
    expect(total).to.be.within(3_689_990, 3_690_000);
  });
});
