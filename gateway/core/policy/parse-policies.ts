/**
 * Loads purpose-binding policies from their YAML text (DESIGN.md stage 6, PROTOCOL.md §7): strict YAML, schema
 * validation against schemas/policy.schema.json, and checks across files, each problem named by file and line.
 */
import { canonicalJson } from '../canonical-json.js';
import { sha256b64u } from '../encoding.js';
import type { PolicyRef } from '../ports.js';
import { PolicyLoadError, formatPosition, type PolicyLoadIssue } from './policy-load-error.js';
import { readYamlFile, type SourceFile } from './read-yaml-file.js';
import { validatePolicyDocument } from './schema-validators.js';
import type { Policy } from './types.js';

type PolicyContent = Omit<Policy, 'hash' | 'source'>;

/**
 * Parses, validates and freezes a set of policies; files are taken in the given order.
 * Spec: PROTOCOL.md §7, DESIGN.md stage 6 (deny by default needs an unambiguous policy set).
 * Throws PolicyLoadError (listing every issue as `file:line:column: …`) on broken YAML, duplicate keys, schema
 * violations, duplicate policy ids, or two policies granting the same (consumer, provider, evidenceType, purpose).
 */
export function parsePolicies(files: readonly SourceFile[]): Policy[] {
  const issues: PolicyLoadIssue[] = [];
  const policies: Policy[] = [];
  const ids = new Map<string, PolicyLoadIssue>();
  const grants = new Map<string, { id: string; at: PolicyLoadIssue }>();

  for (const file of files) {
    const read = readYamlFile(file, validatePolicyDocument);
    issues.push(...read.issues);
    if (read.data === undefined) continue;
    const content = read.data as PolicyContent;

    const idAt = read.locate(['id'], '');
    const firstId = ids.get(content.id);
    if (firstId) {
      issues.push({
        ...idAt,
        message: `duplicate policy id '${content.id}' (first at ${formatPosition(firstId)})`,
      });
      continue;
    }
    ids.set(content.id, idAt);

    content.purposes.forEach((purpose, i) => {
      const key = grantKey(content.consumer, content.provider, content.evidenceType, purpose);
      const at = read.locate(['purposes', i], '');
      const first = grants.get(key);
      if (first) {
        issues.push({
          ...at,
          message:
            `policy '${content.id}' grants ${content.consumer} ${content.evidenceType} from ${content.provider} ` +
            `for '${purpose}' as policy '${first.id}' already does (${formatPosition(first.at)})`,
        });
      } else {
        grants.set(key, { id: content.id, at });
      }
    });

    policies.push(deepFreeze({ ...content, hash: hashPolicyContent(content), source: file.name }));
  }
  if (issues.length > 0) throw new PolicyLoadError(issues);
  return policies;
}

/** base64url SHA-256 of a policy's canonical JSON, without its `hash` and `source` (PolicyRef.hash). */
export function hashPolicyContent(policy: PolicyContent | Policy): string {
  const { hash: _hash, source: _source, ...content } = policy as Policy;
  return sha256b64u(canonicalJson(content));
}

/** The reference a decision and a transfer record carry: id, version and hash. */
export function policyRef(policy: Policy): PolicyRef {
  return { id: policy.id, version: policy.version, hash: policy.hash };
}

function grantKey(consumer: string, provider: string, evidenceType: string, purpose: string): string {
  return JSON.stringify([consumer, provider, evidenceType, purpose]);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
