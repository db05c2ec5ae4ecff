/**
 * Test signers that also keep their private key beside the Signer capability, for tests that must forge or
 * hand-craft signatures (signRaw) with a participant's real key. The gateway code only ever gets the Signer
 * part: nothing in gateway/ reads `privateKey` (see test/unit/keys/local-signer.test.ts).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadSignerFromFiles, signerFiles, type SignerVariant } from '../../gateway/adapters/files/index.js';
import { createLocalSigner, type LocalSignerOptions } from '../../gateway/adapters/keys/local-signer.js';
import type { Signer } from '../../gateway/core/ports.js';

export type KeyedSigner = Signer & { readonly privateKey: KeyObject };

/** A local signer over `privateKey` that also exposes the key (tests only). */
export function keyedSigner(options: LocalSignerOptions, privateKey: KeyObject): KeyedSigner {
  return Object.freeze({ ...createLocalSigner(options, privateKey), privateKey });
}

/** loadSignerFromFiles, plus the key file's private key (tests only). */
export function loadKeyedSigner(certFile: string, keyFile: string): KeyedSigner {
  return Object.freeze({
    ...loadSignerFromFiles(certFile, keyFile),
    privateKey: createPrivateKey(readFileSync(keyFile)),
  });
}

/** loadSigner (the participant's files beside participants.json), plus its private key (tests only). */
export function loadKeyedParticipant(
  participantsFile: string,
  participantId: string,
  which: SignerVariant = 'current',
): KeyedSigner {
  const { certFile, keyFile } = signerFiles(participantsFile, participantId, which);
  return loadKeyedSigner(certFile, keyFile);
}
