/** The envelope part (DESIGN.md "The parts"): reading and writing signed JSON messages (JWS). */
export {
  parseStrictJson,
  STRICT_JSON_DEFAULT_MAX_DEPTH,
  STRICT_JSON_DEFAULT_MAX_LENGTH,
} from './strict-json.js';
export type { StrictJsonOptions } from './strict-json.js';
export { EnvelopeError, attachClaimed, pickClaimedValues } from './envelope-error.js';
export type { ClaimedValues, EnvelopeErrorOptions } from './envelope-error.js';
export {
  verifyCompactJws,
  assertAlgorithms,
  keyFitsAlgorithm,
  SUPPORTED_ALGORITHMS,
  JWS_DEFAULT_MAX_LENGTH,
} from './verify-jws.js';
export type { JwsAlgorithm, JwsHeader, VerifyCompactJwsOptions, VerifiedJws } from './verify-jws.js';
export { signCompactJws } from './sign-jws.js';
export { requestDigest } from './digest.js';
export { checkFreshness } from './check-freshness.js';
export type { Freshness, FreshnessLimits } from './check-freshness.js';
export { checkSubjectIdnr, checkParticipantClaims } from './check-identifiers.js';
export { compileSchema } from './compile-schema.js';
export type { SchemaCheck } from './compile-schema.js';
export { createEvidenceRequestVerifier, EVIDENCE_REQUEST_TYP } from './verify-evidence-request.js';
export type {
  EvidenceRequestClaims,
  EvidenceRequestVerifier,
  EvidenceRequestVerifierOptions,
  VerifiedEvidenceRequest,
} from './verify-evidence-request.js';
export { createEvidenceVerifier, DEFAULT_EVIDENCE_SCHEMAS, EVIDENCE_TYP } from './verify-evidence.js';
export type {
  EvidenceClaims,
  EvidenceVerifier,
  EvidenceVerifierOptions,
  ExpectedEvidence,
  VerifiedEvidence,
} from './verify-evidence.js';
export { createAgencyAuthVerifier, AGENCY_AUTH_TYP } from './verify-agency-auth.js';
export type { AgencyAuth, AgencyAuthVerifier, AgencyAuthVerifierOptions } from './verify-agency-auth.js';
export { createForwardedRequestVerifier, FORWARDED_REQUEST_TYP } from './verify-forwarded-request.js';
export type {
  ForwardedRequestClaims,
  ForwardedRequestVerifier,
  ForwardedRequestVerifierOptions,
  VerifiedForwardedRequest,
} from './verify-forwarded-request.js';
// The wire formats the exchange takes (gateway/core/exchange/types.ts WireFormat).
export { createJsonWireFormat } from './json/index.js';
export type { JsonWireFormatOptions } from './json/index.js';
export { createXoevWireFormat } from './xoev/index.js';
export type { XoevWireFormatOptions } from './xoev/index.js';
// XÖV (PROTOCOL.md §1b): what the outer layers need of gateway/core/envelope/xoev/.
export { claimedOfXoev, explainXoev, signXoevRequest } from './xoev/index.js';
export type { XoevExplanation } from './xoev/index.js';
