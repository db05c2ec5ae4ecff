/**
 * Compact JWS serialisation (RFC 7515 §7.1) over the Signer capability: the core builds the signing input
 * itself and asks the signer for the signature, so it never holds a private key (ports.ts `Signer`).
 */
import type { Signer } from './ports.js';
import { b64u } from './encoding.js';

/** What compact JWS signing needs of a Signer. */
export type JwsSigner = Pick<Signer, 'alg' | 'kid' | 'sign'>;

const encoder = new TextEncoder();

/**
 * `BASE64URL(UTF8(JSON(header))) . BASE64URL(payload) . BASE64URL(signature)` with the protected header
 * `{ alg: signer.alg, kid: signer.kid, typ }`, members in that order (the bytes jose's CompactSign writes for
 * the same header). Throws TypeError if the signer's answer is not bytes.
 */
export async function signCompact(signer: JwsSigner, typ: string, payload: Uint8Array): Promise<string> {
  const header = encoder.encode(JSON.stringify({ alg: signer.alg, kid: signer.kid, typ }));
  const input = `${b64u(header)}.${b64u(payload)}`;
  const signature = await signer.sign(encoder.encode(input));
  if (!(signature instanceof Uint8Array)) throw new TypeError('the signer returned no signature bytes');
  return `${input}.${b64u(signature)}`;
}
