import { expect } from 'chai';
import {
  createForwardedRequestVerifier,
  FORWARDED_REQUEST_TYP,
  signCompactJws,
} from '../../../gateway/core/envelope/index.js';
import {
  createFakeTrustStore,
  fixedClock,
  GATEWAY_ID,
  makeParty,
  NOW_MS,
  NOW_S,
  refusalOf,
} from './fake-trust.js';

const gateway = makeParty(GATEWAY_ID, ['gateway'], 'ES256');
const consumer = makeParty('ags:09999001', ['consumer'], 'ES256');
const trust = createFakeTrustStore([gateway, consumer]);
const verify = createForwardedRequestVerifier({
  trust,
  clock: fixedClock(NOW_MS),
  providerId: 'mld:09999001',
});

function forwardedClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: GATEWAY_ID,
    aud: 'mld:09999001',
    iat: NOW_S,
    jti: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    exchangeId: '9d2b7c4e-1f3a-4b5c-8d6e-7f8091a2b3c4',
    consumer: 'ags:09999001',
    evidenceType: 'meldebescheinigung',
    subject: { idnr: '93141705862' },
    purpose: 'wohngeld-antrag',
    legalBasis: '§ 23 WoGG',
    procedure: { reference: 'WG-2025/00042' },
    actor: 'sachbearbeitung-17',
    fields: ['familienname', 'vornamen', 'anschrift'],
    policy: 'wohngeld-meldebescheinigung@1',
    ...overrides,
  };
}

describe('createForwardedRequestVerifier', () => {
  it('accepts a request the gateway signed for this provider', async () => {
    const claims = forwardedClaims();
    const result = await verify(await signCompactJws(gateway.signer, FORWARDED_REQUEST_TYP, claims));
    expect(result.claims).to.deep.equal(claims);
    expect(result.key).to.equal(gateway.resolved);
  });

  it('refuses a request signed by a consumer instead of the gateway, with ERR_TRUST_SENDER_MISMATCH', async () => {
    const token = await signCompactJws(
      consumer.signer,
      FORWARDED_REQUEST_TYP,
      forwardedClaims({ iss: 'ags:09999001' }),
    );
    expect((await refusalOf(verify(token))).code).to.equal('ERR_TRUST_SENDER_MISMATCH');
  });

  it('refuses a request addressed to another provider, with ERR_AUTH', async () => {
    const token = await signCompactJws(
      gateway.signer,
      FORWARDED_REQUEST_TYP,
      forwardedClaims({ aud: 'psw:09999001' }),
    );
    expect((await refusalOf(verify(token))).code).to.equal('ERR_AUTH');
  });

  it('refuses a stale request, with ERR_STALE', async () => {
    const token = await signCompactJws(
      gateway.signer,
      FORWARDED_REQUEST_TYP,
      forwardedClaims({ iat: NOW_S - 400 }),
    );
    expect((await refusalOf(verify(token))).code).to.equal('ERR_STALE');
  });

  it('refuses an invalid IDNr, with ERR_IDENTIFIER', async () => {
    const claims = forwardedClaims({ subject: { idnr: '93141705863' } });
    const token = await signCompactJws(gateway.signer, FORWARDED_REQUEST_TYP, claims);
    expect((await refusalOf(verify(token))).code).to.equal('ERR_IDENTIFIER');
  });

  it('refuses a request without policy or with an extra claim, with ERR_SCHEMA', async () => {
    const { policy: _p, ...noPolicy } = forwardedClaims();
    for (const claims of [noPolicy, forwardedClaims({ consentId: 'c-1' })]) {
      const token = await signCompactJws(gateway.signer, FORWARDED_REQUEST_TYP, claims);
      expect((await refusalOf(verify(token))).code).to.equal('ERR_SCHEMA');
    }
  });

  it('refuses a consumer evidence request presented as a forwarded one, with ERR_SIG_INVALID', async () => {
    const token = await signCompactJws(gateway.signer, 'evidence-request+jwt', forwardedClaims());
    expect((await refusalOf(verify(token))).code).to.equal('ERR_SIG_INVALID');
  });
});
