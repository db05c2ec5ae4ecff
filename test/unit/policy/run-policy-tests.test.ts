import { expect } from 'chai';
import { parsePolicyTests, PolicyLoadError, runPolicyTests } from '../../../gateway/core/policy/index.js';
import { policiesOf, policyText } from './policy-fixtures.js';

const policies = policiesOf(policyText({ id: 'wohngeld' }));

function testFile(cases: string): { name: string; text: string } {
  return { name: 'policies/tests/t.yaml', text: `cases:\n${cases}` };
}

const request = "{ consumer: 'ags:09999001', evidenceType: meldebescheinigung, purpose: wohngeld-antrag }";

describe('parsePolicyTests', () => {
  it('reads cases and records where each is written', () => {
    const cases = parsePolicyTests([
      testFile(`  - name: a\n    request: ${request}\n    expect: { permit: true }\n`),
    ]);
    expect(cases).to.have.length(1);
    expect(cases[0]!.source).to.equal('policies/tests/t.yaml:2:5');
  });

  it('refuses a denial expectation without a code, naming file and line', () => {
    try {
      parsePolicyTests([testFile(`  - name: a\n    request: ${request}\n    expect: { permit: false }\n`)]);
      expect.fail('accepted');
    } catch (error) {
      expect(error).to.be.instanceOf(PolicyLoadError);
      expect((error as PolicyLoadError).issues[0]).to.include({ file: 'policies/tests/t.yaml', line: 4 });
    }
  });

  it('refuses a permit expectation that names a denial code', () => {
    const text = `  - name: a\n    request: ${request}\n    expect: { permit: true, code: ERR_POLICY_DENIED }\n`;
    expect(() => parsePolicyTests([testFile(text)])).to.throw(PolicyLoadError);
  });

  it('refuses duplicate case names in one file', () => {
    const one = `  - name: a\n    request: ${request}\n    expect: { permit: true }\n`;
    expect(() => parsePolicyTests([testFile(one + one)])).to.throw(PolicyLoadError);
  });
});

describe('runPolicyTests', () => {
  it('passes a case whose expectation matches the decision', () => {
    const cases = parsePolicyTests([
      testFile(
        `  - name: permit\n    request: ${request}\n` +
          `    expect: { permit: true, policy: wohngeld@1, provider: 'mld:09999001', fields: [anschrift, familienname, vornamen] }\n` +
          `  - name: deny\n    request: { consumer: 'ags:09999003', evidenceType: meldebescheinigung, purpose: wohngeld-antrag }\n` +
          `    expect: { permit: false, code: ERR_POLICY_DENIED }\n`,
      ),
    ]);
    const results = runPolicyTests(policies, cases);
    expect(results.map((r) => r.pass)).to.deep.equal([true, true]);
  });

  it('fails a case whose permit, code, fields, policy or provider differ, and says why', () => {
    const cases = parsePolicyTests([
      testFile(
        `  - name: wrong permit\n    request: ${request}\n    expect: { permit: false, code: ERR_POLICY_DENIED }\n` +
          `  - name: wrong code\n    request: { consumer: 'ags:09999001', evidenceType: meldebescheinigung, purpose: wohngeld-antrag, fields: [x] }\n` +
          `    expect: { permit: false, code: ERR_POLICY_DENIED }\n` +
          `  - name: wrong fields\n    request: ${request}\n    expect: { permit: true, fields: [anschrift] }\n` +
          `  - name: wrong policy\n    request: ${request}\n    expect: { permit: true, policy: other }\n` +
          `  - name: wrong version\n    request: ${request}\n    expect: { permit: true, policy: wohngeld@2 }\n` +
          `  - name: wrong provider\n    request: ${request}\n    expect: { permit: true, provider: 'psw:09999001' }\n`,
      ),
    ]);
    const results = runPolicyTests(policies, cases);
    expect(results.map((r) => r.pass)).to.deep.equal([false, false, false, false, false, false]);
    for (const r of results) expect(r.explanation).to.not.equal('');
  });
});
