/**
 * Issue 2 "Bad input and faults", the envelope, trust, freshness, schema, identifier, policy and consent items,
 * end to end: each request goes over real HTTP to the whole gateway, whose Meldebehörde is a fake provider in
 * mode 'ok' so that "nothing was forwarded" can be counted. Each case asserts the status and code, that the
 * provider received nothing, that no `released` record exists for the message, and that a `refused` record
 * with the code was written whenever the envelope could be read.
 */
import { expect } from 'chai';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { exportJWK } from 'jose';
import { signCompactJws } from '../../gateway/core/envelope/index.js';
import type { Signer } from '../../gateway/core/ports.js';
import {
  BAD_CHECK_DIGIT,
  ELTERNGELDSTELLE,
  exampleSigner,
  GATEWAY_ID,
  MAX,
  MELDEBEHOERDE,
  ORDNUNGSAMT,
  signRaw,
  STANDESAMT,
  startTestGateway,
  untrustedSigner,
  WOHNGELDSTELLE,
  type TestGateway,
} from '../helpers/start-test-gateway.js';
import { expectRefusal } from './expect-refusal.js';

const TYP = 'evidence-request+jwt';

interface Case {
  readonly name: string;
  readonly status: number;
  readonly code: string;
  /** Could the gateway read the payload (so a refused record must exist)? */
  readonly logged: boolean;
  /** Builds the body from fresh claims (jti already in them). */
  readonly body: (claims: Record<string, unknown>) => Promise<string> | string;
  /** Claims over the defaults; a function gets the gateway's time in seconds. */
  readonly claims?: Record<string, unknown> | ((nowS: number) => Record<string, unknown>);
  readonly omit?: readonly string[];
  readonly contentType?: string;
}

const consumer = exampleSigner(WOHNGELDSTELLE);
const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

function header(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ alg: 'ES256', kid: consumer.kid, typ: TYP, ...overrides });
}

const signAs = (signer: Signer) => (claims: Record<string, unknown>) => signCompactJws(signer, TYP, claims);

const CASES: readonly Case[] = [
  // --- algorithm -------------------------------------------------------------------------------------------
  {
    // BUG (gateway/core/envelope/verify-jws.ts, COMPACT_JWS): the classic alg-none token has an empty third
    // part, which the framing regex refuses as ERR_REQUEST_MALFORMED (400) before the header is read, so it is
    // neither answered 401 as issue 2 and PROTOCOL.md §6 ("signature missing … → ERR_SIG_INVALID") ask, nor
    // logged as a refused transfer. One-line fix: allow an empty signature part in COMPACT_JWS
    // (`\.([A-Za-z0-9_-]*)$`), so checkHeader refuses alg none with ERR_SIG_INVALID (jose never sees it); the
    // unit test 'refuses alg none with an empty signature, with ERR_REQUEST_MALFORMED' in
    // test/security/jws-attacks.test.ts then flips to ERR_SIG_INVALID. This test fails until then.
    name: 'alg none with an empty signature',
    status: 401,
    code: 'ERR_SIG_INVALID',
    logged: true,
    body: (c) => signRaw(header({ alg: 'none' }), JSON.stringify(c), undefined, 'none'),
  },
  {
    name: 'alg none with a signature part',
    status: 401,
    code: 'ERR_SIG_INVALID',
    logged: true,
    body: (c) => `${signRaw(header({ alg: 'none' }), JSON.stringify(c), undefined, 'none')}AAAA`,
  },
  {
    name: "HS256 keyed with the sender's public key",
    status: 401,
    code: 'ERR_SIG_INVALID',
    logged: true,
    body: (c) =>
      signRaw(
        header({ alg: 'HS256' }),
        JSON.stringify(c),
        consumer.certificate.publicKey.export({ type: 'spki', format: 'pem' }),
        'HS256',
      ),
  },
  {
    name: 'an unlisted alg (ES512 with a real P-521 signature)',
    status: 401,
    code: 'ERR_SIG_INVALID',
    logged: true,
    body: (c) => signRaw(header({ alg: 'ES512' }), JSON.stringify(c), p521.privateKey, 'ES512'),
  },
  {
    name: 'an unlisted alg (RS256 with a real RSA signature)',
    status: 401,
    code: 'ERR_SIG_INVALID',
    logged: true,
    body: (c) => signRaw(header({ alg: 'RS256' }), JSON.stringify(c), rsa.privateKey, 'RS256'),
  },
  // --- keys injected through the header ---------------------------------------------------------------------
  ...(['jku', 'x5u', 'jwk', 'x5c'] as const).map((member): Case => ({
    name: `an attacker key injected through ${member}`,
    status: 401,
    code: 'ERR_SIG_INVALID',
    logged: true,
    body: async (c) => {
      const jwk = await exportJWK(attacker.publicKey);
      const value = {
        jku: 'http://127.0.0.1:1/jwks.json',
        x5u: 'http://127.0.0.1:1/cert.pem',
        jwk,
        x5c: [randomBytes(300).toString('base64')],
      }[member];
      return signRaw(header({ [member]: value }), JSON.stringify(c), attacker.privateKey);
    },
  })),
  {
    name: "the attacker's key under the sender's kid",
    status: 401,
    code: 'ERR_SIG_INVALID',
    logged: true,
    body: (c) => signRaw(header(), JSON.stringify(c), attacker.privateKey),
  },
  // --- kid ---------------------------------------------------------------------------------------------------
  {
    name: 'an unknown kid',
    status: 401,
    code: 'ERR_TRUST_UNKNOWN_SENDER',
    logged: true,
    body: (c) =>
      signRaw(header({ kid: randomBytes(32).toString('base64url') }), JSON.stringify(c), attacker.privateKey),
  },
  {
    name: 'a path-like kid',
    status: 401,
    code: 'ERR_TRUST_UNKNOWN_SENDER',
    logged: true,
    body: (c) =>
      signRaw(
        header({ kid: '../../certs-example/participants/ags-09999001.cert.pem' }),
        JSON.stringify(c),
        attacker.privateKey,
      ),
  },
  {
    name: 'a huge kid (2 000 characters)',
    status: 401,
    code: 'ERR_TRUST_UNKNOWN_SENDER',
    logged: true,
    body: (c) => signRaw(header({ kid: 'A'.repeat(2_000) }), JSON.stringify(c), attacker.privateKey),
  },
  {
    // A header over the 4 KiB structure limit is refused before anything else is read (PROTOCOL.md §6).
    name: 'a kid that blows the header limit (10 000 characters)',
    status: 413,
    code: 'ERR_TOO_LARGE',
    logged: false,
    body: (c) => signRaw(header({ kid: 'A'.repeat(10_000) }), JSON.stringify(c), attacker.privateKey),
  },
  // --- keys the trust store does not trust ------------------------------------------------------------------
  {
    name: "a key certified by a rogue CA, under the certificate's own kid",
    status: 401,
    code: 'ERR_TRUST_UNKNOWN_SENDER',
    logged: true,
    body: signAs(untrustedSigner()),
  },
  {
    name: "a key certified by a rogue CA, under the sender's real kid",
    status: 401,
    code: 'ERR_SIG_INVALID',
    logged: true,
    body: (c) => signCompactJws({ ...untrustedSigner(), kid: consumer.kid }, TYP, c),
  },
  {
    name: "the sender's expired key",
    status: 401,
    code: 'ERR_TRUST_CERT',
    logged: true,
    body: signAs(exampleSigner(WOHNGELDSTELLE, 'expired')),
  },
  {
    name: "the sender's revoked key",
    status: 401,
    code: 'ERR_TRUST_CERT',
    logged: true,
    body: signAs(exampleSigner(WOHNGELDSTELLE, 'revoked')),
  },
  // --- sender -------------------------------------------------------------------------------------------------
  {
    name: "an iss that is not the key's owner",
    status: 403,
    code: 'ERR_TRUST_SENDER_MISMATCH',
    logged: true,
    claims: { iss: ELTERNGELDSTELLE },
    body: signAs(consumer),
  },
  {
    name: 'a participant without the consumer role (the Meldebehörde itself)',
    status: 403,
    code: 'ERR_TRUST_SENDER_MISMATCH',
    logged: true,
    claims: { iss: MELDEBEHOERDE },
    body: signAs(exampleSigner(MELDEBEHOERDE)),
  },
  {
    name: "a participant without the consumer role (the gateway's own key)",
    status: 403,
    code: 'ERR_TRUST_SENDER_MISMATCH',
    logged: true,
    claims: { iss: GATEWAY_ID },
    body: signAs(exampleSigner(GATEWAY_ID)),
  },
  // --- freshness ----------------------------------------------------------------------------------------------
  {
    name: 'an iat older than the maximum age',
    status: 401,
    code: 'ERR_STALE',
    logged: true,
    claims: (now) => ({ iat: now - 400, exp: undefined }),
    body: signAs(consumer),
  },
  {
    name: 'an iat in the future beyond the skew',
    status: 401,
    code: 'ERR_STALE',
    logged: true,
    claims: (now) => ({ iat: now + 120, exp: undefined }),
    body: signAs(consumer),
  },
  {
    name: 'a missing iat',
    status: 401,
    code: 'ERR_STALE',
    logged: true,
    omit: ['iat', 'exp'],
    body: signAs(consumer),
  },
  {
    name: 'an iat that is not an integer (a fraction)',
    status: 401,
    code: 'ERR_STALE',
    logged: true,
    claims: (now) => ({ iat: now + 0.5, exp: undefined }),
    body: signAs(consumer),
  },
  {
    name: 'an iat that is not an integer (a string)',
    status: 401,
    code: 'ERR_STALE',
    logged: true,
    claims: (now) => ({ iat: String(now), exp: undefined }),
    body: signAs(consumer),
  },
  {
    name: 'an exp beyond iat + 300',
    status: 401,
    code: 'ERR_STALE',
    logged: true,
    claims: (now) => ({ iat: now, exp: now + 301 }),
    body: signAs(consumer),
  },
  // --- strict JSON and schema -------------------------------------------------------------------------------
  {
    name: 'duplicate JSON members in a validly signed payload',
    status: 400,
    code: 'ERR_REQUEST_MALFORMED',
    logged: false,
    body: (c) =>
      signRaw(
        header(),
        JSON.stringify(c).replace(/^\{/, `{"subject":{"idnr":"${MAX}"},`),
        consumer.privateKey,
      ),
  },
  {
    name: 'duplicate JSON members in a validly signed header',
    status: 400,
    code: 'ERR_REQUEST_MALFORMED',
    logged: false,
    body: (c) => signRaw(header().replace(/^\{/, '{"alg":"none",'), JSON.stringify(c), consumer.privateKey),
  },
  {
    name: 'an unknown member',
    status: 400,
    code: 'ERR_SCHEMA',
    logged: true,
    claims: { note: 'hello' },
    body: signAs(consumer),
  },
  {
    name: 'a message that asserts consent by itself',
    status: 400,
    code: 'ERR_SCHEMA',
    logged: true,
    claims: { subject: { idnr: MAX }, consent: { given: true } },
    body: signAs(consumer),
  },
  {
    // A token signed for another gateway is not addressed to this one: an authentication failure (issue 11).
    name: 'an aud that is another gateway',
    status: 401,
    code: 'ERR_AUTH',
    logged: true,
    claims: { aud: 'oog:another-gateway' },
    body: signAs(consumer),
  },
  {
    // Escaped in the JSON, a lone surrogate is grammatical but no Unicode text: never valid UTF-8 on the wire,
    // which the XML gate already refuses (issue 11).
    name: 'an escaped lone surrogate in actor',
    status: 400,
    code: 'ERR_REQUEST_MALFORMED',
    logged: false,
    claims: { actor: 'x\ud800y' },
    // JSON.stringify writes the lone surrogate as the escape \ud800 (ES2019 well-formed stringify).
    body: signAs(consumer),
  },
  // --- identifiers ------------------------------------------------------------------------------------------
  {
    name: 'an IDNr as a JSON number',
    status: 400,
    code: 'ERR_IDENTIFIER',
    logged: true,
    claims: { subject: { idnr: 93141705862 } },
    body: signAs(consumer),
  },
  {
    name: 'an IDNr with a bad check digit',
    status: 400,
    code: 'ERR_IDENTIFIER',
    logged: true,
    claims: { subject: { idnr: BAD_CHECK_DIGIT } },
    body: signAs(consumer),
  },
  {
    name: 'an IDNr in full-width (non-ASCII) digits',
    status: 400,
    code: 'ERR_IDENTIFIER',
    logged: true,
    claims: { subject: { idnr: '９３１４１７０５８６２' } },
    body: signAs(consumer),
  },
  {
    name: 'an IDNr in Arabic-Indic digits',
    status: 400,
    code: 'ERR_IDENTIFIER',
    logged: true,
    claims: { subject: { idnr: '٩٣١٤١٧٠٥٨٦٢' } },
    body: signAs(consumer),
  },
  // --- policy ---------------------------------------------------------------------------------------------------
  {
    name: 'a consumer no policy permits (the Ordnungsamt)',
    status: 403,
    code: 'ERR_POLICY_DENIED',
    logged: true,
    claims: { iss: ORDNUNGSAMT },
    body: signAs(exampleSigner(ORDNUNGSAMT)),
  },
  {
    name: "a purpose the Wohngeldstelle's policy does not name",
    status: 403,
    code: 'ERR_POLICY_DENIED',
    logged: true,
    claims: { purpose: 'elterngeld-antrag' },
    body: signAs(consumer),
  },
  {
    name: 'an evidence type no policy gives the Wohngeldstelle',
    status: 403,
    code: 'ERR_POLICY_DENIED',
    logged: true,
    claims: { evidenceType: 'geburtsurkunde', provider: STANDESAMT },
    body: signAs(consumer),
  },
  {
    name: 'a provider the policy does not name',
    status: 403,
    code: 'ERR_POLICY_DENIED',
    logged: true,
    claims: { provider: STANDESAMT },
    body: signAs(consumer),
  },
  {
    name: 'fields beyond the policy (geburtsort)',
    status: 403,
    code: 'ERR_POLICY_FIELDS',
    logged: true,
    claims: { fields: ['familienname', 'geburtsort'] },
    body: signAs(consumer),
  },
  // --- consent ------------------------------------------------------------------------------------------------
  {
    name: 'a citizen without consent (Max)',
    status: 403,
    code: 'ERR_CONSENT_MISSING',
    logged: true,
    claims: { subject: { idnr: MAX } },
    body: signAs(consumer),
  },
  // --- HTTP -----------------------------------------------------------------------------------------------------
  {
    name: 'a valid token sent as application/json',
    status: 415,
    code: 'ERR_MEDIA_TYPE',
    logged: false,
    contentType: 'application/json',
    body: signAs(consumer),
  },
  ...['utf-16', 'UTF-16LE', '"iso-8859-1"', 'latin1'].map((charset): Case => ({
    // The body is UTF-8 whatever the header says; a charset that is not UTF-8 is refused, not ignored (issue 11).
    name: `a valid token declared as application/jose; charset=${charset}`,
    status: 415,
    code: 'ERR_MEDIA_TYPE',
    logged: false,
    contentType: `application/jose; charset=${charset}`,
    body: signAs(consumer),
  })),
];

describe('e2e: bad input to POST /v1/evidence-requests (issue 2)', () => {
  let g: TestGateway;

  before(async () => {
    g = await startTestGateway({ meldebehoerde: 'ok' });
  });
  after(async () => {
    await g?.close();
  });

  it('releases the well-formed request through the fake provider (control)', async () => {
    const answer = await g.sendJws(await g.signRequest());
    expect(answer.status, answer.text).to.equal(200);
    expect(g.provider!.requests).to.equal(1);
  });

  for (const c of CASES) {
    it(`refuses ${c.name}, with ${c.status} ${c.code}`, async () => {
      const nowS = Math.floor(g.clock.nowMs() / 1000);
      const extra = typeof c.claims === 'function' ? c.claims(nowS) : c.claims;
      const claims = g.requestClaims({ jti: randomUUID(), ...extra }, c.omit);
      for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
      const before = g.provider!.requests;
      const answer = await g.sendJws(await c.body(claims), c.contentType);
      await expectRefusal(g, answer, {
        status: c.status,
        code: c.code,
        messageId: String(claims['jti']),
        logged: c.logged,
        providerBefore: before,
      });
    });
  }

  it('logs refusals before authentication as unauthenticated, after it as authenticated', async () => {
    const forged = g.requestClaims();
    await g.sendJws(signRaw(header(), JSON.stringify(forged), attacker.privateKey));
    const policy = g.requestClaims({ purpose: 'elterngeld-antrag' });
    await g.sendJws(await signCompactJws(consumer, TYP, policy));
    const [a] = await g.recordsOfMessage(String(forged['jti']));
    const [b] = await g.recordsOfMessage(String(policy['jti']));
    expect(a).to.include({ authenticated: false, consumer: WOHNGELDSTELLE });
    expect(a).not.to.have.property('subjectRef');
    expect(b).to.include({ authenticated: true, consumer: WOHNGELDSTELLE });
  });

  it('forwarded nothing but the control request to the provider', () => {
    expect(g.provider!.requests).to.equal(1);
  });
});
