/** Reads the demo Meldebehörde's key and the gateway's certificate from an example PKI folder (certs-example/). */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalSigner } from '../../gateway/adapters/keys/local-signer.js';
import { certificateKid } from './create-gateway-trust.js';
import type { EvidenceSigner } from './sign-evidence.js';

/** certs-example's file name of a participant: `participants/<id with ':' → '-'>.{cert,key}.pem`. */
function participantFile(certsDir: string, participantId: string, kind: 'cert' | 'key'): string {
  return join(certsDir, 'participants', `${participantId.replaceAll(':', '-')}.${kind}.pem`);
}

export interface DemoMeldebehoerdeKeys {
  readonly signer: EvidenceSigner;
  readonly gateway: { readonly id: string; readonly certificates: readonly X509Certificate[] };
}

/**
 * Loads `participants/<provider>.key.pem` + `.cert.pem` (the signer, kid = x5t#S256 of its certificate) and
 * `participants/<gateway>.cert.pem` from `certsDir`. Throws the fs / crypto error if a file is missing or bad.
 */
export function loadDemoMeldebehoerdeKeys(
  certsDir: string,
  providerId = 'mld:09999001',
  gatewayId = 'oog:demo-gateway',
): DemoMeldebehoerdeKeys {
  const certificate = new X509Certificate(readFileSync(participantFile(certsDir, providerId, 'cert')));
  const privateKey = createPrivateKey(readFileSync(participantFile(certsDir, providerId, 'key')));
  const gatewayCertificate = new X509Certificate(readFileSync(participantFile(certsDir, gatewayId, 'cert')));
  return {
    signer: createLocalSigner(
      { participantId: providerId, kid: certificateKid(certificate), certificate, alg: 'ES256' },
      privateKey,
    ),
    gateway: { id: gatewayId, certificates: [gatewayCertificate] },
  };
}
