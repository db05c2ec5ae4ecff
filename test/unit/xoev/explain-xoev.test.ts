import { expect } from 'chai';
import { explainXoev, signXoevEvidence } from '../../../gateway/core/envelope/xoev/index.js';
import {
  exampleSigner,
  exampleTrust,
  fixedClock,
  GATEWAY_ID,
  NOW_MS,
  SCHEMAS,
  signedRequest,
} from './xoev-fixtures.js';

const trust = exampleTrust(fixedClock());

describe('explainXoev', () => {
  it('lists every step a valid request passed, with the signed header and the signer', () => {
    const result = explainXoev(signedRequest(), trust, { schemas: SCHEMAS });
    expect(result.ok).to.equal(true);
    expect(result.messageType).to.equal('nachweisanfrage');
    expect(result.headerSigned).to.equal(true);
    expect(result.header?.autor.id).to.equal('ags:09999002');
    expect(result.signer?.participantId).to.equal('ags:09999002');
    expect(result.skipped).to.deep.equal(['leser', 'freshness']);
    expect(result.passed).to.include.members(['gate', 'signature', 'schema']).and.not.include('freshness');
  });

  it('names the signature step and the code when a signed value was changed, with the header as claimed', () => {
    const result = explainXoev(signedRequest().replace('93141705862', '20561748335'), trust, {
      schemas: SCHEMAS,
    });
    expect(result).to.include({
      ok: false,
      code: 'ERR_SIG_INVALID',
      failedStep: 'signature',
      headerSigned: false,
    });
    expect(result.passed).to.deep.equal(['gate', 'parse', 'signature-profile', 'sender']);
    expect(result.header?.autor.id).to.equal('ags:09999002');
  });

  it('names the gate for a DOCTYPE, with no header', () => {
    const result = explainXoev('<!DOCTYPE x><x/>', trust, { schemas: SCHEMAS });
    expect(result).to.include({ ok: false, code: 'ERR_REQUEST_MALFORMED', failedStep: 'gate' });
    expect(result.header).to.equal(undefined);
  });

  it('checks time and leser only when asked to', () => {
    const old = signedRequest({ header: { issuedAtMs: NOW_MS - 86_400_000 } });
    expect(explainXoev(old, trust, { schemas: SCHEMAS }).ok).to.equal(true);
    const checked = explainXoev(old, trust, { schemas: SCHEMAS, clock: fixedClock(), self: GATEWAY_ID });
    expect(checked).to.include({ ok: false, code: 'ERR_STALE', failedStep: 'freshness' });
    const elsewhere = explainXoev(signedRequest(), trust, { schemas: SCHEMAS, self: 'oog:other-gateway' });
    expect(elsewhere).to.include({ ok: false, code: 'ERR_AUTH', failedStep: 'leser' });
  });

  it('explains a provider’s evidence, and refuses a request signed by a provider for the role', () => {
    const evidence = signXoevEvidence(
      { signer: exampleSigner('psw:09999001'), clock: fixedClock() },
      { to: { id: GATEWAY_ID, name: 'Gateway' } },
      {
        exchangeId: '7d2e9c41-5b3a-4f6e-8a1d-2c3b4a5f6e7d',
        requestDigest: 'A'.repeat(43),
        evidenceType: 'geburtsurkunde',
        subjectIdnr: '93141705862',
        data: { geburtsdatum: '1964-08-12' },
      },
    );
    expect(explainXoev(evidence, trust, { schemas: SCHEMAS })).to.include({
      ok: true,
      messageType: 'nachweisantwort',
    });
    const wrongRole = explainXoev(signedRequest({ signer: exampleSigner('psw:09999001') }), trust, {
      schemas: SCHEMAS,
    });
    expect(wrongRole).to.include({ ok: false, code: 'ERR_TRUST_SENDER_MISMATCH', failedStep: 'role' });
  });
});
