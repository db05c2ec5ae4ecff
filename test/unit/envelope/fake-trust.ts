/**
 * Test helpers for the envelope: real key pairs (EC P-256, RSA 2048, Ed25519), one self-signed certificate for
 * the ResolvedKey.certificate field, a small fake TrustStore that throws the codes the port promises, and a raw
 * JWS signer for hand-crafted (malicious) headers and payloads.
 */
import { createHash, generateKeyPairSync, sign, X509Certificate, constants } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { GatewayError } from '../../../gateway/core/errors.js';
import { keyedSigner, type KeyedSigner } from '../../helpers/keyed-signer.js';
import type {
  Clock,
  Participant,
  ResolvedKey,
  Role,
  Signer,
  TrustStore,
} from '../../../gateway/core/ports.js';

export type Alg = Signer['alg'];

/**
 * One self-signed certificate (made once with openssl), shared by every fake key: the envelope never looks at
 * ResolvedKey.certificate, the trust store does. (@peculiar/x509 is not used here: it needs a Reflect polyfill
 * that is not installed.)
 */
const TEST_CERTIFICATE_PEM = `-----BEGIN CERTIFICATE-----
MIICDDCCAbGgAwIBAgIUdGxMQj0QNbKX/PoiZR1r7ZnM2J4wCgYIKoZIzj0EAwIw
WzE3MDUGA1UEAwwuZW52ZWxvcGUgdGVzdCBjZXJ0aWZpY2F0ZSAobm90IGZvciBw
cm9kdWN0aW9uKTEgMB4GA1UECgwXT25jZS1Pbmx5IEdhdGV3YXkgdGVzdHMwHhcN
MjYxMTIyMjI1MTM4WhcNNDYxMTE3MjI1MTM4WjBbMTcwNQYDVQQDDC5lbnZlbG9w
ZSB0ZXN0IGNlcnRpZmljYXRlIChub3QgZm9yIHByb2R1Y3Rpb24pMSAwHgYDVQQK
DBdPbmNlLU9ubHkgR2F0ZXdheSB0ZXN0czBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABNU0apoamhcbdnY0fAlJsG6zuEo0hSQ21iHei93SjKlXDn8olsxznMESYQZl
cdcJ7q9ky/H61JeUzYAJ2RpkDDWjUzBRMB0GA1UdDgQWBBSkOZiR0h08w/GUd4Y/
gmVcaQg6ojAfBgNVHSMEGDAWgBSkOZiR0h08w/GUd4Y/gmVcaQg6ojAPBgNVHRMB
Af8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCsIBdLOE0RMkPbwfUZdya4O6cC
Sek4dPRfLkr3kOSA0gIhAPIfxj8ziPROciuhwcBwUpcBlAD5FRN/rpKDwT7Er5S/
-----END CERTIFICATE-----`;

export const testCertificate = new X509Certificate(TEST_CERTIFICATE_PEM);

export function generateKeys(alg: Alg): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'PS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
  }
}

/** A participant with one key: what it signs with and what the trust store resolves for it. */
export interface Party {
  readonly participant: Participant;
  readonly signer: KeyedSigner;
  readonly resolved: ResolvedKey;
}

export function makeParty(
  id: string,
  roles: readonly Role[],
  alg: Alg = 'ES256',
  evidenceTypes: readonly string[] = [],
): Party {
  const { publicKey, privateKey } = generateKeys(alg);
  const certificate = testCertificate;
  const kid = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
  return {
    participant: { id, name: id, roles, evidenceTypes },
    signer: keyedSigner({ participantId: id, kid, alg, certificate }, privateKey),
    resolved: { kid, participantId: id, publicKey, certificate },
  };
}

export interface FakeTrustStore extends TrustStore {
  /** How often keyByKid was asked (to prove that a malformed kid never reaches the store). */
  lookups: number;
}

/**
 * A TrustStore over fixed parties. `revoked` kids throw ERR_TRUST_CERT (as expired, revoked or unchained keys
 * do); unknown kids throw ERR_TRUST_UNKNOWN_SENDER. `participants` may list participants without keys.
 */
export function createFakeTrustStore(
  parties: readonly Party[],
  options: { revoked?: readonly string[]; participants?: readonly Participant[] } = {},
): FakeTrustStore {
  const keys = new Map(parties.map((p) => [p.resolved.kid, p.resolved]));
  const people = new Map<string, Participant>();
  for (const p of parties) people.set(p.participant.id, p.participant);
  for (const p of options.participants ?? []) people.set(p.id, p);
  const revoked = new Set(options.revoked ?? []);
  const store: FakeTrustStore = {
    lookups: 0,
    participant: (id) => people.get(id),
    participants: () => [...people.values()],
    keyByKid(kid) {
      store.lookups++;
      const key = keys.get(kid);
      if (key === undefined) throw new GatewayError('ERR_TRUST_UNKNOWN_SENDER', 'no such key');
      if (revoked.has(kid)) throw new GatewayError('ERR_TRUST_CERT', 'certificate revoked');
      return key;
    },
    keysOf: (id) => [...keys.values()].filter((k) => k.participantId === id),
    providerFor: (type) => [...people.values()].find((p) => p.evidenceTypes.includes(type)),
  };
  return store;
}

export function fixedClock(ms: number): Clock & { ms: number } {
  const clock = { ms, nowMs: () => clock.ms };
  return clock;
}

const b64u = (text: string | Buffer): string => Buffer.from(text).toString('base64url');

/** The raw signature bytes a JWS of this alg carries (RFC 7518 §3.4: ECDSA as r‖s, not DER). */
export function rawSignature(alg: string, privateKey: KeyObject, data: Buffer): Buffer {
  switch (alg) {
    case 'ES256':
      return sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    case 'PS256':
      return sign('sha256', data, {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
    case 'EdDSA':
      return sign(null, data, privateKey);
    default:
      throw new Error(`rawSignature: ${alg}`);
  }
}

/**
 * Signs exactly the given header and payload texts (no re-serialisation), so duplicate members and other
 * crafted bytes survive into a validly signed token.
 */
export function signRaw(headerText: string, payloadText: string, privateKey: KeyObject, alg: string): string {
  const input = `${b64u(headerText)}.${b64u(payloadText)}`;
  return `${input}.${rawSignature(alg, privateKey, Buffer.from(input)).toString('base64url')}`;
}

export const NOW_MS = Date.UTC(2025, 5, 2, 10, 0, 0);
export const NOW_S = NOW_MS / 1000;
export const GATEWAY_ID = 'oog:demo-gateway';

/** A valid evidence request payload of ags:09999001 (PROTOCOL.md §1a, §7). */
export function requestClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: 'ags:09999001',
    aud: GATEWAY_ID,
    iat: NOW_S - 5,
    jti: '3f8a2c1e-4b6d-4e7f-9a0b-1c2d3e4f5a6b',
    evidenceType: 'meldebescheinigung',
    provider: 'mld:09999001',
    subject: { idnr: '93141705862' },
    purpose: 'wohngeld-antrag',
    procedure: { reference: 'WG-2025/00042', service: '99107005000000' },
    actor: 'sachbearbeitung-17',
    fields: ['familienname', 'vornamen', 'anschrift'],
    ...overrides,
  };
}

/** The GatewayError a promise rejects with; fails the test if it resolves or rejects with something else. */
export async function refusalOf(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal, but it was accepted');
}

/** The GatewayError a function throws synchronously; fails the test otherwise. */
export function thrownBy(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal, but it was accepted');
}
