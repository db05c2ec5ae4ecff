/** Digests that bind messages to each other (PROTOCOL.md §1c `requestDigest`). */
import { sha256b64u } from '../encoding.js';

/**
 * The `requestDigest` of PROTOCOL.md §1c: base64url SHA-256 of the ASCII bytes of the compact JWS the gateway
 * forwarded to the provider (the whole token, as sent). Throws TypeError if the token is not ASCII, which a
 * compact JWS always is.
 */
export function requestDigest(compactJws: string): string {
  if (typeof compactJws !== 'string' || !/^[\x00-\x7f]*$/.test(compactJws)) {
    throw new TypeError('requestDigest: a compact JWS is ASCII');
  }
  return sha256b64u(compactJws);
}
