/**
 * Options shared by the XÖV readers: limits, algorithm allow-lists and the schema set, with their defaults and
 * checks, so that every factory refuses bad options the same way (TypeError at construction, never per message).
 */
import type { XmlDigestAlgorithm, XmlSignatureAlgorithm } from './xoev-constants.js';
import { XML_DIGEST_ALGORITHMS, XML_SIGNATURE_ALGORITHMS } from './xoev-constants.js';
import type { SignatureAllowList } from './check-signature-profile.js';
import { DEFAULT_XML_GATE_LIMITS, type XmlGateLimits } from './gate-xml.js';
import { compileXoevSchemas, type XoevSchemaFiles, type XoevSchemas } from './parse-xml.js';

export interface XoevReaderLimits {
  /** Longest document in UTF-8 bytes; default 65 536 (requests) or 1 MiB (evidence). */
  readonly maxBytes?: number;
  /** Deepest element nesting; default 20. */
  readonly maxDepth?: number;
  /** Longest attribute value; default 2 048 characters. */
  readonly maxAttributeLength?: number;
  /** Most elements; default 2 000. */
  readonly maxElements?: number;
  /** Default: rsa-sha256, rsa-sha512, RSA-PSS (sha256-rsa-MGF1), ecdsa-sha256, ecdsa-sha384. */
  readonly signatureAlgorithms?: readonly XmlSignatureAlgorithm[];
  /** Default: sha256, sha512. */
  readonly digestAlgorithms?: readonly XmlDigestAlgorithm[];
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name}: a positive integer`);
  return value;
}

export function gateLimitsOf(options: XoevReaderLimits, defaultMaxBytes: number): XmlGateLimits {
  return {
    maxBytes: positive('maxBytes', options.maxBytes ?? defaultMaxBytes),
    maxDepth: positive('maxDepth', options.maxDepth ?? DEFAULT_XML_GATE_LIMITS.maxDepth),
    maxAttributeLength: positive(
      'maxAttributeLength',
      options.maxAttributeLength ?? DEFAULT_XML_GATE_LIMITS.maxAttributeLength,
    ),
    maxElements: positive('maxElements', options.maxElements ?? DEFAULT_XML_GATE_LIMITS.maxElements),
  };
}

export function allowListOf(options: XoevReaderLimits): SignatureAllowList {
  const signatureAlgorithms = options.signatureAlgorithms ?? XML_SIGNATURE_ALGORITHMS;
  const digestAlgorithms = options.digestAlgorithms ?? XML_DIGEST_ALGORITHMS;
  if (
    signatureAlgorithms.length === 0 ||
    signatureAlgorithms.some((a) => !XML_SIGNATURE_ALGORITHMS.includes(a))
  ) {
    throw new TypeError('signatureAlgorithms: a non-empty subset of the profile');
  }
  if (digestAlgorithms.length === 0 || digestAlgorithms.some((a) => !XML_DIGEST_ALGORITHMS.includes(a))) {
    throw new TypeError('digestAlgorithms: a non-empty subset of the profile');
  }
  return { signatureAlgorithms, digestAlgorithms };
}

export function seconds(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name}: a non-negative integer`);
  return value;
}

const compiled = new WeakMap<XoevSchemaFiles, XoevSchemas>();

/** A schema set, compiled once per XoevSchemaFiles object however many readers share it. */
export function schemasOf(schemas: XoevSchemaFiles | XoevSchemas): XoevSchemas {
  if ('parseAndValidate' in schemas) return schemas;
  let result = compiled.get(schemas);
  if (result === undefined) {
    result = compileXoevSchemas(schemas);
    compiled.set(schemas, result);
  }
  return result;
}
