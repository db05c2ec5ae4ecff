/** Certificate facts the trust store needs beyond what node:crypto's X509Certificate offers. */
import './install-reflect-metadata.js';
import * as x509 from '@peculiar/x509';
import type { X509Certificate } from 'node:crypto';
import { sha256b64u } from '../encoding.js';

/** X.520 serialNumber attribute: the subject attribute that carries the participant id. */
const SERIAL_NUMBER_OID = '2.5.4.5';

/**
 * The key id of a certificate: base64url SHA-256 of its DER, i.e. the JWS `x5t#S256` value (RFC 7515 §4.1.8),
 * which PROTOCOL.md §1a uses as `kid`. Throws nothing.
 */
export function kidOf(cert: X509Certificate): string {
  return sha256b64u(cert.raw);
}

/**
 * The participant id a certificate names: the single serialNumber attribute of its subject (PROTOCOL.md §7,
 * certs-example). Undefined if there is none or more than one. Throws nothing.
 */
export function participantIdOf(cert: X509Certificate): string | undefined {
  const values = new x509.X509Certificate(cert.raw).subjectName.getField(SERIAL_NUMBER_OID);
  return values.length === 1 ? values[0] : undefined;
}

/** The facts read once per certificate: names as comparable strings, validity in ms, key usage. */
export interface CertificateFacts {
  readonly subject: string;
  readonly issuer: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  /** Key usage bits (RFC 5280 §4.2.1.3), or undefined when the extension is absent (any use allowed). */
  readonly keyUsage: number | undefined;
}

export function readCertificateFacts(cert: X509Certificate): CertificateFacts {
  const parsed = new x509.X509Certificate(cert.raw);
  return {
    subject: parsed.subject,
    issuer: parsed.issuer,
    notBeforeMs: parsed.notBefore.getTime(),
    notAfterMs: parsed.notAfter.getTime(),
    keyUsage: parsed.getExtension(x509.KeyUsagesExtension)?.usages,
  };
}

export const KEY_USAGE = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
} as const;
