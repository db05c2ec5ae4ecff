/**
 * Names the XÖV envelope depends on (PROTOCOL.md §1b): namespaces, the project's message types and code lists
 * (schemas/xoev/oog-nachweis.xsd, schemas/codes/), and the XMLDSig algorithm identifiers of the allow-lists
 * (SECURITY.md "XML signatures"; RFC 6931 for the URIs).
 */

export const NACHWEIS_NS = 'urn:oog:schemata:nachweis:1';
export const G2G_NS = 'http://xoev.de/schemata/basisnachricht/g2g/1_1';
export const BEHOERDE_NS = 'http://xoev.de/schemata/basisnachricht/behoerde/1_1';
export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** `standard` and `version` attributes the gateway writes on its messages. */
export const XOEV_STANDARD = 'OOG-Nachweis';
export const XOEV_VERSION = '1.0';
export const XOEV_PRODUCT = 'Once-Only Gateway';
export const XOEV_VENDOR = 'Once-Only Gateway project';

/** The code list of message types (schemas/codes/oog-nachrichtentyp_1.xml): its `listURI` and `listVersionID`. */
export const NACHRICHTENTYP_LIST_URI = 'urn:oog:codeliste:nachrichtentyp';
export const NACHRICHTENTYP_LIST_VERSION = '1';

/** The code list of error codes (schemas/codes/oog-fehlercode_1.xml), PROTOCOL.md §6. */
export const FEHLERCODE_LIST_URI = 'urn:oog:codeliste:fehlercode';
export const FEHLERCODE_LIST_VERSION = '1';

/** The DVDV as `verzeichnisdienst` (KoSIT code list urn:xoev-de:kosit:codeliste:verzeichnisdienst). */
export const VERZEICHNISDIENST_LIST_URI = 'urn:xoev-de:kosit:codeliste:verzeichnisdienst';
export const VERZEICHNISDIENST_LIST_VERSION = '3';
export const DVDV = 'DVDV';

export type XoevMessageType = 'nachweisanfrage' | 'weiterleitung' | 'nachweisantwort' | 'rueckweisung';

export interface XoevMessageTypeSpec {
  /** The root element's local name (namespace NACHWEIS_NS). */
  readonly element: string;
  /** Its code in the nachrichtentyp code list. */
  readonly code: string;
}

/** Every message type of schemas/xoev/oog-nachweis.xsd with its root element and code. */
export const XOEV_MESSAGE_TYPES: Readonly<Record<XoevMessageType, XoevMessageTypeSpec>> = Object.freeze({
  nachweisanfrage: { element: 'nachweisanfrage.0101', code: '0101' },
  weiterleitung: { element: 'nachweisanfrage.weiterleitung.0102', code: '0102' },
  nachweisantwort: { element: 'nachweisantwort.0201', code: '0201' },
  rueckweisung: { element: 'rueckweisung.0901', code: '0901' },
});

/** The message type whose root element has this local name, if any. */
export function messageTypeOfElement(localName: string): XoevMessageType | undefined {
  for (const [type, spec] of Object.entries(XOEV_MESSAGE_TYPES)) {
    if (spec.element === localName) return type as XoevMessageType;
  }
  return undefined;
}

// XMLDSig algorithm identifiers -------------------------------------------------------------------------------

export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const RSA_SHA512 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512';
/** RSASSA-PSS with SHA-256 and MGF1-SHA-256, salt length 32 (RFC 6931 §2.3.10). */
export const RSA_PSS_SHA256 = 'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1';
export const ECDSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256';
export const ECDSA_SHA384 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384';

export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
export const SHA512 = 'http://www.w3.org/2001/04/xmlenc#sha512';

export type XmlSignatureAlgorithm =
  typeof RSA_SHA256 | typeof RSA_SHA512 | typeof RSA_PSS_SHA256 | typeof ECDSA_SHA256 | typeof ECDSA_SHA384;

export type XmlDigestAlgorithm = typeof SHA256 | typeof SHA512;

/** SECURITY.md's allow-list: RSA-SHA256/512, RSA-PSS, ECDSA-SHA256/384. Never HMAC, never SHA-1. */
export const XML_SIGNATURE_ALGORITHMS: readonly XmlSignatureAlgorithm[] = Object.freeze([
  RSA_SHA256,
  RSA_SHA512,
  RSA_PSS_SHA256,
  ECDSA_SHA256,
  ECDSA_SHA384,
]);

export const XML_DIGEST_ALGORITHMS: readonly XmlDigestAlgorithm[] = Object.freeze([SHA256, SHA512]);
