/**
 * The XMLDSig signature algorithms the gateway accepts and writes (SECURITY.md "XML signatures": RSA-SHA256/512,
 * RSA-PSS, ECDSA-SHA256/384; never HMAC, never SHA-1), implemented on node:crypto so that keys stay KeyObjects
 * and each algorithm is bound to its key type. xml-crypto ships no ECDSA; its RSA-PSS wants PEM strings.
 * Verification uses public keys only; signing goes through a Signer (ports.ts), never a private key here.
 *
 * ECDSA signature values are r ‖ s of fixed length (XMLDSig 1.1 §6.4.3, RFC 4050), not DER. RSA-PSS is
 * RFC 6931 §2.3.10 sha256-rsa-MGF1: MGF1 with SHA-256 and a 32-byte salt.
 */
import { constants, KeyObject, verify } from 'node:crypto';
import type { SignatureAlgorithm } from 'xml-crypto';
import type { Signer } from '../../ports.js';
import {
  ECDSA_SHA256,
  ECDSA_SHA384,
  RSA_PSS_SHA256,
  RSA_SHA256,
  RSA_SHA512,
  type XmlSignatureAlgorithm,
} from './xoev-constants.js';

interface AlgorithmSpec {
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  readonly family: 'rsa' | 'rsa-pss' | 'ecdsa';
  /** For ECDSA: the curve the key must be on (node's name). */
  readonly curve?: 'prime256v1' | 'secp384r1';
}

const SPECS: Readonly<Record<XmlSignatureAlgorithm, AlgorithmSpec>> = {
  [RSA_SHA256]: { hash: 'sha256', family: 'rsa' },
  [RSA_SHA512]: { hash: 'sha512', family: 'rsa' },
  [RSA_PSS_SHA256]: { hash: 'sha256', family: 'rsa-pss' },
  [ECDSA_SHA256]: { hash: 'sha256', family: 'ecdsa', curve: 'prime256v1' },
  [ECDSA_SHA384]: { hash: 'sha384', family: 'ecdsa', curve: 'secp384r1' },
};

const MIN_RSA_BITS = 2048;

export function isXmlSignatureAlgorithm(value: unknown): value is XmlSignatureAlgorithm {
  return typeof value === 'string' && Object.hasOwn(SPECS, value);
}

/** True if `key` (public or private) is of the type and size `algorithm` needs. */
export function keyFitsXmlAlgorithm(algorithm: XmlSignatureAlgorithm, key: KeyObject): boolean {
  const spec = SPECS[algorithm];
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  if (spec.family === 'ecdsa') return type === 'ec' && details?.namedCurve === spec.curve;
  const bits = details?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) return false;
  return spec.family === 'rsa' ? type === 'rsa' : type === 'rsa' || type === 'rsa-pss';
}

function keyOptions(spec: AlgorithmSpec, key: KeyObject) {
  if (spec.family === 'ecdsa') return { key, dsaEncoding: 'ieee-p1363' as const };
  if (spec.family === 'rsa-pss') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  return { key, padding: constants.RSA_PKCS1_PADDING };
}

/** Verifies a base64 SignatureValue over `data`; false for a key misfit, a malformed value or a wrong signature. */
export function verifyXmlBytes(
  algorithm: XmlSignatureAlgorithm,
  data: string | Uint8Array,
  key: unknown,
  signatureValue: string,
): boolean {
  // Only a KeyObject the gateway resolved: never a PEM string that could have come out of KeyInfo.
  if (!(key instanceof KeyObject) || key.type !== 'public' || !keyFitsXmlAlgorithm(algorithm, key))
    return false;
  const text = signatureValue.replace(/[ \t\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return false;
  const spec = SPECS[algorithm];
  try {
    return verify(spec.hash, Buffer.from(data), keyOptions(spec, key), Buffer.from(text, 'base64'));
  } catch {
    return false;
  }
}

/** The XMLDSig algorithm a gateway Signer writes: ES256 → ecdsa-sha256, PS256 → RSA-PSS. EdDSA is not in the profile. */
export function xmlAlgorithmOf(signer: Signer): XmlSignatureAlgorithm {
  if (signer.alg === 'ES256') return ECDSA_SHA256;
  if (signer.alg === 'PS256') return RSA_PSS_SHA256;
  throw new TypeError(`signer alg ${signer.alg} has no XMLDSig algorithm in the profile`);
}

/**
 * Signs SignedInfo for `algorithm` through the signer (synchronously: see ports.ts `Signer.signSync`) and returns
 * the base64 SignatureValue. Throws TypeError if the signer has no synchronous signing, its algorithm is not
 * `algorithm`, or its key does not fit it.
 */
export function xmlSignatureFunction(
  algorithm: XmlSignatureAlgorithm,
  signer: Signer,
): (signedInfo: string | Uint8Array) => string {
  const signSync = signer.signSync;
  if (xmlAlgorithmOf(signer) !== algorithm || !keyFitsXmlAlgorithm(algorithm, signer.publicKey)) {
    throw new TypeError(`the signing key does not fit ${algorithm}`);
  }
  if (signSync === undefined) throw new TypeError('XMLDSig signing needs a signer that signs synchronously');
  return (signedInfo) =>
    Buffer.from(signSync(typeof signedInfo === 'string' ? Buffer.from(signedInfo) : signedInfo)).toString(
      'base64',
    );
}

/**
 * An xml-crypto SignatureAlgorithm class for one allow-listed algorithm (registered per SignedXml instance).
 * Without `sign` it only verifies; with it, getSignature ignores the key xml-crypto passes and calls `sign`.
 */
export function xmlCryptoAlgorithm(
  algorithm: XmlSignatureAlgorithm,
  sign?: (signedInfo: string | Uint8Array) => string,
): new () => SignatureAlgorithm {
  class ProfileAlgorithm {
    getSignature(signedInfo: string | Uint8Array): string {
      if (sign === undefined) throw new TypeError(`this ${algorithm} implementation only verifies`);
      return sign(signedInfo);
    }

    verifySignature(material: string, key: unknown, signatureValue: string): boolean {
      return verifyXmlBytes(algorithm, material, key, signatureValue);
    }

    getAlgorithmName(): string {
      return algorithm;
    }
  }
  return ProfileAlgorithm as unknown as new () => SignatureAlgorithm;
}
