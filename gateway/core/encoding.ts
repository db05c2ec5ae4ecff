/** Small encoding helpers shared by the core (RFC 4648 §5 base64url, SHA-256 digests). */
import { createHash } from 'node:crypto';

export function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function fromB64u(text: string): Buffer {
  return Buffer.from(text, 'base64url');
}

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** base64url SHA-256, the digest form used on the wire (`requestDigest`, `evidenceDigest`, policy hashes). */
export function sha256b64u(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('base64url');
}
