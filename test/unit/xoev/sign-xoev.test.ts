/**
 * The gateway's XÖV signatures verify with any conformant XMLDSig verifier: xml-crypto configured the ordinary
 * way (PEM certificate, its own parser), and an independent verifier built on libxml2's canonicalization and
 * node:crypto that shares no code with the signer.
 */
import { expect } from 'chai';
import { createHash, sign, verify, constants, type KeyObject } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { XmlC14NMode, XmlDocument, type XmlElement } from 'libxml2-wasm';
import { SignedXml } from 'xml-crypto';
import {
  buildXoevRequest,
  checkSignatureProfile,
  ECDSA_SHA256,
  parseXml,
  RSA_PSS_SHA256,
  signXoev,
  XML_DIGEST_ALGORITHMS,
  XML_SIGNATURE_ALGORITHMS,
  xoevRequestDigest,
} from '../../../gateway/core/envelope/xoev/index.js';
import { makeParty } from '../envelope/fake-trust.js';
import { exampleSigner, requestContent, requestHeader } from './xoev-fixtures.js';

const DS = 'http://www.w3.org/2000/09/xmldsig#';

/** ECDSA for xml-crypto, written here from XMLDSig 1.1 §6.4.3 (r ‖ s), independent of the project's. */
class IndependentEcdsaSha256 {
  getSignature(data: string, key: KeyObject): string {
    return sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }).toString('base64');
  }
  verifySignature(data: string, key: string, value: string): boolean {
    return verify(
      'sha256',
      Buffer.from(data),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(value, 'base64'),
    );
  }
  getAlgorithmName(): string {
    return ECDSA_SHA256;
  }
}

function pemOf(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
}

function verifyWithXmlCrypto(xml: string, certificatePem: string): boolean {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const signature = doc.getElementsByTagNameNS(DS, 'Signature')[0]!;
  const verifier = new SignedXml({ publicCert: certificatePem });
  verifier.SignatureAlgorithms = {
    ...verifier.SignatureAlgorithms,
    [ECDSA_SHA256]: IndependentEcdsaSha256 as never,
  };
  verifier.loadSignature(signature as never);
  try {
    return verifier.checkSignature(xml);
  } catch {
    return false;
  }
}

/**
 * XMLDSig core validation by hand: libxml2 parses and canonicalizes (exclusive c14n), node:crypto hashes and
 * verifies. Enveloped-signature transform = remove the Signature element, then canonicalize the document.
 */
function verifyIndependently(xml: string, publicKey: KeyObject): boolean {
  const doc = XmlDocument.fromString(xml);
  try {
    const ns = { ds: DS };
    const text = (xpath: string) => String(doc.eval(`string(${xpath})`, ns));
    const algorithm = text('/*/ds:Signature/ds:SignedInfo/ds:SignatureMethod/@Algorithm');
    const digestValue = text('/*/ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue');
    const signatureValue = text('/*/ds:Signature/ds:SignatureValue');
    if (
      text('/*/ds:Signature/ds:SignedInfo/ds:Reference/@URI') !== '' ||
      doc.find('//ds:Reference', ns).length !== 1
    ) {
      return false;
    }
    const signedInfo = doc.get('/*/ds:Signature/ds:SignedInfo', ns)!;
    const canonicalSignedInfo = signedInfo.canonicalizeToString({ mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 });
    (doc.get('/*/ds:Signature', ns) as XmlElement).remove();
    const canonicalDocument = doc.canonicalizeToString({ mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 });
    if (createHash('sha256').update(canonicalDocument).digest('base64') !== digestValue) return false;
    const value = Buffer.from(signatureValue, 'base64');
    if (algorithm === ECDSA_SHA256) {
      return verify(
        'sha256',
        Buffer.from(canonicalSignedInfo),
        { key: publicKey, dsaEncoding: 'ieee-p1363' },
        value,
      );
    }
    if (algorithm === RSA_PSS_SHA256) {
      const options = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      return verify('sha256', Buffer.from(canonicalSignedInfo), options, value);
    }
    return false;
  } finally {
    doc.dispose();
  }
}

const unsigned = buildXoevRequest(
  requestHeader({ autor: { id: 'ags:09999002', name: 'Landkreis Beispielkreis – Elterngeldstelle' } }),
  requestContent({ actor: 'Sachbearbeitung Müller & Söhne <Team 3>' }),
);

describe('signXoev', () => {
  const signer = exampleSigner('ags:09999002');
  const signed = signXoev(signer, unsigned);

  it('writes one enveloped signature in the gateway profile, with the certificate in KeyInfo', () => {
    const root = parseXml(signed);
    const profile = checkSignatureProfile(root, {
      signatureAlgorithms: XML_SIGNATURE_ALGORITHMS,
      digestAlgorithms: XML_DIGEST_ALGORITHMS,
    });
    expect(profile.signatureAlgorithm).to.equal(ECDSA_SHA256);
    expect(profile.keyHintKid).to.equal(signer.kid);
    expect(signed.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).to.equal(true);
  });

  it('verifies with xml-crypto configured the ordinary way (PEM certificate)', () => {
    expect(verifyWithXmlCrypto(signed, pemOf(signer.certificate.raw))).to.equal(true);
  });

  it('verifies with an independent verifier on libxml2 canonicalization', () => {
    expect(verifyIndependently(signed, signer.certificate.publicKey)).to.equal(true);
  });

  it('fails both verifiers once a signed character changes', () => {
    const tampered = signed.replace('93141705862', '20561748335');
    expect(verifyWithXmlCrypto(tampered, pemOf(signer.certificate.raw))).to.equal(false);
    expect(verifyIndependently(tampered, signer.certificate.publicKey)).to.equal(false);
  });

  it('fails both verifiers with another participant’s key', () => {
    const other = exampleSigner('ags:09999001');
    expect(verifyWithXmlCrypto(signed, pemOf(other.certificate.raw))).to.equal(false);
    expect(verifyIndependently(signed, other.certificate.publicKey)).to.equal(false);
  });

  it('signs with RSA-PSS for a PS256 signer, verifiable independently', () => {
    const party = makeParty('ags:09999002', ['consumer'], 'PS256');
    const pss = signXoev(party.signer, unsigned);
    expect(pss).to.include(RSA_PSS_SHA256);
    expect(verifyIndependently(pss, party.resolved.publicKey)).to.equal(true);
  });

  it('refuses an EdDSA signer, which the XMLDSig profile does not allow, with TypeError', () => {
    const party = makeParty('ags:09999002', ['consumer'], 'EdDSA');
    expect(() => signXoev(party.signer, unsigned)).to.throw(TypeError);
  });
});

describe('xoevRequestDigest', () => {
  it('is the base64url SHA-256 of the document’s UTF-8 bytes', () => {
    const xml = '<a>Müller</a>';
    const expected = createHash('sha256').update(Buffer.from(xml, 'utf8')).digest('base64url');
    expect(xoevRequestDigest(xml)).to.equal(expected).and.to.have.lengthOf(43);
  });
});
