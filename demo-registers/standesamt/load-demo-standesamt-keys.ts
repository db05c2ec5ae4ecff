/** Reads the demo Standesamt's key and the gateway's certificate from an example PKI folder (certs-example/). */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSigner } from '../../gateway/adapters/files/index.js';
import type { Signer } from '../../gateway/core/ports.js';

export interface DemoStandesamtKeys {
  readonly signer: Signer;
  readonly gateway: { readonly id: string; readonly certificates: readonly X509Certificate[] };
}

/**
 * Loads `participants/<provider>.key.pem` + `.cert.pem` (via participants.json in `certsDir`) and
 * `participants/<gateway>.cert.pem`. Throws the fs / crypto error if a file is missing or bad.
 */
export function loadDemoStandesamtKeys(
  certsDir: string,
  providerId = 'psw:09999001',
  gatewayId = 'oog:demo-gateway',
): DemoStandesamtKeys {
  const signer = loadSigner(join(certsDir, 'participants.json'), providerId);
  const gatewayCertificate = new X509Certificate(
    readFileSync(join(certsDir, 'participants', `${gatewayId.replaceAll(':', '-')}.cert.pem`)),
  );
  return { signer, gateway: { id: gatewayId, certificates: [gatewayCertificate] } };
}
