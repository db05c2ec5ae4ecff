import { expect } from 'chai';
import {
  DEFAULT_PREVIEW_TIMEOUT_MINUTES,
  evaluatePolicy,
  type PolicyDecision,
} from '../../../gateway/core/policy/index.js';
import { policiesOf, policyText } from './policy-fixtures.js';

const policies = policiesOf(
  policyText({ id: 'wohngeld', fields: ['familienname', 'vornamen', 'anschrift'], singleUseAllowed: false }),
  policyText({
    id: 'eltern',
    consumer: 'ags:09999002',
    provider: 'psw:09999001',
    evidenceType: 'geburtsurkunde',
    purposes: ['elterngeld-antrag', 'kindergeld-antrag'],
    fields: ['kind', 'eltern'],
    preview: '{ required: true, timeoutMinutes: 60 }',
    retention: 'P6M',
  }),
  // Two providers of the same evidence for the same consumer and purpose: routing needs a named provider.
  policyText({ id: 'twin-a', consumer: 'ags:09999004', provider: 'mld:00000001', fields: ['anschrift'] }),
  policyText({ id: 'twin-b', consumer: 'ags:09999004', provider: 'mld:00000002', fields: ['anschrift'] }),
);

const wohngeld = { consumer: 'ags:09999001', evidenceType: 'meldebescheinigung', purpose: 'wohngeld-antrag' };

function code(decision: PolicyDecision): string | undefined {
  return decision.permit ? undefined : decision.code;
}

describe('evaluatePolicy', () => {
  it('permits a covered request and names policy, provider, legal basis, fields and duties', () => {
    const decision = evaluatePolicy(policies, { ...wohngeld, provider: 'mld:09999001' });
    expect(decision.permit).to.equal(true);
    if (!decision.permit) return;
    expect(decision.policy).to.deep.equal({ id: 'wohngeld', version: '1', hash: policies[0]!.hash });
    expect(decision).to.deep.include({
      provider: 'mld:09999001',
      legalBasis: '§ 34 Abs. 1 BMG',
      consentRequired: true,
      singleUseAllowed: false,
      previewRequired: false,
      previewTimeoutMinutes: DEFAULT_PREVIEW_TIMEOUT_MINUTES,
      retention: 'P2Y',
    });
    expect(decision.fields).to.deep.equal(['familienname', 'vornamen', 'anschrift']);
  });

  it('routes to the policy provider when the request names none', () => {
    const decision = evaluatePolicy(policies, wohngeld);
    expect(decision.permit && decision.provider).to.equal('mld:09999001');
  });

  it('carries preview, its timeout and the retention of the policy', () => {
    const decision = evaluatePolicy(policies, {
      consumer: 'ags:09999002',
      evidenceType: 'geburtsurkunde',
      purpose: 'kindergeld-antrag',
    });
    expect(decision).to.deep.include({ permit: true, previewRequired: true, previewTimeoutMinutes: 60 });
    expect(decision.permit && decision.retention).to.equal('P6M');
    expect(decision.permit && decision.singleUseAllowed).to.equal(true);
  });

  it('releases the requested subset in the policy order', () => {
    const decision = evaluatePolicy(policies, {
      ...wohngeld,
      fields: ['anschrift', 'familienname', 'anschrift'],
    });
    expect(decision.permit && decision.fields).to.deep.equal(['familienname', 'anschrift']);
  });

  it('denies an unknown consumer, with ERR_POLICY_DENIED', () => {
    expect(code(evaluatePolicy(policies, { ...wohngeld, consumer: 'ags:09999003' }))).to.equal(
      'ERR_POLICY_DENIED',
    );
  });

  it('denies when the purpose is not covered, with ERR_POLICY_DENIED', () => {
    expect(code(evaluatePolicy(policies, { ...wohngeld, purpose: 'elterngeld-antrag' }))).to.equal(
      'ERR_POLICY_DENIED',
    );
  });

  it('denies the wrong provider, with ERR_POLICY_DENIED', () => {
    expect(code(evaluatePolicy(policies, { ...wohngeld, provider: 'psw:09999001' }))).to.equal(
      'ERR_POLICY_DENIED',
    );
  });

  it('denies another evidence type, with ERR_POLICY_DENIED', () => {
    expect(code(evaluatePolicy(policies, { ...wohngeld, evidenceType: 'geburtsurkunde' }))).to.equal(
      'ERR_POLICY_DENIED',
    );
  });

  it('denies everything with no policies at all, with ERR_POLICY_DENIED', () => {
    expect(code(evaluatePolicy([], wohngeld))).to.equal('ERR_POLICY_DENIED');
  });

  it('refuses requested fields beyond the permitted ones instead of trimming, with ERR_POLICY_FIELDS', () => {
    const decision = evaluatePolicy(policies, {
      ...wohngeld,
      fields: ['familienname', 'staatsangehoerigkeit'],
    });
    expect(code(decision)).to.equal('ERR_POLICY_FIELDS');
  });

  it('refuses an empty field list, with ERR_POLICY_FIELDS', () => {
    expect(code(evaluatePolicy(policies, { ...wohngeld, fields: [] }))).to.equal('ERR_POLICY_FIELDS');
  });

  it('refuses fields named with other case or spacing, with ERR_POLICY_FIELDS', () => {
    expect(code(evaluatePolicy(policies, { ...wohngeld, fields: ['Anschrift'] }))).to.equal(
      'ERR_POLICY_FIELDS',
    );
    expect(code(evaluatePolicy(policies, { ...wohngeld, fields: ['anschrift '] }))).to.equal(
      'ERR_POLICY_FIELDS',
    );
  });

  it('denies a denied request before looking at its fields, with ERR_POLICY_DENIED', () => {
    const decision = evaluatePolicy(policies, { ...wohngeld, consumer: 'ags:09999003', fields: ['geheim'] });
    expect(code(decision)).to.equal('ERR_POLICY_DENIED');
  });

  it('denies an ambiguous route when several providers match and none is named, with ERR_POLICY_DENIED', () => {
    const request = { ...wohngeld, consumer: 'ags:09999004' };
    expect(code(evaluatePolicy(policies, request))).to.equal('ERR_POLICY_DENIED');
    const named = evaluatePolicy(policies, { ...request, provider: 'mld:00000002' });
    expect(named.permit && named.policy.id).to.equal('twin-b');
  });
});
