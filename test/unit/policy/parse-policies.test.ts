import { expect } from 'chai';
import {
  hashPolicyContent,
  parsePolicies,
  PolicyLoadError,
  type PolicyLoadIssue,
} from '../../../gateway/core/policy/index.js';
import { policyText } from './policy-fixtures.js';

function loadError(files: { name: string; text: string }[]): PolicyLoadError {
  try {
    parsePolicies(files);
  } catch (error) {
    expect(error).to.be.instanceOf(PolicyLoadError);
    return error as PolicyLoadError;
  }
  expect.fail('parsePolicies accepted the files');
}

function firstIssue(text: string, name = 'policies/x.yaml'): PolicyLoadIssue {
  const error = loadError([{ name, text }]);
  expect(error.issues.length).to.be.greaterThan(0);
  return error.issues[0]!;
}

describe('parsePolicies', () => {
  it('loads a valid policy, applies the default retention P2Y and freezes it', () => {
    const [policy] = parsePolicies([{ name: 'policies/x.yaml', text: policyText() }]);
    expect(policy!.id).to.equal('test-policy');
    expect(policy!.retention).to.equal('P2Y');
    expect(policy!.source).to.equal('policies/x.yaml');
    expect(Object.isFrozen(policy)).to.equal(true);
    expect(Object.isFrozen(policy!.fields)).to.equal(true);
  });

  it('refuses broken YAML, naming file, line and column', () => {
    const text = policyText().replace('consent:\n  required: true', 'consent:\n  required: [true');
    const error = loadError([{ name: 'policies/broken.yaml', text }]);
    const issue = error.issues[0]!;
    expect(issue.file).to.equal('policies/broken.yaml');
    expect(issue.line).to.equal(16);
    expect(issue.column).to.be.greaterThan(0);
    expect(error.message.startsWith(`policies/broken.yaml:16:${issue.column}: `)).to.equal(true);
  });

  it('refuses a schema violation at the line and column of the offending node', () => {
    const text = policyText().replace('  - vornamen\n', '  - 42\n');
    const error = loadError([{ name: 'policies/wohngeld.yaml', text }]);
    expect(error.issues).to.have.length(1);
    expect(error.issues[0]).to.include({ file: 'policies/wohngeld.yaml', line: 12, column: 5 });
    expect(error.message.startsWith('policies/wohngeld.yaml:12:5: /fields/1 ')).to.equal(true);
  });

  it('refuses an unknown member at the line of its key', () => {
    const text = policyText() + 'colour: blue\n';
    expect(firstIssue(text)).to.include({ line: 20, column: 1 });
  });

  it('refuses a missing required member', () => {
    const text = policyText().replace(/^legalBasis:.*\n/m, '');
    expect(firstIssue(text)).to.include({ file: 'policies/x.yaml', line: 1 });
  });

  it('refuses a number where the version must be a string', () => {
    expect(firstIssue(policyText().replace("version: '1'", 'version: 1'))).to.include({
      line: 2,
      column: 10,
    });
  });

  it('refuses an empty fields list and an empty purposes list', () => {
    expect(firstIssue(policyText({ fields: [] }).replace('fields:\n', 'fields: []\n'))).to.include({
      line: 10,
    });
    expect(firstIssue(policyText({ purposes: [] }).replace('purposes:\n', 'purposes: []\n'))).to.include({
      line: 8,
    });
  });

  it('refuses a retention that is not an ISO 8601 duration', () => {
    expect(firstIssue(policyText({ retention: '2 years' }))).to.include({ line: 17, column: 12 });
  });

  it('refuses duplicate YAML keys at the second key', () => {
    const text = policyText().replace("version: '1'\n", "version: '1'\nversion: '2'\n");
    expect(firstIssue(text)).to.include({ line: 3, column: 1 });
  });

  it('refuses several documents in one file', () => {
    expect(firstIssue(policyText() + '---\n' + policyText({ id: 'other' }))).to.include({ line: 20 });
  });

  it('refuses unknown YAML tags', () => {
    expect(firstIssue(policyText().replace('description: Testpolicy', 'description: !secret x'))).to.include({
      line: 3,
    });
  });

  it('refuses a duplicate policy id, naming the second file and line', () => {
    const error = loadError([
      { name: 'policies/a.yaml', text: policyText() },
      { name: 'policies/b.yaml', text: policyText({ purposes: ['elterngeld-antrag'] }) },
    ]);
    expect(error.issues).to.have.length(1);
    expect(error.issues[0]).to.include({ file: 'policies/b.yaml', line: 1, column: 5 });
  });

  it('refuses two policies granting the same consumer, provider, evidence type and purpose', () => {
    const error = loadError([
      { name: 'policies/a.yaml', text: policyText({ id: 'a' }) },
      {
        name: 'policies/b.yaml',
        text: policyText({ id: 'b', purposes: ['other-purpose', 'wohngeld-antrag'] }),
      },
    ]);
    expect(error.issues).to.have.length(1);
    expect(error.issues[0]).to.include({ file: 'policies/b.yaml', line: 10, column: 5 });
  });

  it('accepts two policies that differ only in the provider', () => {
    const policies = parsePolicies([
      { name: 'policies/a.yaml', text: policyText({ id: 'a' }) },
      { name: 'policies/b.yaml', text: policyText({ id: 'b', provider: 'mld:09999002' }) },
    ]);
    expect(policies.map((p) => p.id)).to.deep.equal(['a', 'b']);
  });

  it('reports the problems of every file, not only the first', () => {
    const error = loadError([
      { name: 'policies/a.yaml', text: policyText({ id: 'a' }).replace("version: '1'", 'version: 1') },
      { name: 'policies/b.yaml', text: 'id: [' },
    ]);
    expect(error.issues.map((i) => i.file)).to.include.members(['policies/a.yaml', 'policies/b.yaml']);
  });
});

describe('hashPolicyContent', () => {
  it('is stable across key order, formatting and file name', () => {
    const [a] = parsePolicies([{ name: 'policies/a.yaml', text: policyText() }]);
    const lines = policyText().trimEnd().split('\n');
    const reordered = [...lines.slice(2), lines[1], `${lines[0]}   # moved`, ''].join('\n');
    const [b] = parsePolicies([{ name: 'policies/other.yaml', text: reordered }]);
    expect(a!.hash).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(b!.hash).to.equal(a!.hash);
    expect(hashPolicyContent(a!)).to.equal(a!.hash);
  });

  it('changes when a permitted field, the version or the consent rule changes', () => {
    const [base] = parsePolicies([{ name: 'p.yaml', text: policyText() }]);
    const variants = [
      policyText({ fields: ['familienname', 'vornamen'] }),
      policyText().replace("version: '1'", "version: '2'"),
      policyText({ consentRequired: false }),
      policyText({ retention: 'P3Y' }),
    ];
    for (const text of variants) {
      const [changed] = parsePolicies([{ name: 'p.yaml', text }]);
      expect(changed!.hash).to.not.equal(base!.hash);
    }
  });

  it('counts the default retention as written out', () => {
    const [implicit] = parsePolicies([{ name: 'p.yaml', text: policyText() }]);
    const [explicit] = parsePolicies([{ name: 'p.yaml', text: policyText({ retention: 'P2Y' }) }]);
    expect(explicit!.hash).to.equal(implicit!.hash);
  });
});
