/**
 * Reads one YAML file strictly (YAML 1.2 core schema, unique keys, one document, no unknown tags, few aliases)
 * and validates it against a JSON Schema, reporting every problem at the line and column of the offending node.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { PolicyLoadIssue } from './policy-load-error.js';

export interface SourceFile {
  /** Shown in messages, e.g. `policies/wohngeld-meldebescheinigung.yaml`. */
  readonly name: string;
  readonly text: string;
}

export interface ReadYamlResult {
  /** The validated data (schema defaults applied), or undefined if there were issues. */
  readonly data: unknown;
  readonly issues: PolicyLoadIssue[];
  /**
   * An issue placed at the node at a JSON-pointer-like path (its nearest existing ancestor if absent); with
   * `key`, at the key of the last path member rather than its value.
   */
  readonly locate: Locate;
}

type Locate = (
  path: readonly (string | number)[],
  message: string,
  options?: { key?: boolean },
) => PolicyLoadIssue;

const MAX_ALIASES = 20;

export function readYamlFile(file: SourceFile, validate: ValidateFunction): ReadYamlResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(file.text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    schema: 'core',
  });
  const at = (offset: number, message: string): PolicyLoadIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: file.name, line: Math.max(line, 1), column: Math.max(col, 1), message };
  };
  const locate: Locate = (path, message, options) =>
    at(findNode(doc, path, options?.key ?? false)?.range?.[0] ?? 0, message);

  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    const issues = yamlProblems.map((e) =>
      at(
        e.pos[0],
        e.code === 'MULTIPLE_DOCS' ? 'YAML: a file holds exactly one document' : `YAML: ${e.message}`,
      ),
    );
    return { data: undefined, locate, issues };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    return { data: undefined, locate, issues: [at(0, `YAML: ${(error as Error).message}`)] };
  }
  if (validate(data)) return { data, locate, issues: [] };
  const issues = (validate.errors ?? []).map((e) => schemaIssue(e, locate));
  return { data: undefined, locate, issues: dedupe(issues) };
}

function schemaIssue(error: ErrorObject, locate: Locate): PolicyLoadIssue {
  const path = pointerToPath(error.instancePath);
  const where = error.instancePath || '/';
  switch (error.keyword) {
    case 'additionalProperties': {
      const member = String((error.params as { additionalProperty: string }).additionalProperty);
      return locate([...path, member], `${error.instancePath}/${member} is not an allowed member`, {
        key: true,
      });
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return locate(path, `${where} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
    }
    default:
      return locate(path, `${where} ${error.message ?? 'is invalid'}`);
  }
}

function pointerToPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** For a map member, its value node (or its key if the value is empty); the deepest existing node otherwise. */
function findNode(doc: Document, path: readonly (string | number)[], key: boolean): Node | undefined {
  let node: Node | undefined = (doc.contents as Node | null) ?? undefined;
  for (const [i, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return node;
      const value = pair.value as Node | null;
      const wantKey = key && i === path.length - 1;
      node = !wantKey && value && value.range ? value : (pair.key as Node);
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (!item) return node;
      node = item;
    } else {
      return node;
    }
  }
  return node;
}

function dedupe(issues: PolicyLoadIssue[]): PolicyLoadIssue[] {
  const seen = new Set<string>();
  return issues
    .filter((i) => {
      const key = `${i.line}:${i.column}:${i.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}
