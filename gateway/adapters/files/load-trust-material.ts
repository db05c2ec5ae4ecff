/**
 * Reads trust material and signing keys from files (the layout of certs-example/, see its README.md).
 *
 * participants.json: { gateway, anchors[], intermediates[], crls[], participants[{ id, name, roles, evidenceTypes,
 * endpoint?, returnUrls?, callbackUrl?, certificates[] }] }; every file path is relative to participants.json.
 *
 * Signer files (predictable naming): `<dir of participants.json>/participants/<file base>[.<variant>].cert.pem`
 * and `.key.pem` beside it (PKCS#8), where the file base is the participant id with its ':' replaced by '-'
 * (`ags:09999001` → `ags-09999001`) and the variant is absent for the current key.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isParticipantId } from '../../core/ids.js';
import type { Endpoint, Role, Signer } from '../../core/ports.js';
import { createLocalSigner } from '../keys/local-signer.js';
import {
  kidOf,
  participantIdOf,
  readPemBlocks,
  type ParticipantMaterial,
  type TrustMaterial,
} from '../../core/trust/index.js';

/** Which of a participant's example keys: the current one, or a test key of ags:09999001 (certs-example/README.md). */
export type SignerVariant = 'current' | 'rotated' | 'expired' | 'revoked';

const VARIANTS: readonly SignerVariant[] = ['current', 'rotated', 'expired', 'revoked'];

function fail(file: string, message: string): never {
  throw new Error(`${file}: ${message}`);
}

function stringList(value: unknown, file: string, what: string): string[] {
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string'))
    fail(file, `${what} must be a list of strings`);
  return value as string[];
}

function readText(base: string, relative: string, file: string): string {
  try {
    return readFileSync(path.resolve(base, relative), 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read ${relative}`, { cause: error });
  }
}

/** A CRL file as PEM text if it looks like PEM, else as DER bytes. */
function readCrlFile(base: string, relative: string, file: string): string | Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path.resolve(base, relative));
  } catch (error) {
    throw new Error(`${file}: cannot read ${relative}`, { cause: error });
  }
  const text = bytes.toString('latin1');
  return text.includes('-----BEGIN ') ? text : new Uint8Array(bytes);
}

function readParticipant(entry: unknown, base: string, file: string): ParticipantMaterial {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    fail(file, 'a participant must be an object');
  const p = entry as Record<string, unknown>;
  const id = typeof p.id === 'string' ? p.id : fail(file, 'a participant has no id');
  const endpoint = p.endpoint as Endpoint | undefined;
  if (endpoint !== undefined && (typeof endpoint !== 'object' || endpoint === null)) {
    fail(file, `participant ${id}: endpoint must be an object`);
  }
  return {
    id,
    name: typeof p.name === 'string' ? p.name : fail(file, `participant ${id}: name missing`),
    roles: stringList(p.roles, file, `participant ${id}: roles`) as Role[],
    evidenceTypes: stringList(p.evidenceTypes ?? [], file, `participant ${id}: evidenceTypes`),
    ...(endpoint ? { endpoint: { kind: endpoint.kind, url: endpoint.url } } : {}),
    ...(p.returnUrls === undefined
      ? {}
      : { returnUrls: stringList(p.returnUrls, file, `participant ${id}: returnUrls`) }),
    ...(p.callbackUrl === undefined
      ? {}
      : {
          callbackUrl:
            typeof p.callbackUrl === 'string'
              ? p.callbackUrl
              : fail(file, `participant ${id}: callbackUrl must be a string`),
        }),
    certificates: stringList(p.certificates, file, `participant ${id}: certificates`).map((c) =>
      readText(base, c, file),
    ),
  };
}

/**
 * Reads participants.json and every file it names (relative to it) into TrustMaterial for createTrustStore.
 * Throws a plain Error naming the file on unreadable files, bad JSON or a missing gateway participant.
 */
export function loadTrustMaterial(participantsFile: string): { gatewayId: string; material: TrustMaterial } {
  const base = path.dirname(participantsFile);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(participantsFile, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${participantsFile}: not readable JSON`, { cause: error });
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    fail(participantsFile, 'not an object');
  const gatewayId = config.gateway;
  if (!isParticipantId(gatewayId)) fail(participantsFile, '"gateway" must be a participant id');
  if (!Array.isArray(config.participants)) fail(participantsFile, '"participants" must be a list');
  const participants = config.participants.map((entry) => readParticipant(entry, base, participantsFile));
  if (!participants.some((p) => p.id === gatewayId && p.roles.includes('gateway'))) {
    fail(participantsFile, `the gateway ${gatewayId} must be a participant with role "gateway"`);
  }
  const texts = (key: string): string[] =>
    stringList(config[key] ?? [], participantsFile, `"${key}"`).map((f) =>
      readText(base, f, participantsFile),
    );
  return {
    gatewayId,
    material: {
      anchors: texts('anchors'),
      intermediates: texts('intermediates'),
      crls: stringList(config.crls ?? [], participantsFile, '"crls"').map((f) =>
        readCrlFile(base, f, participantsFile),
      ),
      participants,
    },
  };
}

/** The cert and key files of a participant's example signer (naming above). Refuses ids that are not ids. */
export function signerFiles(
  participantsFile: string,
  participantId: string,
  which: SignerVariant = 'current',
): { certFile: string; keyFile: string } {
  if (!isParticipantId(participantId))
    throw new Error(`not a participant id: ${JSON.stringify(participantId)}`);
  if (!VARIANTS.includes(which)) throw new Error(`unknown signer variant: ${JSON.stringify(which)}`);
  const stem = path.join(
    path.dirname(participantsFile),
    'participants',
    participantId.replace(':', '-') + (which === 'current' ? '' : `.${which}`),
  );
  return { certFile: `${stem}.cert.pem`, keyFile: `${stem}.key.pem` };
}

/**
 * A Signer from a certificate file and its PKCS#8 private key file. The participant id is read from the
 * certificate's subject serialNumber; throws a plain Error if there is none or the key does not match the cert.
 */
export function loadSignerFromFiles(certFile: string, keyFile: string): Signer {
  const blocks = readPemBlocks(readFileSync(certFile, 'utf8'), 'CERTIFICATE', certFile);
  if (blocks.length !== 1 || !blocks[0]) throw new Error(`${certFile}: expected exactly one certificate`);
  const certificate = new X509Certificate(blocks[0]);
  const privateKey = createPrivateKey(readFileSync(keyFile));
  const spki = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(privateKey)).equals(spki(certificate.publicKey))) {
    throw new Error(`${keyFile}: private key does not belong to ${certFile}`);
  }
  const participantId = participantIdOf(certificate);
  if (participantId === undefined)
    throw new Error(`${certFile}: subject names no participant (serialNumber)`);
  // The key stays inside the local signer; what leaves here signs but holds no key material.
  return createLocalSigner({ participantId, kid: kidOf(certificate), certificate }, privateKey);
}

/**
 * The Signer of a participant from the files beside participants.json (naming above): `which` picks the current
 * key (default) or one of the test keys. Throws a plain Error if the files are missing or name someone else.
 */
export function loadSigner(
  participantsFile: string,
  participantId: string,
  which: SignerVariant = 'current',
): Signer {
  const { certFile, keyFile } = signerFiles(participantsFile, participantId, which);
  const signer = loadSignerFromFiles(certFile, keyFile);
  if (signer.participantId !== participantId) {
    throw new Error(`${certFile}: certificate names ${signer.participantId}, not ${participantId}`);
  }
  return signer;
}
