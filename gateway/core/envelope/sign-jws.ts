/** Signing of the gateway's own compact JWS messages (RFC 7515 §7.1) under the profile verify-jws.ts checks. */
import { signCompact, type JwsSigner } from '../compact-jws.js';

const encoder = new TextEncoder();

/**
 * Signs `payload` (serialised with JSON.stringify) as a compact JWS with the protected header
 * `{ alg: signer.alg, kid: signer.kid, typ }` and nothing else (PROTOCOL.md §1c, §2).
 * Throws TypeError if payload is not a plain JSON object or typ is empty (programming errors).
 */
export async function signCompactJws(signer: JwsSigner, typ: string, payload: object): Promise<string> {
  if (typeof typ !== 'string' || typ.length === 0) throw new TypeError('signCompactJws: typ required');
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new TypeError('signCompactJws: payload must be a JSON object');
  }
  return signCompact(signer, typ, encoder.encode(JSON.stringify(payload)));
}
