/**
 * The two kinds of compact JWS the transfer log signs — checkpoints (`checkpoint+jwt`) and transfer receipts
 * (`transfer-receipt+jwt`) — and the strict reading of them shared by the offline verifiers. Payloads are
 * canonical JSON, so a verifier can refuse anything else (duplicate members, whitespace, floats) by re-encoding.
 */
import type { KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { canonicalJson } from '../canonical-json.js';
import { signCompact } from '../compact-jws.js';
import type { Signer } from '../ports.js';

export const CHECKPOINT_TYP = 'checkpoint+jwt';
export const RECEIPT_TYP = 'transfer-receipt+jwt';

/** The algorithms a gateway signer may use (ports.ts `Signer.alg`); nothing else verifies. */
const ALGORITHMS = ['ES256', 'PS256', 'EdDSA'];

/** Why a checkpoint or receipt token was refused. */
export type TokenFailure = 'malformed' | 'signature' | 'typ' | 'payload' | 'issuer';

/** What the log signs with: the Signer capability and its public key (to verify its own checkpoints). */
export type LogSigner = Pick<Signer, 'alg' | 'kid' | 'sign' | 'publicKey'>;

/** Signs canonical JSON of `payload` as a compact JWS with { alg, kid, typ } (RFC 7515 §7.1). */
export async function signLogToken(signer: LogSigner, typ: string, payload: object): Promise<string> {
  return signCompact(signer, typ, new TextEncoder().encode(canonicalJson(payload)));
}

/** The kid of a compact JWS, or undefined if it has none or is not a JWS. Reads without verifying. */
export function peekKid(jws: string): string | undefined {
  try {
    const kid = decodeProtectedHeader(jws).kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Verifies a compact JWS of the given `typ` with `publicKey` (RFC 7515 §5.2, algorithms allow-listed, `crit`
 * and `b64` refused) and returns its payload object, which must be canonical JSON. Never throws.
 */
export async function openLogToken(
  jws: unknown,
  publicKey: KeyObject,
  typ: string,
): Promise<{ ok: true; payload: Record<string, unknown> } | { ok: false; reason: TokenFailure }> {
  if (typeof jws !== 'string' || jws.length > 1_000_000 || jws.split('.').length !== 3) {
    return { ok: false, reason: 'malformed' };
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (header.crit !== undefined || header.b64 !== undefined) return { ok: false, reason: 'malformed' };
  let bytes: Uint8Array;
  try {
    ({ payload: bytes } = await compactVerify(jws, publicKey, { algorithms: ALGORITHMS }));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { ok: false, reason: code === 'ERR_JWS_INVALID' ? 'malformed' : 'signature' };
  }
  if (header.typ !== typ) return { ok: false, reason: 'typ' };
  try {
    const text = STRICT_UTF8.decode(bytes);
    const payload: unknown = JSON.parse(text);
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
      throw new Error('not an object');
    if (canonicalJson(payload) !== text) throw new Error('not canonical');
    return { ok: true, payload: payload as Record<string, unknown> };
  } catch {
    return { ok: false, reason: 'payload' };
  }
}

/** True for a base64url string (no padding) that decodes to exactly 32 bytes and is its canonical form. */
export function isB64uHash(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(value);
}

/** True for an integer in [0, 2^53). */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** True iff `payload` has exactly these member names. */
export function hasExactly(payload: Record<string, unknown>, names: readonly string[]): boolean {
  const keys = Object.keys(payload);
  return keys.length === names.length && names.every((n) => Object.hasOwn(payload, n));
}
