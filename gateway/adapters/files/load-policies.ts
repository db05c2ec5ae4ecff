/**
 * Reads policies (policies/*.yaml) and policy tests (policies/tests/*.yaml) from disk and hands them to the
 * core's parsers. Files are read in name order, so the result and the error messages are stable. Names in
 * messages are relative to `relativeTo` (default: the working directory), e.g. `policies/x.yaml`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import {
  parsePolicies,
  parsePolicyTests,
  type Policy,
  type PolicyTestCase,
  type SourceFile,
} from '../../core/policy/index.js';

export interface LoadOptions {
  /** Directory the file names in messages are relative to (default `process.cwd()`). */
  readonly relativeTo?: string;
}

/** Loads every *.yaml / *.yml policy in `dir` (not its subfolders). Throws PolicyLoadError naming file and line. */
export function loadPolicies(dir: string, options: LoadOptions = {}): Policy[] {
  return parsePolicies(readYamlFiles(dir, options));
}

/** Loads every policy test file in `dir`. Throws PolicyLoadError naming file and line. */
export function loadPolicyTests(dir: string, options: LoadOptions = {}): PolicyTestCase[] {
  return parsePolicyTests(readYamlFiles(dir, options));
}

function readYamlFiles(dir: string, options: LoadOptions): SourceFile[] {
  const base = resolve(options.relativeTo ?? process.cwd());
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const path = resolve(join(dir, name));
      return { name: relative(base, path).split(sep).join('/'), text: readFileSync(path, 'utf8') };
    });
}
