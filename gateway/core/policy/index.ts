export { addIsoDuration } from './add-iso-duration.js';
export { isCode, isFieldName } from './codes.js';
export { DEFAULT_PREVIEW_TIMEOUT_MINUTES, evaluatePolicy } from './evaluate-policy.js';
export { hashPolicyContent, parsePolicies, policyRef } from './parse-policies.js';
export { parsePolicyTests } from './parse-policy-tests.js';
export { PolicyLoadError, formatIssue, formatPosition } from './policy-load-error.js';
export type { PolicyLoadIssue } from './policy-load-error.js';
export type { SourceFile } from './read-yaml-file.js';
export { runPolicyTests } from './run-policy-tests.js';
export type {
  Policy,
  PolicyDecision,
  PolicyDenial,
  PolicyPermit,
  PolicyRequest,
  PolicyTestCase,
  PolicyTestResult,
} from './types.js';
