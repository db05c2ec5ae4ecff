/** Runs policy test cases against a policy set (`oog policy test`, test/policies.test.ts). */
import { evaluatePolicy } from './evaluate-policy.js';
import type { Policy, PolicyDecision, PolicyTestCase, PolicyTestResult } from './types.js';

/**
 * Evaluates every case and compares the decision with its expectation: permit, and where given the denial code,
 * the released fields (as a set), the permitting policy (`id` or `id@version`) and the routed provider.
 * Spec: issue 2 item 5. Pure; throws nothing.
 */
export function runPolicyTests(
  policies: readonly Policy[],
  cases: readonly PolicyTestCase[],
): PolicyTestResult[] {
  return cases.map((c) => {
    const decision = evaluatePolicy(policies, c.request);
    const mismatches = compare(c.expect, decision);
    return {
      name: c.name,
      source: c.source,
      pass: mismatches.length === 0,
      explanation:
        mismatches.length === 0
          ? `as expected: ${describe(decision)}`
          : `${mismatches.join('; ')} (${describe(decision)})`,
      decision,
    };
  });
}

function compare(expect: PolicyTestCase['expect'], decision: PolicyDecision): string[] {
  const out: string[] = [];
  if (expect.permit !== decision.permit) {
    out.push(`expected ${expect.permit ? 'permit' : 'deny'}, got ${decision.permit ? 'permit' : 'deny'}`);
    return out;
  }
  if (!decision.permit) {
    if (expect.code !== undefined && expect.code !== decision.code) {
      out.push(`expected ${expect.code}, got ${decision.code}`);
    }
    return out;
  }
  if (expect.fields !== undefined && !sameSet(expect.fields, decision.fields)) {
    out.push(`expected fields [${expect.fields.join(', ')}], got [${decision.fields.join(', ')}]`);
  }
  if (expect.policy !== undefined) {
    const got = expect.policy.includes('@')
      ? `${decision.policy.id}@${decision.policy.version}`
      : decision.policy.id;
    if (got !== expect.policy) out.push(`expected policy ${expect.policy}, got ${got}`);
  }
  if (expect.provider !== undefined && expect.provider !== decision.provider) {
    out.push(`expected provider ${expect.provider}, got ${decision.provider}`);
  }
  return out;
}

function describe(decision: PolicyDecision): string {
  if (!decision.permit) return `deny ${decision.code}: ${decision.reason}`;
  return (
    `permit by ${decision.policy.id}@${decision.policy.version} from ${decision.provider}, ` +
    `fields [${decision.fields.join(', ')}], consent ${decision.consentRequired ? 'required' : 'not required'}, ` +
    `preview ${decision.previewRequired ? 'required' : 'not required'}`
  );
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}
