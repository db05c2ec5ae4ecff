/**
 * XMLDSig verification with xml-crypto under SECURITY.md's rules: a new SignedXml for every attempt, the key
 * pinned from the trust store (`publicCert`) with KeyInfo made irrelevant (`getCertFromKeyInfo: () => null`),
 * only the profile's algorithms registered, a thrown error treated exactly like `false`, and the business data
 * taken from what the signature covered (getSignedReferences), never from the raw input.
 */
import { DOMParser } from '@xmldom/xmldom';
import type { KeyObject } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { GatewayError } from '../../errors.js';
import type { SignatureProfile } from './check-signature-profile.js';
import { xmlCryptoAlgorithm } from './xmldsig-algorithms.js';
import { DSIG_NS, ENVELOPED_SIGNATURE, EXC_C14N } from './xoev-constants.js';

/** The DOM node type xml-crypto's loadSignature takes (the project compiles without the DOM lib). */
type SignatureNode = Exclude<Parameters<SignedXml['loadSignature']>[0], string>;

/** A document prepared for verification: parsed once by xmldom, its one ds:Signature located. */
export interface XmlDsigInput {
  readonly text: string;
  readonly signature: SignatureNode;
  readonly profile: SignatureProfile;
}

/**
 * Parses `text` (already through gateXml, parseXml and checkSignatureProfile) with xmldom, as xml-crypto
 * needs, and finds its signature. Throws ERR_REQUEST_MALFORMED if xmldom reports anything or does not see
 * exactly one ds:Signature (a parser differential: refuse rather than guess).
 */
export function prepareXmlDsig(text: string, profile: SignatureProfile): XmlDsigInput {
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        throw new Error(`${level}: ${message}`);
      },
    }).parseFromString(text, 'text/xml');
  } catch (error) {
    throw new GatewayError('ERR_REQUEST_MALFORMED', 'not well-formed XML', { cause: error });
  }
  const signatures = doc.getElementsByTagNameNS(DSIG_NS, 'Signature');
  if (signatures.length !== 1 || signatures[0] === undefined || signatures[0] === null) {
    throw new GatewayError('ERR_REQUEST_MALFORMED', 'not exactly one ds:Signature');
  }
  return { text, signature: signatures[0] as unknown as SignatureNode, profile };
}

function pick<T>(map: Record<string, T>, keys: readonly string[]): Record<string, T> {
  const picked: Record<string, T> = {};
  for (const key of keys) if (map[key] !== undefined) picked[key] = map[key];
  return picked;
}

/**
 * Verifies the prepared document's signature with `key` (XMLDSig core validation: the one Reference's digest,
 * then SignatureValue over the canonical SignedInfo). Returns the canonical XML the signature covers — the
 * whole document without its signature, exclusive c14n — or undefined if it does not verify with this key
 * for any reason (xml-crypto's `false` and its exceptions alike). Never throws for a bad signature.
 */
export function verifyXmlDsig(input: XmlDsigInput, key: KeyObject): string | undefined {
  const verifier = new SignedXml({ publicCert: key, getCertFromKeyInfo: () => null });
  // Only what the profile allows is even registered: a document naming anything else cannot verify.
  verifier.SignatureAlgorithms = {
    [input.profile.signatureAlgorithm]: xmlCryptoAlgorithm(input.profile.signatureAlgorithm),
  };
  verifier.HashAlgorithms = pick(verifier.HashAlgorithms, [input.profile.digestAlgorithm]);
  verifier.CanonicalizationAlgorithms = pick(verifier.CanonicalizationAlgorithms, [
    EXC_C14N,
    ENVELOPED_SIGNATURE,
  ]);
  try {
    verifier.loadSignature(input.signature);
    if (verifier.checkSignature(input.text) !== true) return undefined;
    const references = verifier.getReferences();
    const signed = verifier.getSignedReferences();
    if (references.length !== 1 || references[0]?.uri !== '' || signed.length !== 1) return undefined;
    return signed[0];
  } catch {
    return undefined;
  }
}
