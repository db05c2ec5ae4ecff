/** The policy model (schemas/policy.schema.json) and the values evaluatePolicy and runPolicyTests return. */
import type { PolicyRef } from '../ports.js';

/** A purpose-binding policy as loaded from policies/*.yaml, validated, defaults applied, deep-frozen. */
export interface Policy {
  readonly id: string;
  readonly version: string;
  readonly description: string;
  readonly consumer: string;
  readonly provider: string;
  readonly evidenceType: string;
  readonly purposes: readonly string[];
  readonly legalBasis: string;
  readonly fields: readonly string[];
  readonly consent: { readonly required: boolean; readonly singleUseAllowed?: boolean };
  readonly preview: { readonly required: boolean; readonly timeoutMinutes?: number };
  /** ISO 8601 duration, date part only; P2Y unless the file says otherwise. */
  readonly retention: string;
  readonly dataCategories: readonly string[];
  readonly dataSubjects?: readonly string[];
  readonly controller: {
    readonly name: string;
    readonly contact: string;
    readonly dataProtectionOfficer?: string;
  };
  readonly recipients: string;
  /** base64url SHA-256 of the canonical JSON of the fields above (not of `hash` or `source`). */
  readonly hash: string;
  /** The file it came from, e.g. `policies/wohngeld-meldebescheinigung.yaml` (not part of the hash). */
  readonly source: string;
}

/** What is asked: who wants which evidence from whom, for which purpose, and which fields. */
export interface PolicyRequest {
  readonly consumer: string;
  /** Absent: routed to the provider of the unique policy matching consumer, evidence type and purpose. */
  readonly provider?: string;
  readonly evidenceType: string;
  readonly purpose: string;
  /** Absent: every field the policy permits. An empty list is refused (ERR_POLICY_FIELDS). */
  readonly fields?: readonly string[];
}

export interface PolicyPermit {
  readonly permit: true;
  readonly policy: PolicyRef;
  /** The provider to ask (the request's, or the routed one). */
  readonly provider: string;
  readonly legalBasis: string;
  /** The fields to request and release: permitted ∩ requested, in the policy's order. */
  readonly fields: readonly string[];
  readonly consentRequired: boolean;
  /** Whether a single-use consent satisfies the policy (pass to ConsentService.checkForExchange). */
  readonly singleUseAllowed: boolean;
  readonly previewRequired: boolean;
  /** Minutes evidence waits for the citizen; meaningful only when previewRequired. */
  readonly previewTimeoutMinutes: number;
  /** ISO 8601 duration the transfer log keeps the record (see addIsoDuration). */
  readonly retention: string;
}

export interface PolicyDenial {
  readonly permit: false;
  readonly code: 'ERR_POLICY_DENIED' | 'ERR_POLICY_FIELDS';
  /** Safe to show the consumer: names only what it asked for. */
  readonly reason: string;
}

export type PolicyDecision = PolicyPermit | PolicyDenial;

/** One case of a policy test file (schemas/policy-test.schema.json). */
export interface PolicyTestCase {
  readonly name: string;
  readonly request: PolicyRequest;
  readonly expect: {
    readonly permit: boolean;
    readonly code?: PolicyDenial['code'];
    readonly fields?: readonly string[];
    /** `id` or `id@version` of the permitting policy. */
    readonly policy?: string;
    readonly provider?: string;
  };
  /** Where the case is written, `policies/tests/x.yaml:12:5`. */
  readonly source: string;
}

export interface PolicyTestResult {
  readonly name: string;
  readonly source: string;
  readonly pass: boolean;
  /** What was expected and what was decided, in one line. */
  readonly explanation: string;
  readonly decision: PolicyDecision;
}
