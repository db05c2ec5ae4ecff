/**
 * The published JWT/JWS attacks (SECURITY.md "JOSE"; issue 2 item 4) against the evidence request verifier.
 * Each test fails if the rule it names is broken.
 */
import { expect } from 'chai';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import {
  createEvidenceRequestVerifier,
  signCompactJws,
  verifyCompactJws,
  type JwsAlgorithm,
} from '../../gateway/core/envelope/index.js';
import {
  createFakeTrustStore,
  fixedClock,
  GATEWAY_ID,
  makeParty,
  NOW_MS,
  refusalOf,
  requestClaims,
  signRaw,
} from '../unit/envelope/fake-trust.js';

const TYP = 'evidence-request+jwt';
const victim = makeParty('ags:09999001', ['consumer'], 'ES256');
const rsa = makeParty('ags:09999002', ['consumer'], 'PS256');
const ed = makeParty('ags:09999003', ['consumer'], 'EdDSA');
const expired = makeParty('ags:09999004', ['consumer'], 'ES256');
const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const trust = createFakeTrustStore([victim, rsa, ed, expired], { revoked: [expired.resolved.kid] });
const verify = createEvidenceRequestVerifier({ trust, clock: fixedClock(NOW_MS), gatewayId: GATEWAY_ID });

const b64u = (value: string | Buffer): string => Buffer.from(value).toString('base64url');
const PAYLOAD = JSON.stringify(requestClaims());

function header(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ alg: 'ES256', kid: victim.signer.kid, typ: TYP, ...overrides });
}

/** Refused with `code`, and the trust store was never asked for a key. */
async function refusedBeforeKeyLookup(token: string, code: string): Promise<void> {
  const before = trust.lookups;
  expect((await refusalOf(verify(token))).code).to.equal(code);
  expect(trust.lookups, 'trust store was consulted').to.equal(before);
}

describe('JWS attacks on the evidence request', () => {
  it('accepts the legitimate token for each allowed algorithm (control)', async () => {
    for (const party of [victim, rsa, ed]) {
      const token = await signCompactJws(party.signer, TYP, requestClaims({ iss: party.participant.id }));
      expect((await verify(token)).claims.iss).to.equal(party.participant.id);
    }
  });

  describe('algorithm', () => {
    it('refuses alg none with an empty signature, with ERR_SIG_INVALID', async () => {
      await refusedBeforeKeyLookup(`${b64u(header({ alg: 'none' }))}.${b64u(PAYLOAD)}.`, 'ERR_SIG_INVALID');
    });

    it('refuses alg none (and None, NONE) with any signature, with ERR_SIG_INVALID', async () => {
      for (const alg of ['none', 'None', 'NONE']) {
        await refusedBeforeKeyLookup(`${b64u(header({ alg }))}.${b64u(PAYLOAD)}.AAAA`, 'ERR_SIG_INVALID');
      }
    });

    it('refuses HS256 keyed with the victim public key bytes, with ERR_SIG_INVALID', async () => {
      const pem = victim.resolved.publicKey.export({ type: 'spki', format: 'pem' });
      const der = victim.resolved.publicKey.export({ type: 'spki', format: 'der' });
      for (const secret of [pem, der]) {
        const input = `${b64u(header({ alg: 'HS256' }))}.${b64u(PAYLOAD)}`;
        const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
        await refusedBeforeKeyLookup(token, 'ERR_SIG_INVALID');
      }
    });

    it('refuses HS256 even if a caller smuggles it into the allow-list, with ERR_SIG_INVALID', async () => {
      const pem = victim.resolved.publicKey.export({ type: 'spki', format: 'pem' });
      const input = `${b64u(header({ alg: 'HS256' }))}.${b64u(PAYLOAD)}`;
      const token = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
      const error = await refusalOf(
        verifyCompactJws(token, {
          typ: TYP,
          algorithms: ['HS256' as JwsAlgorithm],
          resolveKey: (h) => trust.keyByKid(h.kid),
        }),
      );
      expect(error.code).to.equal('ERR_SIG_INVALID');
    });

    it('refuses an unlisted alg (ES512 with a real P-521 signature), with ERR_SIG_INVALID', async () => {
      const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
      const input = `${b64u(header({ alg: 'ES512' }))}.${b64u(PAYLOAD)}`;
      const sig = sign('sha512', Buffer.from(input), { key: p521.privateKey, dsaEncoding: 'ieee-p1363' });
      await refusedBeforeKeyLookup(`${input}.${b64u(sig)}`, 'ERR_SIG_INVALID');
    });

    it('refuses an alg that does not fit the sender key (EdDSA header, ES256 key), with ERR_SIG_INVALID', async () => {
      const token = signRaw(header({ alg: 'EdDSA' }), PAYLOAD, ed.signer.privateKey, 'EdDSA');
      expect((await refusalOf(verify(token))).code).to.equal('ERR_SIG_INVALID');
    });

    it('refuses an RS256 (PKCS#1 v1.5) signature under alg PS256, with ERR_SIG_INVALID', async () => {
      const input = `${b64u(header({ alg: 'PS256', kid: rsa.signer.kid }))}.${b64u(PAYLOAD.replace('ags:09999001', 'ags:09999002'))}`;
      const sig = sign('sha256', Buffer.from(input), rsa.signer.privateKey);
      expect((await refusalOf(verify(`${input}.${b64u(sig)}`))).code).to.equal('ERR_SIG_INVALID');
    });
  });

  describe('key selection by header', () => {
    const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
    const cases: Record<string, Record<string, unknown>> = {
      jku: { jku: 'https://attacker.example/jwks.json' },
      x5u: { x5u: 'https://attacker.example/cert.pem' },
      x5c: { x5c: [victim.signer.certificate.raw.toString('base64')] },
      'x5t#S256': { 'x5t#S256': victim.signer.kid },
      'jwk (attacker key, validly signed by it)': { jwk: attackerJwk },
      cty: { cty: 'JWT' },
      zip: { zip: 'DEF' },
    };
    for (const [what, extra] of Object.entries(cases)) {
      it(`refuses a header carrying ${what}, with ERR_SIG_INVALID`, async () => {
        const token = signRaw(header(extra), PAYLOAD, attacker.privateKey, 'ES256');
        await refusedBeforeKeyLookup(token, 'ERR_SIG_INVALID');
      });
    }

    it('refuses jku/jwk even when signed with the victim key itself, with ERR_SIG_INVALID', async () => {
      const token = signRaw(header({ jwk: attackerJwk }), PAYLOAD, victim.signer.privateKey, 'ES256');
      await refusedBeforeKeyLookup(token, 'ERR_SIG_INVALID');
    });

    it('refuses the attacker key under the victim kid (no embedded key), with ERR_SIG_INVALID', async () => {
      const token = signRaw(header(), PAYLOAD, attacker.privateKey, 'ES256');
      expect((await refusalOf(verify(token))).code).to.equal('ERR_SIG_INVALID');
    });

    it('refuses an unknown kid, with ERR_TRUST_UNKNOWN_SENDER', async () => {
      const kid = b64u(Buffer.alloc(32, 7));
      const token = signRaw(header({ kid }), PAYLOAD, attacker.privateKey, 'ES256');
      expect((await refusalOf(verify(token))).code).to.equal('ERR_TRUST_UNKNOWN_SENDER');
    });

    for (const kid of ['../../keys/x', '/etc/passwd', `${victim.signer.kid}\u0000`, 'a'.repeat(100), 42]) {
      it(`refuses the kid ${JSON.stringify(kid).slice(0, 20)} without a lookup, with ERR_TRUST_UNKNOWN_SENDER`, async () => {
        const token = signRaw(header({ kid }), PAYLOAD, victim.signer.privateKey, 'ES256');
        await refusedBeforeKeyLookup(token, 'ERR_TRUST_UNKNOWN_SENDER');
      });
    }

    it('refuses a 10 000-character kid without a lookup, with ERR_TOO_LARGE', async () => {
      const token = signRaw(header({ kid: 'k'.repeat(10_000) }), PAYLOAD, victim.signer.privateKey, 'ES256');
      await refusedBeforeKeyLookup(token, 'ERR_TOO_LARGE');
    });

    it('refuses a key whose certificate expired or was revoked, with ERR_TRUST_CERT', async () => {
      const token = await signCompactJws(expired.signer, TYP, requestClaims({ iss: 'ags:09999004' }));
      expect((await refusalOf(verify(token))).code).to.equal('ERR_TRUST_CERT');
    });
  });

  describe('header processing', () => {
    it('refuses crit naming an extension, with ERR_SIG_INVALID', async () => {
      const token = signRaw(header({ crit: ['exp'], exp: 1 }), PAYLOAD, victim.signer.privateKey, 'ES256');
      await refusedBeforeKeyLookup(token, 'ERR_SIG_INVALID');
    });

    it('refuses an empty crit, with ERR_SIG_INVALID', async () => {
      const token = signRaw(header({ crit: [] }), PAYLOAD, victim.signer.privateKey, 'ES256');
      await refusedBeforeKeyLookup(token, 'ERR_SIG_INVALID');
    });

    it('refuses b64:false (unencoded payload), with ERR_SIG_INVALID', async () => {
      const h = header({ b64: false, crit: ['b64'] });
      const input = `${b64u(h)}.${PAYLOAD}`;
      const sig = sign('sha256', Buffer.from(input), {
        key: victim.signer.privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      const bad = `${b64u(h)}.${b64u(PAYLOAD)}.${b64u(sig)}`;
      await refusedBeforeKeyLookup(bad, 'ERR_SIG_INVALID');
    });

    it('refuses duplicate header members (alg twice) in a validly signed token, with ERR_REQUEST_MALFORMED', async () => {
      const h = `{"alg":"ES256","kid":"${victim.signer.kid}","typ":"${TYP}","alg":"none"}`;
      const token = signRaw(h, PAYLOAD, victim.signer.privateKey, 'ES256');
      await refusedBeforeKeyLookup(token, 'ERR_REQUEST_MALFORMED');
    });

    it('refuses duplicate payload members (iss twice) in a validly signed token, with ERR_REQUEST_MALFORMED', async () => {
      const body = PAYLOAD.replace('"iss":"ags:09999001"', '"iss":"ags:09999002","iss":"ags:09999001"');
      const token = signRaw(header(), body, victim.signer.privateKey, 'ES256');
      await refusedBeforeKeyLookup(token, 'ERR_REQUEST_MALFORMED');
    });

    it('refuses __proto__ in the header or payload, with ERR_REQUEST_MALFORMED', async () => {
      const h = header().replace('{', '{"__proto__":{"alg":"none"},');
      await refusedBeforeKeyLookup(
        signRaw(h, PAYLOAD, victim.signer.privateKey, 'ES256'),
        'ERR_REQUEST_MALFORMED',
      );
      const body = PAYLOAD.replace('{', '{"__proto__":{"admin":true},');
      await refusedBeforeKeyLookup(
        signRaw(header(), body, victim.signer.privateKey, 'ES256'),
        'ERR_REQUEST_MALFORMED',
      );
    });

    it('refuses a token of another kind (agency-auth+jwt, JWT, none) as an evidence request, with ERR_SIG_INVALID', async () => {
      for (const typ of ['agency-auth+jwt', 'JWT', 'forwarded-request+jwt']) {
        const token = await signCompactJws(victim.signer, typ, requestClaims());
        expect((await refusalOf(verify(token))).code).to.equal('ERR_SIG_INVALID');
      }
      const untyped = signRaw(
        JSON.stringify({ alg: 'ES256', kid: victim.signer.kid }),
        PAYLOAD,
        victim.signer.privateKey,
        'ES256',
      );
      expect((await refusalOf(verify(untyped))).code).to.equal('ERR_SIG_INVALID');
    });
  });

  describe('framing', () => {
    it('refuses the flattened JSON serialisation with an unprotected header, with ERR_REQUEST_MALFORMED', async () => {
      const [p, , s] = (await signCompactJws(victim.signer, TYP, requestClaims())).split('.');
      const json = JSON.stringify({
        protected: p,
        header: { kid: victim.signer.kid },
        payload: b64u(PAYLOAD),
        signature: s,
      });
      await refusedBeforeKeyLookup(json, 'ERR_REQUEST_MALFORMED');
    });

    it('refuses the general JSON serialisation with two signatures, with ERR_REQUEST_MALFORMED', async () => {
      const good = (await signCompactJws(victim.signer, TYP, requestClaims())).split('.');
      const evil = signRaw(header(), PAYLOAD, attacker.privateKey, 'ES256').split('.');
      const json = JSON.stringify({
        payload: good[1],
        signatures: [
          { protected: evil[0], signature: evil[2] },
          { protected: good[0], signature: good[2] },
        ],
      });
      await refusedBeforeKeyLookup(json, 'ERR_REQUEST_MALFORMED');
    });

    it('refuses two signatures appended in compact form, JWE-shaped five parts and a missing part, with ERR_REQUEST_MALFORMED', async () => {
      const token = await signCompactJws(victim.signer, TYP, requestClaims());
      const sig = token.split('.')[2];
      for (const bad of [`${token}.${sig}`, `${token}.a.b`, token.slice(0, token.lastIndexOf('.'))]) {
        await refusedBeforeKeyLookup(bad, 'ERR_REQUEST_MALFORMED');
      }
    });

    it('refuses whitespace, a line break or padding inside the token, with ERR_REQUEST_MALFORMED', async () => {
      const token = await signCompactJws(victim.signer, TYP, requestClaims());
      const dot = token.indexOf('.');
      const variants = [
        ` ${token}`,
        `${token}\n`,
        `${token.slice(0, dot)}\r\n.${token.slice(dot + 1)}`,
        `${token}==`,
      ];
      for (const bad of variants) await refusedBeforeKeyLookup(bad, 'ERR_REQUEST_MALFORMED');
    });
  });

  describe('signature re-encoding', () => {
    const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

    it('refuses a DER-encoded ECDSA signature, with ERR_SIG_INVALID', async () => {
      const input = `${b64u(header())}.${b64u(PAYLOAD)}`;
      const der = sign('sha256', Buffer.from(input), { key: victim.signer.privateKey, dsaEncoding: 'der' });
      expect((await refusalOf(verify(`${input}.${b64u(der)}`))).code).to.equal('ERR_SIG_INVALID');
    });

    it('verifies a high-S twin of a valid ECDSA token to the same (iss, jti), which is why replay is keyed on them', async () => {
      const token = await signCompactJws(victim.signer, TYP, requestClaims());
      const [h, p, s = ''] = token.split('.');
      const raw = Buffer.from(s, 'base64url');
      const sValue = BigInt(`0x${raw.subarray(32).toString('hex')}`);
      const twinS = Buffer.from((P256_ORDER - sValue).toString(16).padStart(64, '0'), 'hex');
      const twin = `${h}.${p}.${b64u(Buffer.concat([raw.subarray(0, 32), twinS]))}`;
      expect(twin).to.not.equal(token);
      const [a, b] = [await verify(token), await verify(twin)];
      expect([b.claims.iss, b.claims.jti]).to.deep.equal([a.claims.iss, a.claims.jti]);
    });
  });
});
