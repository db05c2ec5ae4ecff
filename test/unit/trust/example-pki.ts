/** Shared helpers of the trust tests: the committed example PKI and clocks. */
import '../../../gateway/core/trust/install-reflect-metadata.js';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../../gateway/core/ports.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export const CERTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../certs-example');
export const PARTICIPANTS_FILE = path.join(CERTS_DIR, 'participants.json');

/** A clock that stands still at `iso` until moved with `set`. */
export function clockAt(iso: string): Clock & { set(iso: string): void } {
  let now = Date.parse(iso);
  return {
    nowMs: () => now,
    set(next: string) {
      now = Date.parse(next);
    },
  };
}

export function readCertsFile(relative: string): string {
  return readFileSync(path.join(CERTS_DIR, relative), 'utf8');
}

/** A PKCS#8 PEM key file of the example PKI as a WebCrypto ECDSA signing key, for making test CRLs. */
export async function importSigningKey(relative: string): Promise<CryptoKey> {
  const der = createPrivateKey(readCertsFile(relative)).export({ type: 'pkcs8', format: 'der' });
  return (await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
  ])) as CryptoKey;
}

/** A CRL signed with `keyFile` in the name of the example issuing CA. */
export async function makeCrl(
  keyFile: string,
  options: { nextUpdate: Date; revokedSerials?: string[] },
): Promise<string> {
  const issuing = new x509.X509Certificate(readCertsFile('ca/issuing-ca.cert.pem'));
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuing.subjectName,
    thisUpdate: new Date('2025-02-01T00:00:00Z'),
    nextUpdate: options.nextUpdate,
    signingKey: await importSigningKey(keyFile),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as Algorithm,
    entries: (options.revokedSerials ?? []).map((serialNumber) => ({ serialNumber })),
  });
  return crl.toString('pem');
}
