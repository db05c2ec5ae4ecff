/** Reading and verifying X.509 CRLs (RFC 5280 §5), synchronously, so the trust store can be built at boot. */
import './install-reflect-metadata.js';
import * as x509 from '@peculiar/x509';
import { Buffer } from 'node:buffer';
import { constants, verify, type KeyObject } from 'node:crypto';
import { readPemBlocks } from './read-pem.js';

export interface ParsedCrl {
  /** The issuer name as @peculiar/x509 prints it, comparable with a certificate's subject. */
  readonly issuer: string;
  readonly thisUpdateMs: number;
  /** Undefined when the CRL names no next update. */
  readonly nextUpdateMs: number | undefined;
  /** Serial numbers of revoked certificates, normalised by normaliseSerial. */
  readonly revoked: ReadonlySet<string>;
  readonly tbs: Buffer;
  readonly signature: Buffer;
  readonly algorithm: { readonly name: string; readonly hash?: string; readonly saltLength?: number };
}

/** Serial numbers as lower-case hex without leading zeros, so node's and @peculiar's spellings compare equal. */
export function normaliseSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** One DER tag-length-value at `offset` (short or long definite length; BER's indefinite length is refused). */
function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined) throw new Error('truncated DER');
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = der[contentStart + i];
      if (byte === undefined) throw new Error('truncated DER');
      length = length * 256 + byte;
    }
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new Error('DER length beyond its container');
  return { tag, start: offset, contentStart, end };
}

/**
 * The signed part of a CertificateList: SEQUENCE { tbsCertList, signatureAlgorithm, signature BIT STRING },
 * checking that the algorithm inside tbsCertList is the one outside (RFC 5280 §5.1.1.2).
 */
function splitCertificateList(der: Uint8Array): { tbs: Buffer; signature: Buffer } {
  const outer = readTlv(der, 0, der.length);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new Error('not a DER SEQUENCE');
  const tbs = readTlv(der, outer.contentStart, outer.end);
  const algorithm = readTlv(der, tbs.end, outer.end);
  const signature = readTlv(der, algorithm.end, outer.end);
  if (tbs.tag !== 0x30 || algorithm.tag !== 0x30 || signature.tag !== 0x03 || signature.end !== outer.end) {
    throw new Error('not a CertificateList');
  }
  const firstInTbs = readTlv(der, tbs.contentStart, tbs.end);
  const innerAlgorithm = firstInTbs.tag === 0x02 ? readTlv(der, firstInTbs.end, tbs.end) : firstInTbs;
  const bytes = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  if (
    !bytes
      .subarray(innerAlgorithm.start, innerAlgorithm.end)
      .equals(bytes.subarray(algorithm.start, algorithm.end))
  ) {
    throw new Error('signature algorithm inside and outside tbsCertList differ');
  }
  if (bytes[signature.contentStart] !== 0) throw new Error('signature BIT STRING has unused bits');
  return {
    tbs: Buffer.from(bytes.subarray(tbs.start, tbs.end)),
    signature: Buffer.from(bytes.subarray(signature.contentStart + 1, signature.end)),
  };
}

/** Parses a CRL given as PEM text (one `X509 CRL` block, RFC 7468 §5; legacy label `CRL` too) or DER bytes. Throws a plain Error naming `what`. */
export function readCrl(input: string | Uint8Array, what: string): ParsedCrl {
  let der: Uint8Array;
  if (typeof input === 'string') {
    const blocks = readPemBlocks(input, ['X509 CRL', 'CRL'], what);
    if (blocks.length !== 1 || !blocks[0])
      throw new Error(`${what}: expected exactly one X509 CRL PEM block`);
    der = blocks[0];
  } else {
    der = input;
  }
  try {
    const { tbs, signature } = splitCertificateList(der);
    const crl = new x509.X509Crl(Buffer.from(der));
    const algorithm = crl.signatureAlgorithm as unknown as {
      name: string;
      hash?: { name: string };
      saltLength?: number;
    };
    return {
      issuer: crl.issuer,
      thisUpdateMs: crl.thisUpdate.getTime(),
      nextUpdateMs: crl.nextUpdate?.getTime(),
      revoked: new Set(crl.entries.map((entry) => normaliseSerial(entry.serialNumber))),
      tbs,
      signature,
      algorithm: { name: algorithm.name, hash: algorithm.hash?.name, saltLength: algorithm.saltLength },
    };
  } catch (error) {
    throw new Error(`${what}: not a readable X.509 CRL (${(error as Error).message})`, { cause: error });
  }
}

const NODE_HASH: Readonly<Record<string, string>> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/**
 * True if the CRL's signature verifies with `publicKey` (RFC 5280 §6.3.3 (f)). Supports ECDSA,
 * RSASSA-PKCS1-v1_5 and RSA-PSS with SHA-2, and Ed25519; anything else, and any error, is false.
 */
export function verifyCrlSignature(crl: ParsedCrl, publicKey: KeyObject): boolean {
  const { name, hash, saltLength } = crl.algorithm;
  try {
    if (name === 'Ed25519') {
      return publicKey.asymmetricKeyType === 'ed25519' && verify(null, crl.tbs, publicKey, crl.signature);
    }
    const nodeHash = hash === undefined ? undefined : NODE_HASH[hash];
    if (nodeHash === undefined) return false;
    if (name === 'ECDSA') {
      return (
        publicKey.asymmetricKeyType === 'ec' &&
        verify(nodeHash, crl.tbs, { key: publicKey, dsaEncoding: 'der' }, crl.signature)
      );
    }
    if (name === 'RSASSA-PKCS1-v1_5') {
      return publicKey.asymmetricKeyType === 'rsa' && verify(nodeHash, crl.tbs, publicKey, crl.signature);
    }
    if (name === 'RSA-PSS') {
      const key = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: saltLength ?? 32 };
      return verify(nodeHash, crl.tbs, key, crl.signature);
    }
    return false;
  } catch {
    return false;
  }
}
