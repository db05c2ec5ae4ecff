import { expect } from 'chai';
import { GatewayError } from '../../gateway/core/errors.js';
import { bodyOf, ERIKA, ERIKA_TOKEN, MAX, MAX_TOKEN, startTestApp } from './http-harness.js';
import type { TestApp } from './http-harness.js';

describe('createApp: citizen routes', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  beforeEach(() => app.reset());
  after(() => app.close());

  const as = (token: string, init: RequestInit = {}): RequestInit => ({
    ...init,
    headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
  });
  const consentBody = {
    consumer: 'ags:09999001',
    evidenceTypes: ['meldebescheinigung'],
    purpose: 'wohngeld-antrag',
  };

  it('refuses a call without a bearer token with 401 ERR_AUTH and WWW-Authenticate, without calling the service', async () => {
    const res = await fetch(`${app.url}/v1/me/consents`);
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.match(/^Bearer/);
    expect((await bodyOf(res))['code']).to.equal('ERR_AUTH');
    expect(app.calls.list).to.have.length(0);
  });

  it('refuses a malformed Authorization header with 401 ERR_AUTH before asking the authenticator', async () => {
    for (const header of ['Basic dXNlcjpwdw==', 'Bearer', 'Bearer a b', `Bearer ${'a'.repeat(9 * 1024)}`]) {
      const res = await fetch(`${app.url}/v1/me/consents`, { headers: { authorization: header } });
      expect(res.status, header.slice(0, 20)).to.equal(401);
    }
    expect(app.calls.auth).to.have.length(0);
  });

  it('passes the authenticator refusal on (invalid token → 401 ERR_AUTH)', async () => {
    const res = await fetch(`${app.url}/v1/me/consents`, as('forged'));
    expect(res.status).to.equal(401);
    expect((await bodyOf(res))['code']).to.equal('ERR_AUTH');
    expect(app.calls.auth).to.deep.equal(['forged']);
  });

  it('lists the consents of the authenticated citizen only', async () => {
    const res = await fetch(`${app.url}/v1/me/consents`, as(MAX_TOKEN));
    expect(res.status).to.equal(200);
    expect(app.calls.list).to.deep.equal([MAX]);
    expect((await bodyOf(res))['consents']).to.deep.equal([]);
  });

  for (const query of [`idnr=${ERIKA}`, `subject=${ERIKA}`]) {
    it(`never honours ?${query.split('=')[0]}: refused with 400 ERR_SCHEMA, the service never asked`, async () => {
      const res = await fetch(`${app.url}/v1/me/consents?${query}`, as(MAX_TOKEN));
      expect(res.status).to.equal(400);
      expect((await bodyOf(res))['code']).to.equal('ERR_SCHEMA');
      expect(app.calls.list).to.have.length(0);
    });
  }

  it('answers consents in wire form: ISO times and no subject reference', async () => {
    const res = await fetch(`${app.url}/v1/me/consents`, as(ERIKA_TOKEN));
    const text = await res.text();
    expect(text).to.not.include('subjectRef');
    expect(text).to.not.include(ERIKA);
    const { consents } = JSON.parse(text) as { consents: Record<string, unknown>[] };
    expect(consents).to.have.length(1);
    expect(consents[0]).to.deep.equal({
      id: 'c-erika',
      consumer: 'ags:09999001',
      evidenceTypes: ['meldebescheinigung'],
      purpose: 'wohngeld-antrag',
      singleUse: false,
      createdAt: '2025-01-01T00:00:00.000Z',
      events: [{ type: 'given', at: '2025-01-01T00:00:00.000Z', by: 'citizen' }],
    });
  });

  it('gives a consent for the authenticated citizen with 201, consent and receipt', async () => {
    const res = await fetch(
      `${app.url}/v1/me/consents`,
      as(MAX_TOKEN, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...consentBody, validUntil: '2026-01-01T00:00:00Z', singleUse: true }),
      }),
    );
    expect(res.status).to.equal(201);
    expect(app.calls.give).to.have.length(1);
    expect(app.calls.give[0]![0]).to.equal(MAX);
    expect(app.calls.give[0]![1]).to.deep.equal({
      ...consentBody,
      validUntil: Date.UTC(2026, 0, 1),
      singleUse: true,
    });
    const body = await bodyOf(res);
    expect(body['receipt']).to.equal('aaa.bbb.ccc');
    expect(body['consent']).to.have.property('validUntil', '2026-01-01T00:00:00.000Z');
  });

  for (const member of ['idnr', 'subject', 'subjectIdnr']) {
    it(`refuses a consent body carrying "${member}" with 400 ERR_SCHEMA and never uses it`, async () => {
      const res = await fetch(
        `${app.url}/v1/me/consents`,
        as(MAX_TOKEN, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...consentBody, [member]: ERIKA }),
        }),
      );
      expect(res.status).to.equal(400);
      expect((await bodyOf(res))['code']).to.equal('ERR_SCHEMA');
      expect(app.calls.give).to.have.length(0);
    });
  }

  it('refuses a consent body that breaks the schema with 400 ERR_SCHEMA', async () => {
    for (const body of [
      { ...consentBody, consumer: 'not a participant' },
      { ...consentBody, evidenceTypes: [] },
      { ...consentBody, validUntil: 'tomorrow' },
      { consumer: 'ags:09999001' },
    ]) {
      const res = await fetch(
        `${app.url}/v1/me/consents`,
        as(ERIKA_TOKEN, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      );
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect((await bodyOf(res))['code']).to.equal('ERR_SCHEMA');
    }
    expect(app.calls.give).to.have.length(0);
  });

  it('withdraws the citizen’s own consent', async () => {
    const res = await fetch(
      `${app.url}/v1/me/consents/c-erika/withdraw`,
      as(ERIKA_TOKEN, { method: 'POST' }),
    );
    expect(res.status).to.equal(200);
    expect(app.calls.withdraw).to.deep.equal([[ERIKA, 'c-erika']]);
    const { consent } = (await bodyOf(res)) as { consent: { events: { type: string }[] } };
    expect(consent.events.map((e) => e.type)).to.deep.equal(['given', 'withdrawn']);
  });

  it('answers a withdraw of an unknown id and of another citizen’s id identically with 404 ERR_NOT_FOUND', async () => {
    const unknown = await fetch(
      `${app.url}/v1/me/consents/c-nobody/withdraw`,
      as(MAX_TOKEN, { method: 'POST' }),
    );
    const foreign = await fetch(
      `${app.url}/v1/me/consents/c-erika/withdraw`,
      as(MAX_TOKEN, { method: 'POST' }),
    );
    expect(app.calls.withdraw).to.deep.equal([
      [MAX, 'c-nobody'],
      [MAX, 'c-erika'],
    ]);
    const [a, b] = [await bodyOf(unknown), await bodyOf(foreign)];
    expect(unknown.status).to.equal(404);
    expect(foreign.status).to.equal(404);
    expect(unknown.headers.get('content-type')).to.equal(foreign.headers.get('content-type'));
    const withoutInstance = (p: Record<string, unknown>) => ({ ...p, instance: undefined });
    expect(withoutInstance(a)).to.deep.equal(withoutInstance(b));
    expect(a['code']).to.equal('ERR_NOT_FOUND');
  });

  it('refuses a consent id outside the id charset with 400 ERR_SCHEMA', async () => {
    const res = await fetch(`${app.url}/v1/me/consents/..%2Fx/withdraw`, as(ERIKA_TOKEN, { method: 'POST' }));
    expect(res.status).to.equal(400);
    expect((await bodyOf(res))['code']).to.equal('ERR_SCHEMA');
    expect(app.calls.withdraw).to.have.length(0);
  });

  it('refuses a citizen call with an agency token as the authenticator decides (ERR_FORBIDDEN passes through)', async () => {
    const forbidding = await startTestApp((services) => ({
      ...services,
      auth: {
        ...services.auth,
        citizen: async () => {
          throw new GatewayError('ERR_FORBIDDEN', 'this call is for citizens');
        },
      },
    }));
    try {
      const res = await fetch(`${forbidding.url}/v1/me/consents`, as('dpo-token'));
      expect(res.status).to.equal(403);
      expect((await bodyOf(res))['code']).to.equal('ERR_FORBIDDEN');
    } finally {
      await forbidding.close();
    }
  });
});

describe('createApp: agency polling', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  beforeEach(() => app.reset());
  after(() => app.close());

  const exchangeId = '7a1c8f9e-3b2d-4c5e-9f00-112233445566';

  it('asks the exchange with the authenticated agency and answers 404 ERR_NOT_FOUND for an unseen exchange', async () => {
    const res = await fetch(`${app.url}/v1/evidence-requests/${exchangeId}`, {
      headers: { authorization: 'Bearer agency-token.ghi' },
    });
    expect(res.status).to.equal(404);
    expect((await bodyOf(res))['code']).to.equal('ERR_NOT_FOUND');
    expect(app.calls.get).to.deep.equal([{ exchangeId, agency: 'ags:09999001' }]);
  });

  it('refuses a poll without agency authentication with 401 ERR_AUTH', async () => {
    const res = await fetch(`${app.url}/v1/evidence-requests/${exchangeId}`);
    expect(res.status).to.equal(401);
    expect((await bodyOf(res))['code']).to.equal('ERR_AUTH');
    expect(app.calls.get).to.have.length(0);
  });

  it('refuses an exchange id that is not a lower-case UUID with 400 ERR_SCHEMA', async () => {
    const res = await fetch(`${app.url}/v1/evidence-requests/${exchangeId.toUpperCase()}`, {
      headers: { authorization: 'Bearer agency-token.ghi' },
    });
    expect(res.status).to.equal(400);
    expect((await bodyOf(res))['code']).to.equal('ERR_SCHEMA');
  });
});
