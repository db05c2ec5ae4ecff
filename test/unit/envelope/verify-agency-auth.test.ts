import { expect } from 'chai';
import { createAgencyAuthVerifier, signCompactJws } from '../../../gateway/core/envelope/index.js';
import {
  createFakeTrustStore,
  fixedClock,
  GATEWAY_ID,
  makeParty,
  NOW_MS,
  NOW_S,
  refusalOf,
  requestClaims,
} from './fake-trust.js';

const TYP = 'agency-auth+jwt';
const agency = makeParty('ags:09999001', ['consumer'], 'EdDSA');
const other = makeParty('ags:09999002', ['consumer'], 'ES256');
const revoked = makeParty('ags:09999003', ['consumer'], 'PS256');
const trust = createFakeTrustStore([agency, other, revoked], { revoked: [revoked.resolved.kid] });
const verify = createAgencyAuthVerifier({ trust, clock: fixedClock(NOW_MS), gatewayId: GATEWAY_ID });

function authClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: 'ags:09999001',
    aud: GATEWAY_ID,
    iat: NOW_S - 10,
    exp: NOW_S + 200,
    jti: '6c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5',
    ...overrides,
  };
}

describe('createAgencyAuthVerifier', () => {
  it('accepts a fresh token of a registered agency and names the agency', async () => {
    const result = await verify(await signCompactJws(agency.signer, TYP, authClaims()));
    expect(result).to.include({
      agency: 'ags:09999001',
      jti: '6c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5',
      iat: NOW_S - 10,
      exp: NOW_S + 200,
    });
  });

  const bad: Record<string, Record<string, unknown>> = {
    'an iss that is not the key owner': { iss: 'ags:09999002' },
    'another audience': { aud: 'oog:other-gateway' },
    'no exp': { exp: undefined },
    'exp beyond iat + 300': { iat: NOW_S - 10, exp: NOW_S + 291 },
    'an expired token': { iat: NOW_S - 290, exp: NOW_S - 70 },
    'no iat': { iat: undefined },
    'iat in the future': { iat: NOW_S + 120, exp: NOW_S + 200 },
    'iat as a fraction': { iat: NOW_S - 0.5 },
    'no jti': { jti: undefined },
    'an unknown claim': { scope: 'admin' },
  };
  for (const [what, overrides] of Object.entries(bad)) {
    it(`refuses ${what}, with ERR_AUTH`, async () => {
      const claims = authClaims(overrides);
      for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete claims[k];
      const error = await refusalOf(verify(await signCompactJws(agency.signer, TYP, claims)));
      expect(error.code).to.equal('ERR_AUTH');
      expect(error.status).to.equal(401);
    });
  }

  it('refuses an evidence request presented as a bearer token, with ERR_AUTH', async () => {
    const token = await signCompactJws(agency.signer, 'evidence-request+jwt', authClaims());
    expect((await refusalOf(verify(token))).code).to.equal('ERR_AUTH');
    const request = await signCompactJws(agency.signer, 'evidence-request+jwt', requestClaims());
    expect((await refusalOf(verify(request))).code).to.equal('ERR_AUTH');
  });

  it('refuses a revoked key and an unknown key, with ERR_AUTH', async () => {
    const token = await signCompactJws(revoked.signer, TYP, authClaims({ iss: 'ags:09999003' }));
    expect((await refusalOf(verify(token))).code).to.equal('ERR_AUTH');
    const stranger = makeParty('ags:09999009', ['consumer'], 'ES256');
    const unknown = await signCompactJws(stranger.signer, TYP, authClaims({ iss: 'ags:09999009' }));
    expect((await refusalOf(verify(unknown))).code).to.equal('ERR_AUTH');
  });

  it('refuses garbage and an oversized token, with ERR_AUTH', async () => {
    expect((await refusalOf(verify('Bearer abc'))).code).to.equal('ERR_AUTH');
    expect((await refusalOf(verify('a'.repeat(5000)))).code).to.equal('ERR_AUTH');
  });
});
