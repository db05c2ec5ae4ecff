/**
 * The shipped policies (policies/*.yaml) against their tests (policies/tests/*.yaml): each case is one `it`, so
 * `npm test` fails when a policy change permits or denies something its tests do not expect.
 */
import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicies, loadPolicyTests } from '../gateway/adapters/files/load-policies.js';
import { runPolicyTests } from '../gateway/core/policy/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const policies = loadPolicies(join(root, 'policies'), { relativeTo: root });
const cases = loadPolicyTests(join(root, 'policies', 'tests'), { relativeTo: root });

describe('policies/', () => {
  it('holds the demo policies of PROTOCOL.md §7, each from its own file', () => {
    expect(policies.map((p) => p.id).sort()).to.deep.equal([
      'elterngeld-geburtsurkunde',
      'elterngeld-meldebescheinigung',
      'wohngeld-meldebescheinigung',
    ]);
    expect(new Set(policies.map((p) => p.source)).size).to.equal(policies.length);
  });

  it('grants the Ordnungsamt (ags:09999003) nothing', () => {
    expect(policies.filter((p) => p.consumer === 'ags:09999003')).to.deep.equal([]);
  });

  it('has a test case for every consumer of §7', () => {
    const consumers = new Set(cases.map((c) => c.request.consumer));
    for (const id of ['ags:09999001', 'ags:09999002', 'ags:09999003'])
      expect(consumers.has(id)).to.equal(true);
  });

  describe('policies/tests', () => {
    for (const result of runPolicyTests(policies, cases)) {
      it(`${result.name} (${result.source})`, () => {
        expect(result.pass, result.explanation).to.equal(true);
      });
    }
  });
});
