/**
 * Issue 2 consent items end to end: consents given and withdrawn through the citizen API with bearer tokens of
 * the demo identity provider, then used (or not) by the Wohngeldstelle's signed requests. A withdrawn, expired
 * or used-up consent never permits a later exchange, and nothing reaches the fake Meldebehörde for it; a
 * citizen cannot touch another citizen's consent, and a message cannot borrow one either.
 */
import { expect } from 'chai';
import {
  ERIKA,
  LENA,
  MAX,
  startTestGateway,
  WOHNGELDSTELLE,
  type HttpAnswer,
  type TestGateway,
} from '../helpers/start-test-gateway.js';
import { expectRefusal } from './expect-refusal.js';

interface WireConsent {
  id: string;
  events: { type: string; exchangeId?: string }[];
  validUntil?: string;
  singleUse: boolean;
}

describe('e2e: consent and the exchange (issue 2)', () => {
  let g: TestGateway;

  before(async () => {
    g = await startTestGateway({ meldebehoerde: 'ok' });
  });
  after(async () => {
    await g?.close();
  });

  async function give(idnr: string, extra: Record<string, unknown> = {}): Promise<WireConsent> {
    const answer = await g.request('POST', '/v1/me/consents', {
      bearer: await g.citizenToken(idnr),
      json: {
        consumer: WOHNGELDSTELLE,
        evidenceTypes: ['meldebescheinigung'],
        purpose: 'wohngeld-antrag',
        ...extra,
      },
    });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.json as { consent: WireConsent }).consent;
  }

  async function consentsOf(idnr: string): Promise<WireConsent[]> {
    const answer = await g.request('GET', '/v1/me/consents', { bearer: await g.citizenToken(idnr) });
    expect(answer.status).to.equal(200);
    return (answer.json as { consents: WireConsent[] }).consents;
  }

  async function withdraw(idnr: string, id: string): Promise<HttpAnswer> {
    return g.request('POST', `/v1/me/consents/${encodeURIComponent(id)}/withdraw`, {
      bearer: await g.citizenToken(idnr),
    });
  }

  /** Sends a request for `idnr`; expects the refusal end to end (nothing forwarded, refused record). */
  async function expectRefused(idnr: string, code: string, extra: Record<string, unknown> = {}) {
    const claims = g.requestClaims({ subject: { idnr }, ...extra });
    const before = g.provider!.requests;
    const answer = await g.sendJws(await g.signRequest(claims));
    await expectRefusal(g, answer, {
      status: 403,
      code,
      messageId: String(claims['jti']),
      logged: true,
      providerBefore: before,
    });
  }

  async function expectReleased(idnr: string, extra: Record<string, unknown> = {}): Promise<string> {
    const answer = await g.sendJws(await g.signRequest({ subject: { idnr }, ...extra }));
    expect(answer.status, answer.text).to.equal(200);
    return String(answer.json?.['exchangeId']);
  }

  it('refuses after the citizen withdrew the consent, with 403 ERR_CONSENT_WITHDRAWN', async () => {
    const consent = await give(LENA);
    await expectReleased(LENA);
    const answer = await withdraw(LENA, consent.id);
    expect(answer.status, answer.text).to.equal(200);
    const events = (answer.json as { consent: WireConsent }).consent.events.map((e) => e.type);
    expect(events).to.deep.equal(['given', 'withdrawn']);

    await expectRefused(LENA, 'ERR_CONSENT_WITHDRAWN');
    await expectRefused(LENA, 'ERR_CONSENT_WITHDRAWN', { consentId: consent.id });
    // Withdrawing again changes nothing, and the consent stays withdrawn.
    expect((await withdraw(LENA, consent.id)).status).to.equal(200);
    await expectRefused(LENA, 'ERR_CONSENT_WITHDRAWN');
  });

  it('refuses once the consent is past its validUntil, with 403 ERR_CONSENT_EXPIRED', async () => {
    const validUntil = new Date(g.clock.nowMs() + 60_000).toISOString();
    const consent = await give(MAX, { validUntil });
    await expectReleased(MAX, { consentId: consent.id });
    g.clock.advance(61_000);
    await expectRefused(MAX, 'ERR_CONSENT_EXPIRED', { consentId: consent.id });
    await expectRefused(MAX, 'ERR_CONSENT_EXPIRED');
  });

  it('refuses a second use of a single-use consent, with 403 ERR_CONSENT_EXPIRED', async () => {
    const consent = await give(MAX, { singleUse: true });
    const exchangeId = await expectReleased(MAX, { consentId: consent.id });
    const used = (await consentsOf(MAX)).find((c) => c.id === consent.id)!;
    expect(used.events.map((e) => [e.type, e.exchangeId])).to.deep.equal([
      ['given', undefined],
      ['used', exchangeId],
    ]);
    await expectRefused(MAX, 'ERR_CONSENT_EXPIRED', { consentId: consent.id });
    await expectRefused(MAX, 'ERR_CONSENT_EXPIRED');
  });

  it('lets exactly one of several concurrent exchanges use a single-use consent', async () => {
    const consent = await give(LENA, { singleUse: true });
    const before = g.provider!.requests;
    const answers = await Promise.all(
      Array.from({ length: 5 }, async () =>
        g.sendJws(await g.signRequest({ subject: { idnr: LENA }, consentId: consent.id })),
      ),
    );
    const outcome = answers.map((a) => (a.status === 200 ? 'ok' : String(a.json?.['code'])));
    expect(
      outcome.filter((o) => o === 'ok'),
      outcome.join(),
    ).to.have.length(1);
    expect(outcome.filter((o) => o === 'ERR_CONSENT_EXPIRED')).to.have.length(4);
    expect(g.provider!.requests - before).to.equal(1);
  });

  it("refuses a request that names another citizen's consent id, with 403 ERR_CONSENT_MISSING", async () => {
    const [erikas] = await consentsOf(ERIKA);
    expect(erikas).to.not.equal(undefined);
    await expectRefused(MAX, 'ERR_CONSENT_MISSING', { consentId: erikas!.id });
  });

  it("answers a citizen withdrawing another citizen's consent with 404, identical to an unknown id", async () => {
    const [erikas] = await consentsOf(ERIKA);
    const foreign = await withdraw(MAX, erikas!.id);
    const unknown = await withdraw(MAX, '5f0c2a1e-8b7d-4c3e-9a2b-1c0d9e8f7a6b');
    expect({ status: foreign.status, code: foreign.json?.['code'] }).to.deep.equal({
      status: 404,
      code: 'ERR_NOT_FOUND',
    });
    const { instance: i1, ...a } = foreign.json ?? {};
    const { instance: i2, ...b } = unknown.json ?? {};
    expect(i1).to.not.equal(i2);
    expect(a).to.deep.equal(b);
    expect(foreign.headers.get('content-type')).to.equal(unknown.headers.get('content-type'));
    // Erika's consent is untouched and still permits.
    const after = (await consentsOf(ERIKA)).find((c) => c.id === erikas!.id)!;
    expect(after.events.map((e) => e.type)).to.deep.equal(['given']);
    await expectReleased(ERIKA);
  });

  it('refuses the citizen API without a valid bearer, with 401 ERR_AUTH', async () => {
    const [erikas] = await consentsOf(ERIKA);
    for (const bearer of [undefined, 'not-a-token', await g.agencyToken(WOHNGELDSTELLE)]) {
      const answer = await g.request(
        'POST',
        `/v1/me/consents/${erikas!.id}/withdraw`,
        bearer === undefined ? {} : { bearer },
      );
      expect({ status: answer.status, code: answer.json?.['code'] }).to.deep.equal({
        status: 401,
        code: 'ERR_AUTH',
      });
    }
    expect((await consentsOf(ERIKA)).find((c) => c.id === erikas!.id)!.events).to.have.length(1);
  });
});
