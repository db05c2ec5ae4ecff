/**
 * Issue 2 "the same (iss, jti) twice, also re-encoded, also after a restart, also 50 times at once → exactly
 * one success, the rest 409 ERR_REPLAY", end to end over HTTP with the durable SQLite replay store; the fake
 * Meldebehörde counts that each message was forwarded at most once.
 */
import { expect } from 'chai';
import { signCompactJws } from '../../gateway/core/envelope/index.js';
import {
  exampleSigner,
  startTestGateway,
  WOHNGELDSTELLE,
  type LoggedRecord,
  type TestGateway,
} from '../helpers/start-test-gateway.js';

const TYP = 'evidence-request+jwt';
/** Order of the P-256 group (FIPS 186-4 D.1.2.3). */
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** The other valid ECDSA signature of the same message: (r, n − s), a malleated token for the same claims. */
function highSTwin(token: string): string {
  const [h, p, s = ''] = token.split('.');
  const signature = Buffer.from(s, 'base64url');
  const r = signature.subarray(0, 32);
  const sValue = BigInt(`0x${signature.subarray(32).toString('hex')}`);
  const twin = Buffer.from((P256_N - sValue).toString(16).padStart(64, '0'), 'hex');
  return `${h}.${p}.${Buffer.concat([r, twin]).toString('base64url')}`;
}

function outcomes(records: readonly LoggedRecord[]): string[] {
  return records.map((r) => (r.outcome === 'refused' ? `refused:${r.code}` : r.outcome));
}

describe('e2e: replay of evidence requests (issue 2)', () => {
  const consumer = exampleSigner(WOHNGELDSTELLE);
  let g: TestGateway;

  before(async () => {
    g = await startTestGateway({ meldebehoerde: 'ok' });
  });
  after(async () => {
    await g?.close();
  });

  /** Sends, expects 200, then expects every further body to be 409 ERR_REPLAY and nothing more forwarded. */
  async function expectOnlyFirstReleased(jti: string, first: string, ...again: string[]): Promise<void> {
    const before = g.provider!.requests;
    const answer = await g.sendJws(first);
    expect(answer.status, answer.text).to.equal(200);
    for (const body of again) {
      const replay = await g.sendJws(body);
      expect({ status: replay.status, code: replay.json?.['code'] }).to.deep.equal({
        status: 409,
        code: 'ERR_REPLAY',
      });
    }
    expect(g.provider!.requests - before, 'forwarded').to.equal(1);
    const records = await g.recordsOfMessage(jti);
    expect(outcomes(records)).to.deep.equal(['intent', 'released', ...again.map(() => 'refused:ERR_REPLAY')]);
    // Each replay is its own refused exchange, not a second release of the first one.
    const released = records.find((r) => r.outcome === 'released')!;
    for (const r of records.filter((x) => x.outcome === 'refused'))
      expect(r.exchangeId).not.to.equal(released.exchangeId);
  }

  it('refuses the same token a second time, with 409 ERR_REPLAY', async () => {
    const claims = g.requestClaims();
    const token = await signCompactJws(consumer, TYP, claims);
    await expectOnlyFirstReleased(String(claims['jti']), token, token);
  });

  it('refuses the same claims signed again (new signature bytes), with 409 ERR_REPLAY', async () => {
    const claims = g.requestClaims();
    const first = await signCompactJws(consumer, TYP, claims);
    const second = await signCompactJws(consumer, TYP, claims);
    expect(second).not.to.equal(first);
    await expectOnlyFirstReleased(String(claims['jti']), first, second);
  });

  it('refuses the high-S twin of a released token (a malleated signature), with 409 ERR_REPLAY', async () => {
    const claims = g.requestClaims();
    const token = await signCompactJws(consumer, TYP, claims);
    await expectOnlyFirstReleased(String(claims['jti']), token, highSTwin(token));
  });

  it('refuses the same jti with other claims and a rotated key of the same sender, with 409 ERR_REPLAY', async () => {
    const claims = g.requestClaims();
    const token = await signCompactJws(consumer, TYP, claims);
    const rotated = exampleSigner(WOHNGELDSTELLE, 'rotated');
    const other = await signCompactJws(rotated, TYP, {
      ...claims,
      procedure: { reference: 'WG-2026/99999' },
    });
    await expectOnlyFirstReleased(String(claims['jti']), token, other);
  });

  it('answers 50 identical concurrent requests with exactly one 200 and 49 × 409 ERR_REPLAY', async () => {
    const claims = g.requestClaims();
    const token = await signCompactJws(consumer, TYP, claims);
    const before = g.provider!.requests;
    const answers = await Promise.all(Array.from({ length: 50 }, () => g.sendJws(token)));
    const statuses = answers.map((a) => a.status);
    expect(
      statuses.filter((s) => s === 200),
      'successes',
    ).to.have.length(1);
    expect(
      statuses.filter((s) => s === 409),
      'replays',
    ).to.have.length(49);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.json?.['code']).to.equal('ERR_REPLAY');
    expect(g.provider!.requests - before, 'forwarded').to.equal(1);
    const records = await g.recordsOfMessage(String(claims['jti']));
    expect(records.filter((r) => r.outcome === 'released')).to.have.length(1);
    expect(records.filter((r) => r.outcome === 'refused' && r.code === 'ERR_REPLAY')).to.have.length(49);
  });

  it('accepts another jti of the same sender right after a replay (control)', async () => {
    const answer = await g.sendJws(await g.signRequest());
    expect(answer.status, answer.text).to.equal(200);
  });

  describe('after a restart on the same data dir', () => {
    it('still refuses the token, with 409 ERR_REPLAY, forwarding nothing', async () => {
      const claims = g.requestClaims();
      const token = await signCompactJws(consumer, TYP, claims);
      expect((await g.sendJws(token)).status).to.equal(200);
      const released = (await g.records()).length;

      await g.close({ keepDataDir: true });
      g = await startTestGateway({ meldebehoerde: 'ok', dataDir: g.dataDir });

      const replay = await g.sendJws(token);
      expect({ status: replay.status, code: replay.json?.['code'] }).to.deep.equal({
        status: 409,
        code: 'ERR_REPLAY',
      });
      expect(g.provider!.requests, 'forwarded by the restarted gateway').to.equal(0);
      const records = await g.records();
      expect(records.length, 'the log kept its records and added one').to.equal(released + 1);
      expect(outcomes(await g.recordsOfMessage(String(claims['jti'])))).to.deep.equal([
        'intent',
        'released',
        'refused:ERR_REPLAY',
      ]);
      // A fresh message still goes through after the restart.
      expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
    });
  });
});
