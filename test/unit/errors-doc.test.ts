import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { ERROR_CATALOGUE, ERROR_CODES } from '../../gateway/core/errors.js';
import { fromRoot } from '../../gateway/paths.js';

interface DocRow {
  code: string;
  status: number[];
  title: string;
  fault: string;
}

/** The rows of the table whose header starts with `| code | status |` in docs/errors.md. */
function readErrorTable(): DocRow[] {
  const lines = readFileSync(fromRoot('docs/errors.md'), 'utf8').split('\n');
  const header = lines.findIndex((line) => /^\|\s*code\s*\|\s*status\s*\|/.test(line));
  expect(header, 'docs/errors.md has the error table').to.be.greaterThan(-1);
  const rows: DocRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    rows.push({
      code: cells[0]!.replace(/`/g, ''),
      status: (cells[1]!.match(/[0-9]{3}/g) ?? []).map(Number),
      title: cells[2]!,
      fault: cells[3]!,
    });
  }
  return rows;
}

describe('docs/errors.md', () => {
  const rows = readErrorTable();

  it('lists exactly the catalogue codes, in catalogue order', () => {
    expect(rows.map((row) => row.code)).to.deep.equal(ERROR_CODES);
  });

  it('gives each code the catalogue status first (further statuses only as alternatives)', () => {
    for (const row of rows) {
      const spec = ERROR_CATALOGUE[row.code as keyof typeof ERROR_CATALOGUE];
      expect(row.status[0], row.code).to.equal(spec.status);
    }
  });

  it('gives each code the catalogue title and fault', () => {
    for (const row of rows) {
      const spec = ERROR_CATALOGUE[row.code as keyof typeof ERROR_CATALOGUE];
      expect({ code: row.code, title: row.title, fault: row.fault }).to.deep.equal({
        code: row.code,
        title: spec.title,
        fault: spec.fault,
      });
    }
  });
});

describe('schemas/openapi.yaml', () => {
  it('enumerates exactly the catalogue codes in the Problem code schema', () => {
    const document = parseYaml(readFileSync(fromRoot('schemas/openapi.yaml'), 'utf8')) as {
      components: {
        schemas: Record<string, { enum?: string[]; properties?: Record<string, { $ref?: string }> }>;
      };
    };
    const schemas = document.components.schemas;
    const ref = schemas['Problem']?.properties?.['code']?.$ref;
    expect(ref).to.equal('#/components/schemas/ErrorCode');
    expect([...(schemas['ErrorCode']?.enum ?? [])].sort()).to.deep.equal([...ERROR_CODES].sort());
  });
});
