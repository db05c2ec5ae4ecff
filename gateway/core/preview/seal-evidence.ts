/**
 * Evidence at rest while it waits for the citizen's preview: AES-256-GCM (NIST SP 800-38D) under a gateway key,
 * a fresh 96-bit nonce per sealing, the exchange id as additional data so a sealed blob cannot be moved to
 * another exchange. Layout: version (1 byte, 0x01) ‖ nonce (12) ‖ tag (16) ‖ ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.js';

const VERSION = 0x01;
const NONCE = 12;
const TAG = 16;

/** What is sealed: the provider's signed evidence as it would be released, and what the citizen is shown. */
export interface SealedContent {
  /** The provider's own signed evidence (compact JWS or signed XÖV document), released unchanged. */
  readonly evidence: string;
  /** base64url SHA-256 of `evidence`. */
  readonly digest: string;
  readonly fields: readonly string[];
  /** The evidence data in its JSON shape: exactly what the consumer would receive, readable. */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface EvidenceSealer {
  seal(exchangeId: string, content: SealedContent): Uint8Array;
  /** Throws ERR_INTERNAL if the blob was altered, belongs to another exchange or another key. */
  open(exchangeId: string, sealed: Uint8Array): SealedContent;
}

/** Builds a sealer over a 32-byte key. Throws TypeError for a key of another length. */
export function createEvidenceSealer(key: Uint8Array): EvidenceSealer {
  if (key.length !== 32) throw new TypeError('the preview key must be 32 bytes');
  const secret = Buffer.from(key);
  return {
    seal(exchangeId, content) {
      const nonce = randomBytes(NONCE);
      const cipher = createCipheriv('aes-256-gcm', secret, nonce);
      cipher.setAAD(Buffer.from(exchangeId, 'utf8'));
      const body = Buffer.concat([cipher.update(JSON.stringify(content), 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.of(VERSION), nonce, cipher.getAuthTag(), body]);
    },
    open(exchangeId, sealed) {
      const blob = Buffer.from(sealed);
      try {
        if (blob.length < 1 + NONCE + TAG || blob[0] !== VERSION)
          throw new Error('not a sealed evidence blob');
        const decipher = createDecipheriv('aes-256-gcm', secret, blob.subarray(1, 1 + NONCE));
        decipher.setAAD(Buffer.from(exchangeId, 'utf8'));
        decipher.setAuthTag(blob.subarray(1 + NONCE, 1 + NONCE + TAG));
        const text = Buffer.concat([decipher.update(blob.subarray(1 + NONCE + TAG)), decipher.final()]);
        return JSON.parse(text.toString('utf8')) as SealedContent;
      } catch (cause) {
        throw new GatewayError('ERR_INTERNAL', undefined, { cause });
      }
    },
  };
}
