/**
 * docs/log-events.md is the catalogue of the gateway's log events; this test keeps it in sync with the code. It
 * reads the sources of gateway/ and connectors/ with the TypeScript compiler and finds every call of a pino log
 * method (the receiver's type decides, not its name), so a logger passed under another name is found too. Each
 * call must pass an object literal with an `event` member; a template such as `transfer.${status}` is expanded
 * over the string-literal union its placeholder has, so a new status in the type is a new event the doc must
 * list. pino-http's access line (http.request) is built by customSuccessObject / customErrorObject and is
 * checked the same way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import { fromRoot, projectRoot } from '../../gateway/paths.js';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
const SOURCE_DIRS = ['gateway', 'connectors'];

interface Emitted {
  readonly event: string;
  readonly level: string;
  readonly where: string;
}

interface Scan {
  readonly emitted: Emitted[];
  /** Log calls the test cannot tie to an event name: no `event` member, or one that does not expand. */
  readonly problems: string[];
}

interface DocRow {
  readonly event: string;
  readonly levels: string[];
  readonly operator: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(fromRoot(dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

function compilerOptions(): ts.CompilerOptions {
  const file = fromRoot('tsconfig.json');
  const config = ts.readConfigFile(file, (path) => ts.sys.readFile(path));
  return ts.parseJsonConfigFileContent(config.config, ts.sys, projectRoot).options;
}

/** True if the declaration of this symbol is pino's own (a method of its Logger). */
function declaredByPino(symbol: ts.Symbol | undefined): boolean {
  return (symbol?.declarations ?? []).some((d) =>
    /[/\\]node_modules[/\\]pino[/\\]/.test(d.getSourceFile().fileName),
  );
}

/** The string values a type can have, or undefined if it is not a (union of) string literal(s). */
function stringLiterals(type: ts.Type): string[] | undefined {
  const parts = type.isUnion() ? type.types : [type];
  const out: string[] = [];
  for (const part of parts) {
    if (!part.isStringLiteral()) return undefined;
    out.push(part.value);
  }
  return out;
}

function scanSources(): Scan {
  const files = SOURCE_DIRS.flatMap(sourceFiles);
  const program = ts.createProgram(files, { ...compilerOptions(), noEmit: true });
  const checker = program.getTypeChecker();
  const emitted: Emitted[] = [];
  const problems: string[] = [];

  const whereOf = (node: ts.Node): string => {
    const source = node.getSourceFile();
    const { line } = source.getLineAndCharacterOfPosition(node.getStart());
    return `${relative(projectRoot, source.fileName)}:${line + 1}`;
  };

  /** The event names an `event:` value can take. */
  const eventNames = (value: ts.Expression): string[] | undefined => {
    if (ts.isStringLiteral(value) || ts.isNoSubstitutionTemplateLiteral(value)) return [value.text];
    if (ts.isTemplateExpression(value)) {
      let names = [value.head.text];
      for (const span of value.templateSpans) {
        const values = stringLiterals(checker.getTypeAtLocation(span.expression));
        if (values === undefined) return undefined;
        names = names.flatMap((prefix) => values.map((v) => prefix + v + span.literal.text));
      }
      return names;
    }
    return stringLiterals(checker.getTypeAtLocation(value));
  };

  /** Records the events of a log object literal (the first argument, or pino-http's custom object). */
  const record = (node: ts.Node, object: ts.Expression | undefined, levels: string[] | undefined): void => {
    const where = whereOf(node);
    if (levels === undefined) {
      problems.push(`${where}: the level is not a literal`);
      return;
    }
    const member =
      object !== undefined && ts.isObjectLiteralExpression(object)
        ? object.properties.find(
            (p): p is ts.PropertyAssignment =>
              ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'event',
          )
        : undefined;
    if (member === undefined) {
      problems.push(`${where}: log call without an object literal holding an event member`);
      return;
    }
    const names = eventNames(member.initializer);
    if (names === undefined) {
      problems.push(`${where}: the event is neither a literal nor a template over string-literal unions`);
      return;
    }
    for (const event of names) for (const level of levels) emitted.push({ event, level, where });
  };

  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isPropertyAccessExpression(callee) && LEVELS.has(callee.name.text)) {
        if (declaredByPino(checker.getSymbolAtLocation(callee.name))) {
          record(node, node.arguments[0], [callee.name.text]);
        }
      } else if (ts.isElementAccessExpression(callee)) {
        const info = checker.getTypeAtLocation(callee.expression).getProperty('info');
        if (declaredByPino(info)) {
          const levels = stringLiterals(checker.getTypeAtLocation(callee.argumentExpression));
          record(node, node.arguments[0], levels?.every((l) => LEVELS.has(l)) ? levels : undefined);
        }
      } else if (ts.isIdentifier(callee) && callee.text === 'pinoHttp') {
        recordAccessLog(node);
      }
    } else if (
      ts.isPropertyAccessExpression(node) &&
      LEVELS.has(node.name.text) &&
      !(ts.isCallExpression(node.parent) && node.parent.expression === node) &&
      declaredByPino(checker.getSymbolAtLocation(node.name))
    ) {
      problems.push(`${whereOf(node)}: a log method used other than by a direct call cannot be checked`);
    }
    ts.forEachChild(node, visit);
  };

  /** pino-http writes its line at customLogLevel's level with customSuccessObject's / customErrorObject's members. */
  const recordAccessLog = (call: ts.CallExpression): void => {
    const options = call.arguments[0];
    if (options === undefined || !ts.isObjectLiteralExpression(options)) {
      problems.push(`${whereOf(call)}: pinoHttp options are not an object literal`);
      return;
    }
    const member = (name: string): ts.Expression | undefined =>
      options.properties.find(
        (p): p is ts.PropertyAssignment =>
          ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === name,
      )?.initializer;
    const returned = (fn: ts.Expression | undefined): ts.Expression | undefined => {
      if (fn === undefined || !ts.isArrowFunction(fn) || ts.isBlock(fn.body)) return undefined;
      return ts.isParenthesizedExpression(fn.body) ? fn.body.expression : fn.body;
    };
    const levelFn = member('customLogLevel');
    const levelBody = returned(levelFn);
    const levels = levelBody === undefined ? undefined : stringLiterals(checker.getTypeAtLocation(levelBody));
    for (const name of ['customSuccessObject', 'customErrorObject']) {
      const fn = member(name);
      record(fn ?? call, returned(fn), levels);
    }
  };

  const ours = new Set(files.map((file) => fromRoot(file)));
  for (const file of program.getSourceFiles()) if (ours.has(fromRoot(file.fileName))) visit(file);
  return { emitted, problems };
}

/** The rows of every table whose header starts with `| event | level |` in docs/log-events.md. */
function readEventTables(): DocRow[] {
  const lines = readFileSync(fromRoot('docs/log-events.md'), 'utf8').split('\n');
  const rows: DocRow[] = [];
  let inTable = false;
  for (const line of lines) {
    if (/^\|\s*event\s*\|\s*level\s*\|/.test(line)) {
      inTable = true;
      continue;
    }
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    if (!inTable || /^\|\s*-/.test(line)) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    rows.push({
      event: cells[0]!.replace(/`/g, ''),
      levels: cells[1]!.split('/').map((level) => level.trim()),
      operator: cells[4] ?? '',
    });
  }
  return rows;
}

describe('docs/log-events.md', () => {
  let scan: Scan;
  const rows = readEventTables();

  before(function () {
    this.timeout(120_000); // the TypeScript program over gateway/ and connectors/
    scan = scanSources();
  });

  it('finds the log calls (the scan itself works)', () => {
    expect(scan.emitted.length).to.be.greaterThan(30);
    expect(rows.length).to.be.greaterThan(30);
  });

  it('every log call passes an event member the test can name', () => {
    expect(scan.problems).to.deep.equal([]);
  });

  it('lists every event the code writes', () => {
    const listed = new Set(rows.map((row) => row.event));
    const missing = scan.emitted.filter((e) => !listed.has(e.event)).map((e) => `${e.event} (${e.where})`);
    expect(missing, 'written by the code but not in docs/log-events.md').to.deep.equal([]);
  });

  it('lists no event the code does not write', () => {
    const written = new Set(scan.emitted.map((e) => e.event));
    const stale = rows.filter((row) => !written.has(row.event)).map((row) => row.event);
    expect(stale, 'in docs/log-events.md but written nowhere').to.deep.equal([]);
  });

  it('lists each event once', () => {
    const names = rows.map((row) => row.event);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).to.deep.equal([]);
  });

  it('gives each event exactly the levels the code writes it at', () => {
    for (const row of rows) {
      const levels = [...new Set(scan.emitted.filter((e) => e.event === row.event).map((e) => e.level))];
      expect(
        [...row.levels].sort(),
        `${row.event}: levels in the doc (actual), in the code (expected)`,
      ).to.deep.equal(levels.sort());
    }
  });

  it('says what an operator does for every warn, error or fatal event', () => {
    const silent = rows
      .filter((row) => row.levels.some((level) => ['warn', 'error', 'fatal'].includes(level)))
      .filter((row) => row.operator === '' || row.operator === '—')
      .map((row) => row.event);
    expect(silent).to.deep.equal([]);
  });
});
