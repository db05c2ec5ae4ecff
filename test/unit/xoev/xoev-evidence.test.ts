/**
 * Gateway → provider → gateway in XÖV (PROTOCOL.md §2, §1c): the forwarded request the gateway signs, the
 * provider's check of it, the provider's signed evidence, and the gateway's check of that evidence.
 */
import { expect } from 'chai';
import {
  parseXml,
  readEvidenceData,
  createXoevEvidenceVerifier,
  createXoevForwardedRequestVerifier,
  createXoevForwarder,
  readEvidenceContent,
  signXoevEvidence,
  signXoevRejection,
  xoevRequestDigest,
  type XoevEvidenceContent,
} from '../../../gateway/core/envelope/xoev/index.js';
import type { EvidenceRequest, ForwardedRequestInput } from '../../../gateway/core/exchange/types.js';
import type { Signer } from '../../../gateway/core/ports.js';
import {
  exampleSigner,
  exampleTrust,
  fixedClock,
  GATEWAY_ID,
  NOW_MS,
  refusalOf,
  SCHEMAS,
} from './xoev-fixtures.js';

const clock = fixedClock();
const trust = exampleTrust(clock);
const gateway = exampleSigner(GATEWAY_ID);
const standesamt = exampleSigner('psw:09999001');
const PROVIDER = trust.participant('psw:09999001')!;
const EXCHANGE_ID = '7d2e9c41-5b3a-4f6e-8a1d-2c3b4a5f6e7d';

const REQUEST: EvidenceRequest = {
  format: 'xoev',
  consumer: 'ags:09999002',
  messageId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  issuedAt: NOW_MS / 1000 - 5,
  replayUntil: NOW_MS / 1000 + 360,
  evidenceType: 'geburtsurkunde',
  provider: 'psw:09999001',
  subjectIdnr: '93141705862',
  purpose: 'elterngeld-antrag',
  procedure: { reference: 'EG-2030/0815', service: '99041008000000' },
  actor: 'sachbearbeitung-3',
  fields: ['kind', 'geburtsdatum'],
  test: false,
};

function input(
  overrides: { request?: Partial<EvidenceRequest>; fields?: readonly string[] } = {},
): ForwardedRequestInput {
  return {
    exchangeId: EXCHANGE_ID,
    request: { ...REQUEST, ...overrides.request },
    provider: PROVIDER,
    verdict: {
      permit: true,
      policy: { id: 'elterngeld-geburtsurkunde', version: '1.0.0', hash: 'x'.repeat(43) },
      provider: 'psw:09999001',
      legalBasis: '§ 9 BEEG i. V. m. § 68 PStG',
      fields: overrides.fields ?? ['kind', 'geburtsdatum', 'geburtsort', 'eltern'],
      consentRequired: true,
      previewRequired: false,
      previewTimeoutMinutes: 60,
      retention: 'P2Y',
    },
  };
}

const forward = createXoevForwarder({ signer: gateway, clock, gatewayName: 'Once-Only Gateway (Demo)' });
const checkForwarded = createXoevForwardedRequestVerifier({
  trust,
  clock,
  providerId: 'psw:09999001',
  schemas: SCHEMAS,
});
const verifyEvidence = createXoevEvidenceVerifier({ trust, clock, gatewayId: GATEWAY_ID, schemas: SCHEMAS });

const DATA = {
  kind: { familienname: 'Mustermann', vornamen: 'Erika' },
  geburtsdatum: '1964-08-12',
};

function answer(
  forwarded: string,
  overrides: Partial<XoevEvidenceContent> = {},
  options: { signer?: Signer; test?: boolean; to?: string; name?: string } = {},
): string {
  const signer = options.signer ?? standesamt;
  return signXoevEvidence(
    { signer, clock, name: options.name ?? 'Standesamt Musterstadt' },
    { to: { id: options.to ?? GATEWAY_ID, name: 'Once-Only Gateway' }, test: options.test },
    {
      exchangeId: EXCHANGE_ID,
      requestDigest: xoevRequestDigest(forwarded),
      evidenceType: 'geburtsurkunde',
      subjectIdnr: '93141705862',
      data: DATA,
      ...overrides,
    },
  );
}

const xml = (body: string) => ({ body, contentType: 'application/xml' });

describe('createXoevForwarder', () => {
  it('signs a forwarded request the provider can verify, minimised to the permitted fields', async () => {
    const forwarded = await forward(input({ fields: ['kind', 'geburtsdatum'] }));
    const checked = await checkForwarded(forwarded);
    expect(checked.claims).to.deep.equal({
      exchangeId: EXCHANGE_ID,
      consumer: 'ags:09999002',
      evidenceType: 'geburtsurkunde',
      subjectIdnr: '93141705862',
      purpose: 'elterngeld-antrag',
      legalBasis: '§ 9 BEEG i. V. m. § 68 PStG',
      procedure: { reference: 'EG-2030/0815', service: '99041008000000' },
      actor: 'sachbearbeitung-3',
      fields: ['kind', 'geburtsdatum'],
      policy: 'elterngeld-geburtsurkunde@1.0.0',
    });
    expect(checked.gatewayId).to.equal(GATEWAY_ID);
    expect(checked.test).to.equal(false);
    expect(checked.requestDigest).to.equal(xoevRequestDigest(forwarded));
    expect(checked.replayUntilMs).to.equal(NOW_MS + 360_000);
  });

  it('carries the consumer’s test marking to the provider', async () => {
    const forwarded = await forward(input({ request: { test: true } }));
    expect((await checkForwarded(forwarded)).test).to.equal(true);
  });

  it('refuses an EdDSA gateway key at construction, with TypeError', () => {
    const signer = { ...gateway, alg: 'EdDSA' as const };
    expect(() => createXoevForwarder({ signer, clock })).to.throw(TypeError);
  });
});

describe('createXoevForwardedRequestVerifier', () => {
  it('refuses a request addressed to another provider, with ERR_AUTH', async () => {
    const other = createXoevForwardedRequestVerifier({
      trust,
      clock,
      providerId: 'mld:09999001',
      schemas: SCHEMAS,
    });
    expect((await refusalOf(other(await forward(input())))).code).to.equal('ERR_AUTH');
  });

  it('refuses a "forwarded request" signed by a consumer, with ERR_TRUST_SENDER_MISMATCH', async () => {
    const impostor = createXoevForwarder({ signer: exampleSigner('ags:09999002'), clock });
    expect((await refusalOf(checkForwarded(await impostor(input())))).code).to.equal(
      'ERR_TRUST_SENDER_MISMATCH',
    );
  });

  it('refuses a request older than 300 s, with ERR_STALE', async () => {
    const forwarded = await forward(input());
    const later = createXoevForwardedRequestVerifier({
      trust,
      clock: fixedClock(NOW_MS + 301_000),
      providerId: 'psw:09999001',
      schemas: SCHEMAS,
    });
    expect((await refusalOf(later(forwarded))).code).to.equal('ERR_STALE');
  });
});

describe('createXoevEvidenceVerifier', () => {
  it('accepts the provider’s signed evidence bound to the forwarded request and passes it on unchanged', async () => {
    const forwarded = await forward(input());
    const body = answer(forwarded);
    const verified = await verifyEvidence(xml(body), { forwarded, input: input() });
    expect(verified.token).to.equal(body);
    expect(verified.digest).to.equal(xoevRequestDigest(body));
    expect(verified.fields).to.deep.equal(['kind', 'geburtsdatum']);
    expect(verified.claims.data).to.deep.equal(DATA);
    expect(readEvidenceContent(verified.opened.content).exchangeId).to.equal(EXCHANGE_ID);
  });

  it('accepts every field of a geburtsurkunde, with two parents', async () => {
    const forwarded = await forward(input());
    const data = {
      ...DATA,
      geburtsort: 'Musterstadt',
      eltern: [
        { familienname: 'Mustermann', vornamen: 'Hans' },
        { familienname: 'Mustermann', vornamen: 'Gisela' },
      ],
    };
    const verified = await verifyEvidence(xml(answer(forwarded, { data })), { forwarded, input: input() });
    expect(verified.claims.data).to.deep.equal(data);
  });

  const refusals: [
    string,
    (forwarded: string) => { body: string; contentType: string },
    Partial<ForwardedRequestInput>?,
  ][] = [
    ['an answer that is not application/xml', (f) => ({ body: answer(f), contentType: 'application/jose' })],
    ['an unsigned answer', (f) => xml(answer(f).replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, ''))],
    ['an answer whose signed content was changed', (f) => xml(answer(f).replace('Erika', 'Erica'))],
    ['an answer from another provider', (f) => xml(answer(f, {}, { signer: exampleSigner('mld:09999001') }))],
    ['an answer addressed to someone else', (f) => xml(answer(f, {}, { to: 'oog:other-gateway' }))],
    [
      'an answer for another exchange',
      (f) => xml(answer(f, { exchangeId: '00000000-0000-4000-8000-000000000000' })),
    ],
    [
      'an answer bound to another request',
      (f) => xml(answer(f, { requestDigest: xoevRequestDigest(f + ' ') })),
    ],
    ['an answer about another person', (f) => xml(answer(f, { subjectIdnr: '20561748335' }))],
    [
      'an answer of another evidence type',
      (f) => xml(answer(f, { evidenceType: 'meldebescheinigung', data: { familienname: 'Mustermann' } })),
    ],
    ['an answer marked as test for a production request', (f) => xml(answer(f, {}, { test: true }))],
    [
      'an answer with a field that is not permitted (over-sharing)',
      (f) => xml(answer(f, { data: { ...DATA, geburtsort: 'Musterstadt' } })),
      { verdict: { ...input().verdict, fields: ['kind', 'geburtsdatum'] } },
    ],
    [
      'the provider’s signed rejection',
      () =>
        xml(
          signXoevRejection(
            { signer: standesamt, clock },
            { to: { id: GATEWAY_ID, name: 'Gateway' } },
            { code: 'ERR_NOT_FOUND', exchangeId: EXCHANGE_ID },
          ),
        ),
    ],
  ];
  for (const [what, make, override] of refusals) {
    it(`refuses ${what}, with ERR_PROVIDER_RESPONSE`, async () => {
      const forwarded = await forward(input());
      const expected = { forwarded, input: { ...input(), ...override } };
      expect((await refusalOf(verifyEvidence(make(forwarded), expected))).code).to.equal(
        'ERR_PROVIDER_RESPONSE',
      );
    });
  }

  it('refuses evidence from a provider that does not hold the evidence type, with ERR_PROVIDER_RESPONSE', async () => {
    const melde = trust.participant('mld:09999001')!;
    const wrongProvider = { ...input(), provider: melde };
    const forwarded = await forward(wrongProvider);
    const body = answer(forwarded, {}, { signer: exampleSigner('mld:09999001') });
    expect((await refusalOf(verifyEvidence(xml(body), { forwarded, input: wrongProvider }))).code).to.equal(
      'ERR_PROVIDER_RESPONSE',
    );
  });

  it('refuses evidence dated in the future, with ERR_PROVIDER_RESPONSE', async () => {
    const forwarded = await forward(input());
    const body = signXoevEvidence(
      { signer: standesamt, clock: fixedClock(NOW_MS + 120_000) },
      { to: { id: GATEWAY_ID, name: 'Gateway' } },
      {
        exchangeId: EXCHANGE_ID,
        requestDigest: xoevRequestDigest(forwarded),
        evidenceType: 'geburtsurkunde',
        subjectIdnr: '93141705862',
        data: DATA,
      },
    );
    expect((await refusalOf(verifyEvidence(xml(body), { forwarded, input: input() }))).code).to.equal(
      'ERR_PROVIDER_RESPONSE',
    );
  });
});

describe('readEvidenceData', () => {
  const NS = 'xmlns:oog="urn:oog:schemata:nachweis:1"';

  it('reads an oog:nachweis into the JSON shape of its evidence type', () => {
    const el = parseXml(
      `<oog:nachweis ${NS}><oog:geburtsurkunde><oog:geburtsdatum>1964-08-12</oog:geburtsdatum></oog:geburtsurkunde></oog:nachweis>`,
    );
    expect(readEvidenceData(el)).to.deep.equal({
      evidenceType: 'geburtsurkunde',
      data: { geburtsdatum: '1964-08-12' },
      fields: ['geburtsdatum'],
    });
  });

  it('refuses element names that are Object.prototype members or fields of another type, with ERR_SCHEMA', async () => {
    for (const inner of [
      '<oog:constructor/>',
      '<oog:geburtsurkunde><oog:__proto__>x</oog:__proto__></oog:geburtsurkunde>',
      '<oog:geburtsurkunde><oog:anschrift/></oog:geburtsurkunde>',
      '<oog:geburtsurkunde><oog:geburtsort>A</oog:geburtsort><oog:geburtsort>B</oog:geburtsort></oog:geburtsurkunde>',
    ]) {
      const el = parseXml(`<oog:nachweis ${NS}>${inner}</oog:nachweis>`);
      expect((await refusalOf(() => readEvidenceData(el))).code, inner).to.equal('ERR_SCHEMA');
    }
  });
});
