import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import {
  EnvelopeError,
  signCompactJws,
  verifyCompactJws,
  type JwsAlgorithm,
  type VerifyCompactJwsOptions,
} from '../../../gateway/core/envelope/index.js';
import { createFakeTrustStore, makeParty, refusalOf, signRaw, type Alg } from './fake-trust.js';

const TYP = 'evidence-request+jwt';
const ALL: readonly JwsAlgorithm[] = ['ES256', 'PS256', 'EdDSA'];

const parties = {
  ES256: makeParty('ags:09999001', ['consumer'], 'ES256'),
  PS256: makeParty('ags:09999002', ['consumer'], 'PS256'),
  EdDSA: makeParty('ags:09999003', ['consumer'], 'EdDSA'),
};
const trust = createFakeTrustStore(Object.values(parties));
const options: VerifyCompactJwsOptions = {
  typ: TYP,
  algorithms: ALL,
  resolveKey: (header) => trust.keyByKid(header.kid),
};
const es = parties.ES256;

function header(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ alg: 'ES256', kid: es.signer.kid, typ: TYP, ...overrides });
}
const PAYLOAD = JSON.stringify({ iss: 'ags:09999001', jti: '3f8a2c1e-4b6d-4e7f-9a0b-1c2d3e4f5a6b', n: 1 });

describe('verifyCompactJws', () => {
  for (const alg of ['ES256', 'PS256', 'EdDSA'] as Alg[]) {
    it(`accepts a token signed with ${alg} by the key the resolver returns`, async () => {
      const party = parties[alg];
      const token = await signCompactJws(party.signer, TYP, { iss: party.participant.id, n: 1 });
      const verified = await verifyCompactJws(token, options);
      expect(verified.header).to.deep.equal({ alg, kid: party.signer.kid, typ: TYP });
      expect(verified.payload).to.deep.equal({ iss: party.participant.id, n: 1 });
      expect(verified.key).to.equal(party.resolved);
      expect(verified.signingInput).to.equal(token.slice(0, token.lastIndexOf('.')));
    });
  }

  it('accepts a hand-signed token whose header members come in another order', async () => {
    const token = signRaw(
      JSON.stringify({ typ: TYP, kid: es.signer.kid, alg: 'ES256' }),
      PAYLOAD,
      es.signer.privateKey,
      'ES256',
    );
    expect((await verifyCompactJws(token, options)).payload.n).to.equal(1);
  });

  it('refuses a signature by another key under the right kid, with ERR_SIG_INVALID', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = signRaw(header(), PAYLOAD, other.privateKey, 'ES256');
    expect((await refusalOf(verifyCompactJws(token, options))).code).to.equal('ERR_SIG_INVALID');
  });

  it('refuses a token whose payload was changed after signing, with ERR_SIG_INVALID', async () => {
    const token = signRaw(header(), PAYLOAD, es.signer.privateKey, 'ES256');
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(PAYLOAD.replace('"n":1', '"n":2')).toString('base64url')}.${s}`;
    expect((await refusalOf(verifyCompactJws(forged, options))).code).to.equal('ERR_SIG_INVALID');
  });

  it('refuses an alg outside the configured allow-list, with ERR_SIG_INVALID', async () => {
    const token = await signCompactJws(parties.EdDSA.signer, TYP, { n: 1 });
    const error = await refusalOf(verifyCompactJws(token, { ...options, algorithms: ['ES256'] }));
    expect(error.code).to.equal('ERR_SIG_INVALID');
  });

  it('refuses a key that does not fit the alg (Ed25519 key, header says ES256), with ERR_SIG_INVALID', async () => {
    const ed = parties.EdDSA;
    const token = signRaw(header({ kid: ed.signer.kid }), PAYLOAD, es.signer.privateKey, 'ES256');
    expect((await refusalOf(verifyCompactJws(token, options))).code).to.equal('ERR_SIG_INVALID');
  });

  it('refuses an RSA key shorter than 2048 bits for PS256, with ERR_SIG_INVALID', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const resolved = { ...parties.PS256.resolved, publicKey: weak.publicKey };
    const token = signRaw(header({ alg: 'PS256', kid: resolved.kid }), PAYLOAD, weak.privateKey, 'PS256');
    const error = await refusalOf(verifyCompactJws(token, { ...options, resolveKey: () => resolved }));
    expect(error.code).to.equal('ERR_SIG_INVALID');
  });

  it('refuses a P-384 key for ES256, with ERR_SIG_INVALID', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const resolved = { ...es.resolved, publicKey: p384.publicKey };
    const token = signRaw(header(), PAYLOAD, es.signer.privateKey, 'ES256');
    const error = await refusalOf(verifyCompactJws(token, { ...options, resolveKey: () => resolved }));
    expect(error.code).to.equal('ERR_SIG_INVALID');
  });

  it('refuses a resolver answer for another kid, with ERR_TRUST_UNKNOWN_SENDER', async () => {
    const token = signRaw(header(), PAYLOAD, es.signer.privateKey, 'ES256');
    const error = await refusalOf(
      verifyCompactJws(token, { ...options, resolveKey: () => parties.PS256.resolved }),
    );
    expect(error.code).to.equal('ERR_TRUST_UNKNOWN_SENDER');
  });

  it('refuses a missing typ, with ERR_SIG_INVALID', async () => {
    const token = signRaw(
      JSON.stringify({ alg: 'ES256', kid: es.signer.kid }),
      PAYLOAD,
      es.signer.privateKey,
      'ES256',
    );
    expect((await refusalOf(verifyCompactJws(token, options))).code).to.equal('ERR_SIG_INVALID');
  });

  it('refuses a typ that differs only in case or by an application/ prefix, with ERR_SIG_INVALID', async () => {
    for (const typ of ['Evidence-Request+JWT', `application/${TYP}`, 'JWT']) {
      const token = signRaw(header({ typ }), PAYLOAD, es.signer.privateKey, 'ES256');
      expect((await refusalOf(verifyCompactJws(token, options))).code).to.equal('ERR_SIG_INVALID');
    }
  });

  it('refuses a missing kid without asking the resolver, with ERR_TRUST_UNKNOWN_SENDER', async () => {
    const before = trust.lookups;
    const token = signRaw(JSON.stringify({ alg: 'ES256', typ: TYP }), PAYLOAD, es.signer.privateKey, 'ES256');
    expect((await refusalOf(verifyCompactJws(token, options))).code).to.equal('ERR_TRUST_UNKNOWN_SENDER');
    expect(trust.lookups).to.equal(before);
  });

  it('refuses a payload that is not a JSON object, with ERR_REQUEST_MALFORMED', async () => {
    for (const payload of ['[1]', '"x"', '42', 'null']) {
      const token = signRaw(header(), payload, es.signer.privateKey, 'ES256');
      expect((await refusalOf(verifyCompactJws(token, options))).code).to.equal('ERR_REQUEST_MALFORMED');
    }
  });

  it('refuses a payload that is not UTF-8, with ERR_REQUEST_MALFORMED', async () => {
    const h = Buffer.from(header()).toString('base64url');
    const p = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url');
    const token = `${h}.${p}.${'A'.repeat(86)}`;
    expect((await refusalOf(verifyCompactJws(token, options))).code).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('refuses non-canonical base64url (stray trailing bits, padding, standard alphabet), with ERR_REQUEST_MALFORMED', async () => {
    const token = signRaw(header(), PAYLOAD, es.signer.privateKey, 'ES256');
    const [h = '', p = '', s = ''] = token.split('.');
    // 64-byte signature → 86 chars whose last char carries 2 unused bits: change them.
    const last = s.at(-1) ?? 'A';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const stray = alphabet[alphabet.indexOf(last) ^ 1] ?? 'B';
    const variants = [
      `${h}.${p}.${s.slice(0, -1)}${stray}`,
      `${h}=.${p}.${s}`,
      `${h}.${p}.${s.replace(/-/g, '+')}+`,
    ];
    for (const variant of variants) {
      expect((await refusalOf(verifyCompactJws(variant, options))).code).to.equal('ERR_REQUEST_MALFORMED');
    }
  });

  it('refuses a token longer than maxLength before parsing, with ERR_TOO_LARGE', async () => {
    const token = signRaw(header(), PAYLOAD, es.signer.privateKey, 'ES256');
    const error = await refusalOf(verifyCompactJws(token, { ...options, maxLength: token.length - 1 }));
    expect(error.code).to.equal('ERR_TOO_LARGE');
  });

  it('refuses a header longer than 4 KiB, with ERR_TOO_LARGE', async () => {
    const token = signRaw(header({ x: 'a'.repeat(4000) }), PAYLOAD, es.signer.privateKey, 'ES256');
    expect((await refusalOf(verifyCompactJws(token, options))).code).to.equal('ERR_TOO_LARGE');
  });

  it('refuses a token that is not a string, with ERR_REQUEST_MALFORMED', async () => {
    expect((await refusalOf(verifyCompactJws(undefined, options))).code).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('attaches the claimed values to a refusal after the payload was read', async () => {
    const token = signRaw(header({ typ: 'JWT' }), PAYLOAD, es.signer.privateKey, 'ES256');
    const error = await refusalOf(verifyCompactJws(token, options));
    expect(error).to.be.instanceOf(EnvelopeError);
    expect((error as EnvelopeError).claimed).to.deep.equal({
      iss: 'ags:09999001',
      jti: '3f8a2c1e-4b6d-4e7f-9a0b-1c2d3e4f5a6b',
    });
    expect((error as EnvelopeError).authenticated).to.equal(false);
  });

  it('leaves out claimed values that are not short strings', async () => {
    const payload = JSON.stringify({ iss: 'x'.repeat(300), jti: 7, purpose: 'wohngeld-antrag' });
    const token = signRaw(header({ typ: 'JWT' }), payload, es.signer.privateKey, 'ES256');
    const error = (await refusalOf(verifyCompactJws(token, options))) as EnvelopeError;
    expect(error.claimed).to.deep.equal({ purpose: 'wohngeld-antrag' });
  });
});

describe('signCompactJws', () => {
  it('writes exactly alg, kid and typ into the protected header', async () => {
    const token = await signCompactJws(parties.PS256.signer, 'forwarded-request+jwt', { a: 1 });
    const head = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
    expect(head).to.deep.equal({ alg: 'PS256', kid: parties.PS256.signer.kid, typ: 'forwarded-request+jwt' });
  });

  it('refuses a payload that is not a JSON object', async () => {
    let caught: unknown;
    try {
      await signCompactJws(es.signer, TYP, [1, 2]);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(TypeError);
  });
});
