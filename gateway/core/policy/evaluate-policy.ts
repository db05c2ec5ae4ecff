/** The policy decision of an evidence request (DESIGN.md stage 6). */
import { policyRef } from './parse-policies.js';
import type { Policy, PolicyDecision, PolicyRequest } from './types.js';

/** Minutes evidence waits for the citizen when a policy requires preview but names no timeout. */
export const DEFAULT_PREVIEW_TIMEOUT_MINUTES = 1440;

/**
 * Decides whether `policies` permit the request. Deny by default: permits only if exactly one policy matches
 * consumer, evidence type, purpose and (if named) provider; if no provider is named the request is routed to
 * the provider of the unique matching policy. Requested fields outside the permitted set are refused, never
 * trimmed; an empty field list is refused too.
 * Spec: DESIGN.md stage 6, PROTOCOL.md §1a (`provider`, `fields`) and §6 (ERR_POLICY_DENIED, ERR_POLICY_FIELDS).
 * Throws nothing: a "no" is the returned PolicyDenial.
 */
export function evaluatePolicy(policies: readonly Policy[], request: PolicyRequest): PolicyDecision {
  const { consumer, provider, evidenceType, purpose } = request;
  const matches = policies.filter(
    (p) =>
      p.consumer === consumer &&
      p.evidenceType === evidenceType &&
      p.purposes.includes(purpose) &&
      (provider === undefined || p.provider === provider),
  );
  const asked = provider === undefined ? '' : ` from ${provider}`;
  if (matches.length === 0) {
    return deny(
      'ERR_POLICY_DENIED',
      `no policy permits ${consumer} to obtain ${evidenceType}${asked} for '${purpose}'`,
    );
  }
  if (matches.length > 1) {
    // Only possible without a provider: the load-time check refuses two policies for the same provider.
    return deny(
      'ERR_POLICY_DENIED',
      `several providers hold ${evidenceType} for '${purpose}': name the provider`,
    );
  }
  const policy = matches[0]!;

  let fields: readonly string[] = policy.fields;
  if (request.fields !== undefined) {
    if (request.fields.length === 0)
      return deny('ERR_POLICY_FIELDS', 'the list of requested fields is empty');
    const excess = [...new Set(request.fields.filter((f) => !policy.fields.includes(f)))];
    if (excess.length > 0) {
      return deny('ERR_POLICY_FIELDS', `fields not permitted for this purpose: ${excess.join(', ')}`);
    }
    fields = policy.fields.filter((f) => request.fields!.includes(f));
  }

  return {
    permit: true,
    policy: policyRef(policy),
    provider: policy.provider,
    legalBasis: policy.legalBasis,
    fields,
    consentRequired: policy.consent.required,
    singleUseAllowed: policy.consent.singleUseAllowed ?? true,
    previewRequired: policy.preview.required,
    previewTimeoutMinutes: policy.preview.timeoutMinutes ?? DEFAULT_PREVIEW_TIMEOUT_MINUTES,
    retention: policy.retention,
  };
}

function deny(code: 'ERR_POLICY_DENIED' | 'ERR_POLICY_FIELDS', reason: string): PolicyDecision {
  return { permit: false, code, reason };
}
