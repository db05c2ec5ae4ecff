/**
 * Verification of a compact JWS under the gateway's JOSE profile (PROTOCOL.md §1a, SECURITY.md "JOSE"): exactly
 * three base64url parts, a strictly parsed protected header with only `alg`, `kid`, `typ`, an allow-listed
 * algorithm, the expected `typ`, and a key that only the trust store chooses.
 */
import type { KeyObject } from 'node:crypto';
import { compactVerify } from 'jose';
import { GatewayError } from '../errors.js';
import { isKid } from '../ids.js';
import type { ResolvedKey } from '../ports.js';
import { attachClaimed, pickClaimedValues, type ClaimedValues } from './envelope-error.js';
import { parseStrictJson } from './strict-json.js';

export type JwsAlgorithm = 'ES256' | 'PS256' | 'EdDSA';

/** Every algorithm the gateway can verify; a configured allow-list is a subset of these. */
export const SUPPORTED_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(['ES256', 'PS256', 'EdDSA']);

/** The protected header after verification: nothing else is allowed in it. */
export interface JwsHeader {
  readonly alg: JwsAlgorithm;
  readonly kid: string;
  readonly typ: string;
}

export interface VerifyCompactJwsOptions {
  /** The exact `typ` this kind of message must carry (compared byte for byte, no `application/` prefix). */
  readonly typ: string;
  /** Allow-list; must be a non-empty subset of SUPPORTED_ALGORITHMS. */
  readonly algorithms: readonly JwsAlgorithm[];
  /**
   * The only source of the verification key, called with the checked header (its `kid` already passed isKid).
   * Usually `(h) => trust.keyByKid(h.kid)`; throws ERR_TRUST_UNKNOWN_SENDER / ERR_TRUST_CERT.
   */
  readonly resolveKey: (header: JwsHeader) => ResolvedKey | Promise<ResolvedKey>;
  /** Longest token accepted, in characters; default 65 536. */
  readonly maxLength?: number;
}

export interface VerifiedJws {
  readonly header: JwsHeader;
  /** The verified payload, parsed strictly (no duplicate or prototype member names). */
  readonly payload: Record<string, unknown>;
  readonly key: ResolvedKey;
  /** `BASE64URL(header) || '.' || BASE64URL(payload)`, the bytes the signature covers (RFC 7515 §5.2). */
  readonly signingInput: string;
  /** The loggable claims of the payload (see ClaimedValues). */
  readonly claimed: ClaimedValues;
}

export const JWS_DEFAULT_MAX_LENGTH = 65_536;
const MAX_HEADER_LENGTH = 4_096;

// An empty signature part is framed correctly (the classic `alg: none` token): it fails as a missing signature.
const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/;
const ALLOWED_HEADER_MEMBERS: ReadonlySet<string> = new Set(['alg', 'kid', 'typ', 'crit']);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Checks that an algorithm allow-list is usable; call it when building a verifier so a misconfiguration fails
 * at boot. Throws TypeError (a programming or configuration error, not a request error).
 */
export function assertAlgorithms(
  algorithms: readonly string[],
): asserts algorithms is readonly JwsAlgorithm[] {
  if (!Array.isArray(algorithms) || algorithms.length === 0)
    throw new TypeError('algorithms: empty allow-list');
  for (const alg of algorithms) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new TypeError(`algorithms: ${String(alg)} is not supported`);
    }
  }
}

/** Strict base64url (RFC 4648 §5, no padding, canonical trailing bits) to text; refuses non-UTF-8 bytes. */
function decodePart(part: string, what: string): string {
  const bytes = Buffer.from(part, 'base64url');
  // Buffer's decoder is lenient; re-encoding shows non-canonical forms (stray bits, impossible lengths).
  if (bytes.toString('base64url') !== part) {
    throw new GatewayError('ERR_REQUEST_MALFORMED', `${what} is not canonical base64url`);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw new GatewayError('ERR_REQUEST_MALFORMED', `${what} is not UTF-8`);
  }
}

function parseObject(text: string, what: string, maxLength: number): Record<string, unknown> {
  const value = parseStrictJson(text, { maxLength });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError('ERR_REQUEST_MALFORMED', `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Does the key's type fit the algorithm (RFC 7518 §3.4/§3.5, RFC 8037)? */
export function keyFitsAlgorithm(key: KeyObject, alg: JwsAlgorithm): boolean {
  if (key.type !== 'public') return false;
  switch (alg) {
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    case 'PS256':
      return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519';
    default:
      return false;
  }
}

function checkHeader(header: Record<string, unknown>, options: VerifyCompactJwsOptions): JwsHeader {
  for (const name of Object.keys(header)) {
    if (!ALLOWED_HEADER_MEMBERS.has(name)) {
      // jku, x5u, jwk, x5c, x5t, b64, zip, …: never used to find a key or to change processing.
      throw new GatewayError('ERR_SIG_INVALID', 'header member not allowed');
    }
  }
  // RFC 7515 §4.1.11: we understand no extension, so any crit (even an empty one) is refused.
  if (Object.hasOwn(header, 'crit')) throw new GatewayError('ERR_SIG_INVALID', 'crit not supported');
  const { alg, kid, typ } = header;
  if (typeof alg !== 'string' || !(options.algorithms as readonly string[]).includes(alg)) {
    throw new GatewayError('ERR_SIG_INVALID', 'alg not allowed');
  }
  if (typ !== options.typ) throw new GatewayError('ERR_SIG_INVALID', 'typ not the expected one');
  if (!isKid(kid)) throw new GatewayError('ERR_TRUST_UNKNOWN_SENDER', 'kid missing or malformed');
  return { alg: alg as JwsAlgorithm, kid, typ: options.typ };
}

/**
 * Verifies a compact JWS (RFC 7515 §7.1) under the gateway's JOSE profile and returns its header, strictly
 * parsed payload and the key that verified it. Order: framing → header and payload parsed strictly → header
 * members allow-listed (alg, kid, typ; `crit` refused) → alg in the allow-list → typ exact → kid shape →
 * `resolveKey` → key type fits alg → jose `compactVerify` with the resolved KeyObject only.
 * Once the payload is parsed, every refusal is an EnvelopeError carrying the claimed values.
 * Throws ERR_TOO_LARGE (token or JSON over limits), ERR_REQUEST_MALFORMED (not three canonical base64url parts —
 * so JSON serialisation, several signatures and unprotected headers — not UTF-8, not strict JSON, not an object),
 * ERR_SIG_INVALID (header member, crit, alg, typ, key type or signature), ERR_TRUST_UNKNOWN_SENDER (kid shape, or
 * from resolveKey), ERR_TRUST_CERT (from resolveKey).
 */
export async function verifyCompactJws(
  token: unknown,
  options: VerifyCompactJwsOptions,
): Promise<VerifiedJws> {
  const maxLength = options.maxLength ?? JWS_DEFAULT_MAX_LENGTH;
  if (typeof token !== 'string') throw new GatewayError('ERR_REQUEST_MALFORMED', 'token is not a string');
  if (token.length > maxLength) throw new GatewayError('ERR_TOO_LARGE', 'token too long');
  const match = COMPACT_JWS.exec(token);
  if (match === null) throw new GatewayError('ERR_REQUEST_MALFORMED', 'not a compact JWS');
  const [, headerPart = '', payloadPart = '', signaturePart = ''] = match;
  if (headerPart.length > MAX_HEADER_LENGTH) throw new GatewayError('ERR_TOO_LARGE', 'JWS header too long');

  const rawHeader = parseObject(decodePart(headerPart, 'JWS header'), 'JWS header', MAX_HEADER_LENGTH);
  const payload = parseObject(decodePart(payloadPart, 'JWS payload'), 'JWS payload', maxLength);
  const claimed = pickClaimedValues(payload);
  // jose decodes the signature leniently; a non-canonical encoding would be a second token for one signature.
  if (Buffer.from(signaturePart, 'base64url').toString('base64url') !== signaturePart) {
    throw attachClaimed(
      new GatewayError('ERR_REQUEST_MALFORMED', 'JWS signature is not canonical base64url'),
      claimed,
    );
  }

  try {
    const header = checkHeader(rawHeader, options);
    const key = await options.resolveKey(header);
    if (key.kid !== header.kid)
      throw new GatewayError('ERR_TRUST_UNKNOWN_SENDER', 'key resolved for another kid');
    if (!keyFitsAlgorithm(key.publicKey, header.alg)) {
      throw new GatewayError('ERR_SIG_INVALID', 'key type does not fit alg');
    }
    try {
      // jose re-checks framing, crit, b64 and alg; the key is the KeyObject the trust store resolved, nothing else.
      await compactVerify(token, key.publicKey, { algorithms: [header.alg] });
    } catch (cause) {
      throw new GatewayError('ERR_SIG_INVALID', 'signature does not verify', { cause });
    }
    return { header, payload, key, signingInput: `${headerPart}.${payloadPart}`, claimed };
  } catch (error) {
    throw attachClaimed(error, claimed);
  }
}
