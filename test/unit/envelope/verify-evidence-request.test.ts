import { expect } from 'chai';
import {
  createEvidenceRequestVerifier,
  EnvelopeError,
  signCompactJws,
  type EvidenceRequestVerifier,
} from '../../../gateway/core/envelope/index.js';
import {
  createFakeTrustStore,
  fixedClock,
  GATEWAY_ID,
  makeParty,
  NOW_MS,
  NOW_S,
  refusalOf,
  requestClaims,
  signRaw,
  type Alg,
} from './fake-trust.js';

const TYP = 'evidence-request+jwt';
const consumer = makeParty('ags:09999001', ['consumer'], 'ES256');
const rsaConsumer = makeParty('ags:09999002', ['consumer'], 'PS256');
const edConsumer = makeParty('ags:09999003', ['consumer'], 'EdDSA');
const provider = makeParty('mld:09999001', ['provider'], 'ES256', ['meldebescheinigung']);
const revoked = makeParty('ags:09999004', ['consumer'], 'ES256');
const trust = createFakeTrustStore([consumer, rsaConsumer, edConsumer, provider, revoked], {
  revoked: [revoked.resolved.kid],
});
const clock = fixedClock(NOW_MS);
const verify: EvidenceRequestVerifier = createEvidenceRequestVerifier({
  trust,
  clock,
  gatewayId: GATEWAY_ID,
});

function sign(claims: Record<string, unknown>, party = consumer): Promise<string> {
  return signCompactJws(party.signer, TYP, claims);
}

async function codeFor(claims: Record<string, unknown>, party = consumer): Promise<string> {
  return (await refusalOf(verify(await sign(claims, party)))).code;
}

describe('createEvidenceRequestVerifier', () => {
  for (const party of [consumer, rsaConsumer, edConsumer]) {
    it(`accepts a valid request signed with ${party.signer.alg}`, async () => {
      const claims = requestClaims({ iss: party.participant.id });
      const result = await verify(await sign(claims, party));
      expect(result.claims).to.deep.equal(claims);
      expect(result.key).to.equal(party.resolved);
      expect(result.consumer.id).to.equal(party.participant.id);
      expect(result.replayUntilMs).to.equal((NOW_S - 5 + 300 + 60) * 1000);
    });
  }

  it('accepts a request with only the required claims', async () => {
    const { provider: _p, fields: _f, ...minimal } = requestClaims();
    const result = await verify(await sign({ ...minimal, procedure: { reference: 'WG-1' } }));
    expect(result.claims.provider).to.equal(undefined);
  });

  it('accepts exp within iat + 300 and a consentId', async () => {
    const claims = requestClaims({ exp: NOW_S + 200, consentId: '0b6c1f0e-2a8d-4c3b-9e7f-123456789abc' });
    expect((await verify(await sign(claims))).claims.exp).to.equal(NOW_S + 200);
  });

  it('refuses an iss that is not the key owner, with ERR_TRUST_SENDER_MISMATCH', async () => {
    expect(await codeFor(requestClaims({ iss: 'ags:09999002' }))).to.equal('ERR_TRUST_SENDER_MISMATCH');
  });

  it('refuses an iss that is not a string, with ERR_TRUST_SENDER_MISMATCH', async () => {
    expect(await codeFor(requestClaims({ iss: ['ags:09999001'] }))).to.equal('ERR_TRUST_SENDER_MISMATCH');
  });

  it('refuses a participant without the consumer role, with ERR_TRUST_SENDER_MISMATCH', async () => {
    expect(await codeFor(requestClaims({ iss: 'mld:09999001' }), provider)).to.equal(
      'ERR_TRUST_SENDER_MISMATCH',
    );
  });

  it('refuses a revoked key, with ERR_TRUST_CERT', async () => {
    expect(await codeFor(requestClaims({ iss: 'ags:09999004' }), revoked)).to.equal('ERR_TRUST_CERT');
  });

  it('refuses a request for another gateway, with ERR_AUTH', async () => {
    expect(await codeFor(requestClaims({ aud: 'oog:other-gateway' }))).to.equal('ERR_AUTH');
  });

  const stale: Record<string, Record<string, unknown>> = {
    'iat older than 300 s': { iat: NOW_S - 301 },
    'iat more than 60 s in the future': { iat: NOW_S + 61 },
    'iat missing': { iat: undefined },
    'iat as a string': { iat: String(NOW_S) },
    'iat as a fraction': { iat: NOW_S - 0.5 },
    'iat negative': { iat: -1 },
    'exp beyond iat + 300': { iat: NOW_S - 5, exp: NOW_S + 296 },
    'exp in the past beyond the skew': { iat: NOW_S - 200, exp: NOW_S - 61 },
    'exp before iat': { iat: NOW_S - 5, exp: NOW_S - 10 },
    'exp as a string': { exp: String(NOW_S + 100) },
  };
  for (const [what, overrides] of Object.entries(stale)) {
    it(`refuses ${what}, with ERR_STALE`, async () => {
      const claims = requestClaims(overrides);
      if (Object.hasOwn(overrides, 'iat') && overrides.iat === undefined) delete claims.iat;
      expect(await codeFor(claims)).to.equal('ERR_STALE');
    });
  }

  it('accepts iat at exactly 300 s old and 60 s in the future (the window edges)', async () => {
    await verify(await sign(requestClaims({ iat: NOW_S - 300 })));
    await verify(await sign(requestClaims({ iat: NOW_S + 60 })));
  });

  const identifiers: Record<string, Record<string, unknown>> = {
    'an IDNr as a JSON number': { subject: { idnr: 93141705862 } },
    'an IDNr with a wrong check digit': { subject: { idnr: '93141705863' } },
    'an IDNr in Arabic-Indic digits': { subject: { idnr: '٩٣١٤١٧٠٥٨٦٢' } },
    'an IDNr in fullwidth digits': { subject: { idnr: '９３１４１７０５８６２' } },
    'an IDNr with a space': { subject: { idnr: '93141705862 ' } },
    'a provider that is not a participant id': { provider: 'Meldebehörde' },
  };
  for (const [what, overrides] of Object.entries(identifiers)) {
    it(`refuses ${what}, with ERR_IDENTIFIER`, async () => {
      expect(await codeFor(requestClaims(overrides))).to.equal('ERR_IDENTIFIER');
    });
  }

  const schema: Record<string, Record<string, unknown>> = {
    'an unknown claim': { nbf: NOW_S },
    'an unknown member in subject': { subject: { idnr: '93141705862', name: 'Erika' } },
    'a jti that is not a lower-case UUID': { jti: '3F8A2C1E-4B6D-4E7F-9A0B-1C2D3E4F5A6B' },
    'a missing purpose': { purpose: undefined },
    'a procedure without reference': { procedure: { service: 'x' } },
    'an empty fields list': { fields: [] },
    'a repeated field': { fields: ['vornamen', 'vornamen'] },
    'a control character in actor': { actor: 'a\u0007b' },
    'a missing subject': { subject: undefined },
  };
  for (const [what, overrides] of Object.entries(schema)) {
    it(`refuses ${what}, with ERR_SCHEMA`, async () => {
      const claims = requestClaims(overrides);
      for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete claims[k];
      expect(await codeFor(claims)).to.equal('ERR_SCHEMA');
    });
  }

  it('names only the place and the rule in the ERR_SCHEMA detail, never the value', async () => {
    const error = await refusalOf(verify(await sign(requestClaims({ actor: 'secret\u0001value' }))));
    expect(error.detail).to.equal('/actor pattern');
  });

  it('refuses a duplicate claim in a validly signed payload, with ERR_REQUEST_MALFORMED', async () => {
    const body = JSON.stringify(requestClaims()).replace(
      '"iss":"ags:09999001"',
      '"iss":"ags:09999001","iss":"x:y"',
    );
    const header = JSON.stringify({ alg: 'ES256', kid: consumer.signer.kid, typ: TYP });
    const token = signRaw(header, body, consumer.signer.privateKey, 'ES256');
    expect((await refusalOf(verify(token))).code).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('attaches the claimed iss, jti, evidenceType and purpose to a refusal, marked unauthenticated before the sender check', async () => {
    const error = await refusalOf(verify(await sign(requestClaims({ iss: 'ags:09999002' }))));
    expect(error).to.be.instanceOf(EnvelopeError);
    const { claimed, authenticated } = error as EnvelopeError;
    expect(claimed).to.include({
      iss: 'ags:09999002',
      jti: '3f8a2c1e-4b6d-4e7f-9a0b-1c2d3e4f5a6b',
      evidenceType: 'meldebescheinigung',
      purpose: 'wohngeld-antrag',
    });
    expect(authenticated).to.equal(false);
  });

  it('marks a refusal after the sender check as authenticated', async () => {
    const error = (await refusalOf(
      verify(await sign(requestClaims({ iat: NOW_S - 1000 }))),
    )) as EnvelopeError;
    expect(error.code).to.equal('ERR_STALE');
    expect(error.authenticated).to.equal(true);
    expect(error.claimed?.iss).to.equal('ags:09999001');
  });

  it('refuses an agency-auth token presented as an evidence request, with ERR_SIG_INVALID', async () => {
    const token = await signCompactJws(consumer.signer, 'agency-auth+jwt', requestClaims());
    expect((await refusalOf(verify(token))).code).to.equal('ERR_SIG_INVALID');
  });

  it('refuses an algorithm the configuration does not allow, with ERR_SIG_INVALID', async () => {
    const esOnly = createEvidenceRequestVerifier({
      trust,
      clock,
      gatewayId: GATEWAY_ID,
      algorithms: ['ES256'],
    });
    const token = await sign(requestClaims({ iss: 'ags:09999003' }), edConsumer);
    expect((await refusalOf(esOnly(token))).code).to.equal('ERR_SIG_INVALID');
  });

  it('refuses to build with an unsupported algorithm or a bad gateway id', () => {
    expect(() =>
      createEvidenceRequestVerifier({ trust, clock, gatewayId: GATEWAY_ID, algorithms: ['HS256' as Alg] }),
    ).to.throw(TypeError);
    expect(() => createEvidenceRequestVerifier({ trust, clock, gatewayId: 'gateway' })).to.throw(TypeError);
  });
});
