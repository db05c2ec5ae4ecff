/** Loads policy test files (schemas/policy-test.schema.json) with every problem named by file and line. */
import { PolicyLoadError, formatPosition, type PolicyLoadIssue } from './policy-load-error.js';
import { readYamlFile, type SourceFile } from './read-yaml-file.js';
import { validatePolicyTestDocument } from './schema-validators.js';
import type { PolicyTestCase } from './types.js';

/**
 * Parses policy test files into cases, each carrying `source` = `file:line:column` of the case.
 * Spec: issue 2 item 5 (policy tests run by `npm test` and `oog policy test`).
 * Throws PolicyLoadError on broken YAML, duplicate keys, schema violations or duplicate case names in one file.
 */
export function parsePolicyTests(files: readonly SourceFile[]): PolicyTestCase[] {
  const issues: PolicyLoadIssue[] = [];
  const cases: PolicyTestCase[] = [];
  for (const file of files) {
    const read = readYamlFile(file, validatePolicyTestDocument);
    issues.push(...read.issues);
    if (read.data === undefined) continue;
    const names = new Set<string>();
    (read.data as { cases: Omit<PolicyTestCase, 'source'>[] }).cases.forEach((c, i) => {
      const at = read.locate(['cases', i], '');
      if (names.has(c.name)) issues.push({ ...at, message: `duplicate case name '${c.name}'` });
      names.add(c.name);
      cases.push({ ...c, source: formatPosition(at) });
    });
  }
  if (issues.length > 0) throw new PolicyLoadError(issues);
  return cases;
}
