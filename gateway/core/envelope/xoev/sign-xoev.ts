/**
 * Signing an XÖV message with one enveloped XMLDSig signature over the whole document (PROTOCOL.md §1b, §2):
 * Reference URI="", transforms enveloped-signature + exclusive c14n, SHA-256, and the signer's algorithm
 * (ES256 key → ecdsa-sha256, PS256 key → RSA-PSS). KeyInfo carries the signer's certificate for any
 * verifier that wants it; the gateway's own readers ignore it.
 */
import { SignedXml } from 'xml-crypto';
import type { Signer } from '../../ports.js';
import { xmlAlgorithmOf, xmlCryptoAlgorithm, xmlSignatureFunction } from './xmldsig-algorithms.js';
import { ENVELOPED_SIGNATURE, EXC_C14N, SHA256 } from './xoev-constants.js';
import { sha256b64u } from '../../encoding.js';

/**
 * Returns `xml` with an enveloped ds:Signature appended as the last child of its root (XMLDSig core §3.1).
 * `xml` is the gateway's own message (buildXoev*), or any well-formed document with one root. Throws TypeError
 * if the signer's key has no XMLDSig algorithm in the profile (EdDSA), does not fit it, or the signer cannot
 * sign synchronously (ports.ts `Signer.signSync`: xml-crypto's signing below is the synchronous flow).
 */
export function signXoev(signer: Signer, xml: string): string {
  const algorithm = xmlAlgorithmOf(signer);
  const sign = xmlSignatureFunction(algorithm, signer);
  const certificate = signer.certificate.raw.toString('base64');
  const sig = new SignedXml({
    // xml-crypto requires some private key before it signs; the algorithm below ignores it and calls the
    // signer, so this placeholder is all the key material xml-crypto ever sees.
    privateKey: 'key held by the signer',
    canonicalizationAlgorithm: EXC_C14N,
    signatureAlgorithm: algorithm,
    getKeyInfoContent: () =>
      `<ds:X509Data><ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data>`,
  });
  sig.SignatureAlgorithms = { [algorithm]: xmlCryptoAlgorithm(algorithm, sign) };
  sig.addReference({
    xpath: '/*',
    transforms: [ENVELOPED_SIGNATURE, EXC_C14N],
    digestAlgorithm: SHA256,
    isEmptyUri: true,
  });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: '/*', action: 'append' } });
  return sig.getSignedXml();
}

/**
 * The `anfrageDigest` (requestDigest, PROTOCOL.md §1c) of a forwarded XÖV request: base64url SHA-256 of the
 * document's UTF-8 bytes, exactly as sent.
 */
export function xoevRequestDigest(xml: string): string {
  return sha256b64u(Buffer.from(xml, 'utf8'));
}
