/**
 * The XÖV envelope (PROTOCOL.md §1b, §2, §1c, §6; DESIGN.md "envelope"): reading and writing the project's
 * XÖV messages with XMLDSig and XSD validation.
 */
export {
  NACHWEIS_NS,
  G2G_NS,
  BEHOERDE_NS,
  DSIG_NS,
  NACHRICHTENTYP_LIST_URI,
  NACHRICHTENTYP_LIST_VERSION,
  FEHLERCODE_LIST_URI,
  FEHLERCODE_LIST_VERSION,
  XOEV_MESSAGE_TYPES,
  XML_SIGNATURE_ALGORITHMS,
  XML_DIGEST_ALGORITHMS,
  RSA_SHA256,
  RSA_SHA512,
  RSA_PSS_SHA256,
  ECDSA_SHA256,
  ECDSA_SHA384,
  SHA256,
  SHA512,
  EXC_C14N,
  ENVELOPED_SIGNATURE,
} from './xoev-constants.js';
export type {
  XoevMessageType,
  XoevMessageTypeSpec,
  XmlSignatureAlgorithm,
  XmlDigestAlgorithm,
} from './xoev-constants.js';
export { gateXml, DEFAULT_XML_GATE_LIMITS } from './gate-xml.js';
export type { XmlGateLimits } from './gate-xml.js';
export { parseXml, compileXoevSchemas } from './parse-xml.js';
export type { XoevSchemaFiles, XoevSchemas, ValidatedXml, ParseXmlOptions } from './parse-xml.js';
export type { XmlEl, XmlAttr, XmlChild } from './xml-tree.js';
export { readXoevHeader, parseXsDateTime } from './read-header.js';
export type { XoevHeader, XoevHeaderForm, XoevParty, XoevCode, XsDateTime } from './read-header.js';
export { openSignedXoev, XOEV_STEPS } from './open-signed-xoev.js';
export type { OpenXoevOptions, OpenedXoev, XoevStep } from './open-signed-xoev.js';
export {
  createXoevRequestReader,
  createXoevRequestVerifier,
  claimedOfXoev,
} from './create-xoev-request-reader.js';
export type {
  XoevRequestReaderOptions,
  VerifiedXoevRequest,
  XoevRequestVerifier,
} from './create-xoev-request-reader.js';
export { createXoevForwardedRequestVerifier } from './create-xoev-forwarded-request-verifier.js';
export type {
  XoevForwardedRequestVerifierOptions,
  VerifiedXoevForwardedRequest,
  XoevForwardedRequestVerifier,
} from './create-xoev-forwarded-request-verifier.js';
export { createXoevEvidenceVerifier } from './create-xoev-evidence-verifier.js';
export type {
  XoevEvidenceVerifierOptions,
  XoevAnswer,
  XoevExpectedEvidence,
  VerifiedXoevEvidence,
  XoevEvidenceVerifier,
} from './create-xoev-evidence-verifier.js';
export { createXoevForwarder } from './create-xoev-forwarder.js';
export type { XoevForwarderOptions, XoevForwarder } from './create-xoev-forwarder.js';
export { createXoevWireFormat } from './create-xoev-wire-format.js';
export type { XoevWireFormatOptions } from './create-xoev-wire-format.js';
export {
  buildXoevRequest,
  buildXoevForwardedRequest,
  buildXoevEvidence,
  buildXoevRejection,
  toDinText,
} from './build-xoev.js';
export type {
  XoevHeaderInput,
  XoevParticipantRef,
  XoevRequestContent,
  XoevForwardedContent,
  XoevEvidenceContent,
  XoevRejectionContent,
} from './build-xoev.js';
export { signXoev, xoevRequestDigest } from './sign-xoev.js';
export { signXoevRequest, signXoevEvidence, signXoevRejection } from './sign-xoev-messages.js';
export type { XoevSigningContext, XoevAddressing } from './sign-xoev-messages.js';
export { explainXoev } from './explain-xoev.js';
export type { XoevExplainOptions, XoevExplanation } from './explain-xoev.js';
export {
  readRequestContent,
  readForwardedContent,
  readEvidenceContent,
  readRejectionContent,
} from './read-content.js';
export type {
  XoevRequestClaims,
  XoevForwardedClaims,
  XoevEvidenceClaims,
  XoevRejectionClaims,
} from './read-content.js';
export { XOEV_EVIDENCE_FIELDS, readEvidenceData } from './evidence-data.js';
export type { XoevEvidenceData } from './evidence-data.js';
export {
  keyFitsXmlAlgorithm,
  xmlSignatureFunction,
  verifyXmlBytes,
  xmlAlgorithmOf,
  xmlCryptoAlgorithm,
} from './xmldsig-algorithms.js';
export { checkSignatureProfile } from './check-signature-profile.js';
export type { SignatureProfile, SignatureAllowList } from './check-signature-profile.js';
