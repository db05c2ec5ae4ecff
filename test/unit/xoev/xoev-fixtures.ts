/**
 * Shared helpers of the XÖV tests: the project's compiled schemas, the example PKI (certs-example/) as a real
 * trust store, a fixed clock inside its validity, valid messages of each type, the older XInneres header form,
 * and a raw XMLDSig signer for hand-crafted (malicious) signatures.
 */
import { constants, randomUUID, sign, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignedXml, type SignatureAlgorithm } from 'xml-crypto';
import { loadTrustMaterial } from '../../../gateway/adapters/files/index.js';
import { loadXoevSchemas } from '../../../gateway/adapters/files/load-xoev-schemas.js';
import {
  buildXoevRequest,
  compileXoevSchemas,
  ECDSA_SHA256,
  ENVELOPED_SIGNATURE,
  EXC_C14N,
  ECDSA_SHA384,
  keyFitsXmlAlgorithm,
  RSA_PSS_SHA256,
  RSA_SHA512,
  SHA256,
  signXoev,
  xmlCryptoAlgorithm,
  type XmlSignatureAlgorithm,
  type XoevHeaderInput,
  type XoevRequestContent,
} from '../../../gateway/core/envelope/xoev/index.js';
import { GatewayError } from '../../../gateway/core/errors.js';
import type { Clock, Signer, TrustStore } from '../../../gateway/core/ports.js';
import { createTrustStore } from '../../../gateway/core/trust/index.js';
import { loadKeyedParticipant, type KeyedSigner } from '../../helpers/keyed-signer.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const PARTICIPANTS_FILE = path.join(ROOT, 'certs-example/participants.json');
/** Byte-for-byte copies of ../shared/xoev-samples (see its README.md for sources and licences). */
export const SAMPLES_DIR = path.join(ROOT, 'test/fixtures/xoev/samples');

export const GATEWAY_ID = 'oog:demo-gateway';
/** Inside the example PKI's validity (2025–2045). */
export const NOW_MS = Date.UTC(2030, 5, 1, 10, 0, 0);

export const SCHEMA_FILES = loadXoevSchemas();
export const SCHEMAS = compileXoevSchemas(SCHEMA_FILES);

export function fixedClock(ms: number = NOW_MS): Clock & { ms: number } {
  const clock = { ms, nowMs: () => clock.ms };
  return clock;
}

const { material } = loadTrustMaterial(PARTICIPANTS_FILE);

/** The trust store of certs-example/participants.json at `clock`. */
export function exampleTrust(clock: Clock = fixedClock()): TrustStore {
  return createTrustStore(material, clock);
}

/** A signer of the example PKI (participants/<id>[.variant].key.pem). */
export function exampleSigner(
  id: string,
  which: 'current' | 'rotated' | 'expired' | 'revoked' = 'current',
): KeyedSigner {
  return loadKeyedParticipant(PARTICIPANTS_FILE, id, which);
}

/** A request header from `autor` to the gateway at NOW_MS - 5 s. */
export function requestHeader(overrides: Partial<XoevHeaderInput> = {}): XoevHeaderInput {
  return {
    messageId: randomUUID(),
    issuedAtMs: NOW_MS - 5_000,
    autor: { id: 'ags:09999002', name: 'Landkreis Beispielkreis – Elterngeldstelle' },
    leser: { id: GATEWAY_ID, name: 'Once-Only Gateway (Demo)' },
    ...overrides,
  };
}

/** The Elterngeldstelle's request for Erika's birth certificate (PROTOCOL.md §7). */
export function requestContent(overrides: Partial<XoevRequestContent> = {}): XoevRequestContent {
  return {
    evidenceType: 'geburtsurkunde',
    provider: 'psw:09999001',
    subjectIdnr: '93141705862',
    purpose: 'elterngeld-antrag',
    procedure: { reference: 'EG-2030/0815', service: '99041008000000' },
    actor: 'sachbearbeitung-3',
    consentId: 'c-2030-0001',
    fields: ['kind', 'geburtsdatum', 'eltern'],
    ...overrides,
  };
}

/** A signed request of `signer` (default ags:09999002, whose id is autor). */
export function signedRequest(
  options: {
    signer?: Signer;
    header?: Partial<XoevHeaderInput>;
    content?: Partial<XoevRequestContent>;
  } = {},
): string {
  const signer = options.signer ?? exampleSigner('ags:09999002');
  const header = requestHeader({
    autor: { id: signer.participantId, name: signer.participantId },
    ...options.header,
  });
  return signXoev(signer, buildXoevRequest(header, requestContent(options.content)));
}

/**
 * Rewrites the G2G 1.1 header of one of the gateway's messages into the older XInneres form: unqualified
 * `nachrichtenkopf`, leser/autor as `behoerdenkennung` = `praefix` + `kennung`. Unsigned input only.
 */
export function toXInneresHeader(xml: string): string {
  const party = (role: string) => {
    const block = new RegExp(`<bn-g2g:${role}>[\\s\\S]*?</bn-g2g:${role}>`).exec(xml)![0];
    const [praefix, kennung] = /<bn-beh:kennung>([^<]*)<\/bn-beh:kennung>/.exec(block)![1]!.split(':');
    const name = /<bn-beh:name>([^<]*)<\/bn-beh:name>/.exec(block)![1];
    return (
      `<${role}><behoerdenkennung>` +
      `<praefix listURI="urn:de:dvdv:codeliste:praefix" listVersionID="1"><code>${praefix}</code></praefix>` +
      `<kennung listURI="urn:de:dvdv:codeliste:kennung" listVersionID="1"><code>${kennung}</code></kennung>` +
      `</behoerdenkennung><behoerdenname>${name}</behoerdenname></${role}>`
    );
  };
  const id = /<bn-g2g:identifikation\.nachricht>[\s\S]*?<\/bn-g2g:identifikation\.nachricht>/.exec(xml)![0];
  const legacyId = id.replace(/bn-g2g:/g, '');
  const header = `<nachrichtenkopf>${legacyId}${party('leser')}${party('autor')}</nachrichtenkopf>`;
  return xml.replace(/<bn-g2g:nachrichtenkopf\.g2g>[\s\S]*?<\/bn-g2g:nachrichtenkopf\.g2g>/, header);
}

export interface RawSignOptions {
  readonly privateKey: KeyObject;
  readonly algorithm?: XmlSignatureAlgorithm | string;
  readonly digest?: string;
  readonly transforms?: readonly string[];
  /** The referenced nodes; default the whole document ('/*' with URI=""). */
  readonly xpath?: string;
  readonly isEmptyUri?: boolean;
  /** KeyInfo content; default none. */
  readonly keyInfo?: string;
  readonly canonicalization?: string;
  readonly prefix?: string;
  /** Use xml-crypto's own implementation of `algorithm` (which signs with any key size) instead of the profile's. */
  readonly libraryAlgorithm?: boolean;
  /** Use this implementation of `algorithm` (e.g. one that signs with a key the profile would refuse). */
  readonly algorithmClass?: new () => SignatureAlgorithm;
}

/**
 * The profile's `algorithm` signing with a raw private key (tests only: the gateway signs through a Signer).
 * ECDSA as r ‖ s, RSA-PSS with a 32-byte salt, as xmldsig-algorithms.ts verifies. Throws TypeError on a key misfit.
 */
export function keyedXmlAlgorithm(
  algorithm: XmlSignatureAlgorithm,
  key: KeyObject,
): new () => SignatureAlgorithm {
  return xmlCryptoAlgorithm(algorithm, (signedInfo) => {
    if (key.type !== 'private' || !keyFitsXmlAlgorithm(algorithm, key)) {
      throw new TypeError(`the signing key does not fit ${algorithm}`);
    }
    const data = Buffer.from(signedInfo);
    const hash = algorithm === ECDSA_SHA384 ? 'sha384' : algorithm === RSA_SHA512 ? 'sha512' : 'sha256';
    const options =
      algorithm === ECDSA_SHA256 || algorithm === ECDSA_SHA384
        ? { key, dsaEncoding: 'ieee-p1363' as const }
        : algorithm === RSA_PSS_SHA256
          ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
          : { key, padding: constants.RSA_PKCS1_PADDING };
    return sign(hash, data, options).toString('base64');
  });
}

/** Signs exactly as told (xml-crypto), for signatures the gateway must refuse. */
export function signRaw(xml: string, options: RawSignOptions): string {
  const algorithm = options.algorithm ?? ECDSA_SHA256;
  const sig = new SignedXml({
    privateKey: options.privateKey,
    canonicalizationAlgorithm: options.canonicalization ?? EXC_C14N,
    signatureAlgorithm: algorithm,
    getKeyInfoContent: () => options.keyInfo ?? null,
  });
  if (options.algorithmClass !== undefined) {
    sig.SignatureAlgorithms = { ...sig.SignatureAlgorithms, [algorithm]: options.algorithmClass };
  } else if (!options.libraryAlgorithm) {
    sig.SignatureAlgorithms = {
      ...sig.SignatureAlgorithms,
      [algorithm]: keyedXmlAlgorithm(algorithm as XmlSignatureAlgorithm, options.privateKey),
    };
  }
  const wholeDocument = options.xpath === undefined;
  sig.addReference({
    xpath: options.xpath ?? '/*',
    transforms: [...(options.transforms ?? [ENVELOPED_SIGNATURE, EXC_C14N])],
    digestAlgorithm: options.digest ?? SHA256,
    isEmptyUri: options.isEmptyUri ?? wholeDocument,
  });
  sig.computeSignature(xml, { prefix: options.prefix ?? 'ds' });
  return sig.getSignedXml();
}

/** The base64 DER of a signer's certificate, as KeyInfo carries it. */
export function keyInfoOf(signer: Signer): string {
  return `<ds:X509Data><ds:X509Certificate>${signer.certificate.raw.toString('base64')}</ds:X509Certificate></ds:X509Data>`;
}

/** The GatewayError a promise rejects with, or a function throws; fails the test if it is accepted. */
export async function refusalOf(run: Promise<unknown> | (() => unknown)): Promise<GatewayError> {
  try {
    await (typeof run === 'function' ? run() : run);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal, but it was accepted');
}
