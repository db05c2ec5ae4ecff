/**
 * The subject reference: how the transfer log and the consent store refer to a citizen without storing the IDNr
 * (DESIGN.md "Data", § 9 IDNrG). A keyed hash, so the same person is found again by whoever holds the gateway's
 * secret (a DPO filtering by IDNr, the citizen's own view), but the IDNr cannot be recovered by enumerating the
 * 10^10 possible values without it.
 */
import { createHmac } from 'node:crypto';
import { GatewayError } from './errors.js';
import { isValidIdnr } from './ids.js';

/** At least 256 bits, the HMAC-SHA-256 block-size guidance of RFC 2104 §3 for a full-strength key. */
const MIN_SECRET_BYTES = 32;

/**
 * Returns `(idnr) => base64url(HMAC-SHA-256(secret, idnr))`, the `subjectRef` of TransferRecord and ConsentRecord.
 * Spec: RFC 2104 with SHA-256; DESIGN.md "Citizen id".
 * Throws TypeError if the secret is shorter than 32 bytes (a configuration error); the returned function throws
 * GatewayError ERR_IDENTIFIER if its argument is not a valid IDNr (nothing but a checked IDNr is ever hashed).
 */
export function createSubjectHasher(secret: Uint8Array): (idnr: string) => string {
  if (!(secret instanceof Uint8Array) || secret.byteLength < MIN_SECRET_BYTES) {
    throw new TypeError(`createSubjectHasher: the secret must have at least ${MIN_SECRET_BYTES} bytes`);
  }
  const key = Buffer.from(secret); // a private copy: later changes to the caller's buffer do not change refs
  return (idnr: string): string => {
    if (!isValidIdnr(idnr)) throw new GatewayError('ERR_IDENTIFIER', 'invalid IDNr');
    return createHmac('sha256', key).update(idnr, 'ascii').digest('base64url');
  };
}
