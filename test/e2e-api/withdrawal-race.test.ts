/**
 * Issue 5 item 5 and its fault "withdrawal racing an exchange whose provider is slow": either the exchange's
 * release is logged before the withdrawal, or it is aborted — never a release logged after the withdrawal of the
 * consent it relied on. Erika's standing consent for the Wohngeldstelle is seeded by demo mode.
 */
import { expect } from 'chai';
import { ERIKA, startTestGateway, WOHNGELDSTELLE } from '../helpers/start-test-gateway.js';
import type { TestGateway } from '../helpers/start-test-gateway.js';

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('e2e: withdrawal racing an exchange (issue 5)', function () {
  this.timeout(30_000);
  let gw: TestGateway;
  afterEach(async () => gw?.close());

  async function erikasConsent(): Promise<string> {
    const answer = await gw.request('GET', '/v1/me/consents', { bearer: await gw.citizenToken(ERIKA) });
    const consents = answer.json!['consents'] as { id: string; consumer: string }[];
    return consents.find((c) => c.consumer === WOHNGELDSTELLE)!.id;
  }

  async function withdraw(id: string): Promise<number> {
    const answer = await gw.request('POST', `/v1/me/consents/${id}/withdraw`, {
      bearer: await gw.citizenToken(ERIKA),
    });
    expect(answer.status).to.equal(200);
    const events = (answer.json!['consent'] as { events: { type: string; at: string }[] }).events;
    return Date.parse(events.find((e) => e.type === 'withdrawn')!.at);
  }

  it('aborts an exchange whose consent is withdrawn while the provider is answering, with ERR_CONSENT_WITHDRAWN', async () => {
    gw = await startTestGateway({ meldebehoerde: 'slow', slowMs: 1500 });
    const consentId = await erikasConsent();
    const pending = gw.sendJws(await gw.signRequest());
    await waitFor(() => gw.provider!.requests === 1);
    const withdrawnAt = await withdraw(consentId);

    const answer = await pending;
    expect(answer.status).to.equal(403);
    expect(answer.json).to.include({ code: 'ERR_CONSENT_WITHDRAWN' });
    const records = await gw.records();
    expect(records.map((r) => r.outcome)).to.deep.equal(['intent', 'refused']);
    expect(records[1]).to.include({ consentId, code: 'ERR_CONSENT_WITHDRAWN' });
    expect(Date.parse(records[1]!.time)).to.be.at.least(withdrawnAt);
  });

  it('logs a release that won the race before the withdrawal', async () => {
    gw = await startTestGateway({ meldebehoerde: 'ok' });
    const consentId = await erikasConsent();
    // Both at once: whichever takes the consent's lock first decides; the log must agree with that order.
    const [answer, withdrawnAt] = await Promise.all([
      gw.signRequest().then((jws) => gw.sendJws(jws)),
      new Promise((resolve) => setTimeout(resolve, 5)).then(() => withdraw(consentId)),
    ]);
    const released = (await gw.records()).filter((r) => r.outcome === 'released');
    if (answer.status === 200) {
      expect(released).to.have.lengthOf(1);
      expect(Date.parse(released[0]!.time)).to.be.at.most(withdrawnAt);
    } else {
      expect(answer.json).to.include({ code: 'ERR_CONSENT_WITHDRAWN' });
      expect(released).to.deep.equal([]);
    }
    // Afterwards the withdrawal holds for every later exchange.
    const later = await gw.sendJws(await gw.signRequest());
    expect(later.status).to.equal(403);
    expect(later.json).to.include({ code: 'ERR_CONSENT_WITHDRAWN' });
  });
});
