/**
 * Refusals of unauthenticated messages are logged (an agency sees who tried to speak in its name), but only
 * OOG_UNAUTH_REFUSALS_PER_MIN of them per source address and minute: past that, 429 ERR_RATE_LIMITED with
 * Retry-After and no record, so nobody can grow the transfer log at will. Signed requests never spend from the
 * budget, but while an address is past it, nothing it sends is parsed or verified (issue 11: garbage must not buy
 * signature checks), so a signed request from that address waits too.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { signCompactJws } from '../../gateway/core/envelope/index.js';
import { signXoevRequest } from '../../gateway/core/envelope/xoev/index.js';
import {
  ELTERNGELDSTELLE,
  GATEWAY_ID,
  startTestGateway,
  STANDESAMT,
  untrustedSigner,
  WOHNGELDSTELLE,
  type TestGateway,
} from '../helpers/start-test-gateway.js';

describe('e2e: budget of logged unauthenticated refusals per address', function () {
  this.timeout(30_000);
  let g: TestGateway;
  beforeEach(async () => {
    g = await startTestGateway({ config: { unauthRefusalsPerMin: 3 } });
  });
  afterEach(async () => g?.close());

  const forged = async () =>
    g.sendJws(await signCompactJws(untrustedSigner(), 'evidence-request+jwt', g.requestClaims()));
  const unauthenticated = async () => (await g.records()).filter((r) => !r.authenticated).length;

  it('logs three, then answers 429 with Retry-After and no record, signed requests from that address too, until the budget refills', async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await forged();
      expect([answer.status, answer.json?.['code']]).to.deep.equal([401, 'ERR_TRUST_UNKNOWN_SENDER']);
    }
    expect(await unauthenticated()).to.equal(3);
    const limited = await forged();
    expect([limited.status, limited.json?.['code']]).to.deep.equal([429, 'ERR_RATE_LIMITED']);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 20); // one refusal every 20 s at 3 a minute
    expect(await unauthenticated()).to.equal(3);

    const waiting = await g.sendJws(await g.signRequest());
    expect([waiting.status, waiting.json?.['code']]).to.deep.equal([429, 'ERR_RATE_LIMITED']);

    g.clock.advance(20_000); // 3 a minute: one more after 20 s
    const signed = await g.sendJws(await g.signRequest());
    expect(signed.status).to.equal(200); // a signed request spends nothing
    const again = await forged();
    expect([again.status, again.json?.['code']]).to.deep.equal([401, 'ERR_TRUST_UNKNOWN_SENDER']);
    expect(await unauthenticated()).to.equal(4);
    expect((await forged()).status).to.equal(429);
  });

  it('answers an XÖV sender past the budget with problem+json, not a signed rueckweisung', async () => {
    for (let i = 0; i < 3; i++) await forged();
    const xml = signXoevRequest(
      { signer: { ...untrustedSigner(), participantId: ELTERNGELDSTELLE }, clock: g.clock },
      { to: { id: GATEWAY_ID, name: 'Once-Only Gateway (Demo)' }, messageId: randomUUID() },
      {
        evidenceType: 'geburtsurkunde',
        provider: STANDESAMT,
        subjectIdnr: '93141705862',
        purpose: 'elterngeld-antrag',
        procedure: { reference: 'EG-1' },
        actor: 'a',
      },
    );
    const answer = await g.request('POST', '/v1/evidence-requests', {
      body: xml,
      contentType: 'application/xml',
    });
    expect(answer.status).to.equal(429);
    expect(answer.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(answer.json?.['code']).to.equal('ERR_RATE_LIMITED');
    expect((await g.records()).filter((r) => r.consumer === ELTERNGELDSTELLE)).to.deep.equal([]);
    expect((await g.records()).every((r) => r.consumer === WOHNGELDSTELLE)).to.equal(true);
  });
});
