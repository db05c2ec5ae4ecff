import { expect } from 'chai';
import {
  createEvidenceVerifier,
  requestDigest,
  signCompactJws,
  type ExpectedEvidence,
} from '../../../gateway/core/envelope/index.js';
import { sha256b64u } from '../../../gateway/core/encoding.js';
import {
  createFakeTrustStore,
  fixedClock,
  makeParty,
  NOW_MS,
  NOW_S,
  refusalOf,
  signRaw,
} from './fake-trust.js';

const TYP = 'evidence+jwt';
const melde = makeParty('mld:09999001', ['provider'], 'ES256', ['meldebescheinigung']);
const standesamt = makeParty('psw:09999001', ['provider'], 'EdDSA', ['geburtsurkunde']);
const consumer = makeParty('ags:09999001', ['consumer'], 'PS256');
const trust = createFakeTrustStore([melde, standesamt, consumer]);
const verify = createEvidenceVerifier({ trust, clock: fixedClock(NOW_MS) });

const FORWARDED = 'eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.c2ln';
const expected: ExpectedEvidence = {
  provider: 'mld:09999001',
  exchangeId: '9d2b7c4e-1f3a-4b5c-8d6e-7f8091a2b3c4',
  requestDigest: requestDigest(FORWARDED),
  evidenceType: 'meldebescheinigung',
  subjectIdnr: '93141705862',
  permittedFields: ['familienname', 'vornamen', 'geburtsdatum', 'anschrift', 'einzugsdatum'],
};

function evidenceClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: 'mld:09999001',
    iat: NOW_S,
    exchangeId: expected.exchangeId,
    requestDigest: expected.requestDigest,
    evidenceType: 'meldebescheinigung',
    subject: { idnr: '93141705862' },
    data: {
      familienname: 'Mustermann',
      vornamen: 'Erika',
      geburtsdatum: '1964-08-12',
      anschrift: { strasse: 'Heidestraße', hausnummer: '17', postleitzahl: '51147', wohnort: 'Musterstadt' },
      einzugsdatum: '2019-04-01',
    },
    ...overrides,
  };
}

async function codeFor(token: string, exp: ExpectedEvidence = expected): Promise<string> {
  return (await refusalOf(verify(token, exp))).code;
}

describe('createEvidenceVerifier', () => {
  it('accepts bound, permitted, schema-valid evidence and returns its digest', async () => {
    const token = await signCompactJws(melde.signer, TYP, evidenceClaims());
    const result = await verify(token, expected);
    expect(result.token).to.equal(token);
    expect(result.data).to.deep.equal(evidenceClaims().data);
    expect(result.digest).to.equal(sha256b64u(token));
    expect(result.claims.exchangeId).to.equal(expected.exchangeId);
  });

  it('accepts a geburtsurkunde with kind and eltern, signed with EdDSA', async () => {
    const data = {
      kind: { familienname: 'Mustermann', vornamen: 'Mia Sophie' },
      geburtsdatum: '2024-02-29',
      geburtsort: 'Musterstadt',
      eltern: [
        { familienname: 'Mustermann', vornamen: 'Erika' },
        { familienname: 'Mustermann', vornamen: 'Max' },
      ],
    };
    const exp = {
      ...expected,
      provider: 'psw:09999001',
      evidenceType: 'geburtsurkunde',
      permittedFields: ['kind', 'geburtsdatum', 'geburtsort', 'eltern'],
    };
    const claims = evidenceClaims({ iss: 'psw:09999001', evidenceType: 'geburtsurkunde', data });
    const result = await verify(await signCompactJws(standesamt.signer, TYP, claims), exp);
    expect(result.data).to.deep.equal(data);
  });

  it('refuses a field beyond the permitted ones (over-sharing), with ERR_PROVIDER_RESPONSE', async () => {
    const data = { ...(evidenceClaims().data as object), staatsangehoerigkeit: ['DEU'] };
    expect(await codeFor(await signCompactJws(melde.signer, TYP, evidenceClaims({ data })))).to.equal(
      'ERR_PROVIDER_RESPONSE',
    );
  });

  it('refuses a field unknown to the evidence schema even if permitted, with ERR_PROVIDER_RESPONSE', async () => {
    const token = await signCompactJws(melde.signer, TYP, evidenceClaims({ data: { religion: 'rk' } }));
    expect(await codeFor(token, { ...expected, permittedFields: ['religion'] })).to.equal(
      'ERR_PROVIDER_RESPONSE',
    );
  });

  const invalid: Record<string, Record<string, unknown>> = {
    'a wrong requestDigest': { requestDigest: requestDigest(`${FORWARDED}x`) },
    'a wrong exchangeId': { exchangeId: '00000000-0000-4000-8000-000000000000' },
    'another evidence type': { evidenceType: 'geburtsurkunde' },
    'another subject': { subject: { idnr: '20561748335' } },
    'an iss other than the provider': { iss: 'psw:09999001' },
    'an unknown claim': { aud: 'oog:demo-gateway' },
    'an iat in the future': { iat: NOW_S + 3600 },
    'an iat as a string': { iat: String(NOW_S) },
    'a date that does not exist': { data: { geburtsdatum: '1964-02-30' } },
    'an anschrift as a string': { data: { anschrift: 'Heidestraße 17, 51147 Musterstadt' } },
    'an anschrift with a wrong postcode': {
      data: { anschrift: { strasse: 'A', hausnummer: '1', postleitzahl: '5114', wohnort: 'B' } },
    },
    'data that is not an object': { data: ['Mustermann'] },
    'no data': { data: undefined },
  };
  for (const [what, overrides] of Object.entries(invalid)) {
    it(`refuses evidence with ${what}, with ERR_PROVIDER_RESPONSE`, async () => {
      const token = await signCompactJws(melde.signer, TYP, evidenceClaims(overrides));
      expect(await codeFor(token)).to.equal('ERR_PROVIDER_RESPONSE');
    });
  }

  it('refuses evidence signed by another provider, with ERR_PROVIDER_RESPONSE', async () => {
    const token = await signCompactJws(standesamt.signer, TYP, evidenceClaims({ iss: 'psw:09999001' }));
    expect(await codeFor(token)).to.equal('ERR_PROVIDER_RESPONSE');
  });

  it('refuses evidence signed by a consumer claiming to be the provider, with ERR_PROVIDER_RESPONSE', async () => {
    const token = await signCompactJws(consumer.signer, TYP, evidenceClaims());
    expect(await codeFor(token)).to.equal('ERR_PROVIDER_RESPONSE');
  });

  it('refuses a provider answering for an evidence type it does not hold, with ERR_PROVIDER_RESPONSE', async () => {
    const exp = { ...expected, provider: 'psw:09999001' };
    const token = await signCompactJws(standesamt.signer, TYP, evidenceClaims({ iss: 'psw:09999001' }));
    expect(await codeFor(token, exp)).to.equal('ERR_PROVIDER_RESPONSE');
  });

  it('refuses unsigned evidence (alg none, or plain JSON), with ERR_PROVIDER_RESPONSE', async () => {
    const head = Buffer.from(JSON.stringify({ alg: 'none', typ: TYP })).toString('base64url');
    const body = Buffer.from(JSON.stringify(evidenceClaims())).toString('base64url');
    expect(await codeFor(`${head}.${body}.`)).to.equal('ERR_PROVIDER_RESPONSE');
    expect(await codeFor(JSON.stringify(evidenceClaims()))).to.equal('ERR_PROVIDER_RESPONSE');
  });

  it('refuses a wrong signature and a wrong typ, with ERR_PROVIDER_RESPONSE (never ERR_SIG_INVALID)', async () => {
    const token = await signCompactJws(melde.signer, TYP, evidenceClaims());
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BA' : 'AA'}`;
    const error = await refusalOf(verify(tampered, expected));
    expect(error.code).to.equal('ERR_PROVIDER_RESPONSE');
    expect(error.status).to.equal(502);
    const wrongTyp = await signCompactJws(melde.signer, 'evidence-request+jwt', evidenceClaims());
    expect(await codeFor(wrongTyp)).to.equal('ERR_PROVIDER_RESPONSE');
  });

  it('refuses duplicate members in evidence, with ERR_PROVIDER_RESPONSE', async () => {
    const body = JSON.stringify(evidenceClaims()).replace(
      '"iss":"mld:09999001"',
      '"iss":"mld:09999001","iss":"x:y"',
    );
    const head = JSON.stringify({ alg: 'ES256', kid: melde.signer.kid, typ: TYP });
    expect(await codeFor(signRaw(head, body, melde.signer.privateKey, 'ES256'))).to.equal(
      'ERR_PROVIDER_RESPONSE',
    );
  });
});

describe('requestDigest', () => {
  it('is the base64url SHA-256 of the ASCII bytes of the forwarded token', () => {
    expect(requestDigest(FORWARDED)).to.equal(sha256b64u(Buffer.from(FORWARDED, 'ascii')));
    expect(requestDigest(FORWARDED)).to.match(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a non-ASCII string', () => {
    expect(() => requestDigest('ä.b.c')).to.throw(TypeError);
  });
});
