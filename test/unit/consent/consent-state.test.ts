import { expect } from 'chai';
import { consentState } from '../../../gateway/core/consent/index.js';
import type { ConsentEvent, ConsentRecord } from '../../../gateway/core/ports.js';

const T0 = Date.UTC(2026, 10, 1);
const given: ConsentEvent = { type: 'given', at: T0, by: 'citizen' };

function record(overrides: Partial<ConsentRecord> = {}): ConsentRecord {
  return {
    id: 'c1',
    subjectRef: 's',
    consumer: 'ags:09999001',
    evidenceTypes: ['meldebescheinigung'],
    purpose: 'wohngeld-antrag',
    validUntil: null,
    singleUse: false,
    createdAt: T0,
    events: [given],
    ...overrides,
  };
}

describe('consentState', () => {
  it('is active after the given event', () => {
    expect(consentState(record(), T0)).to.equal('active');
  });

  it('expires by the clock at validUntil, not before', () => {
    const r = record({ validUntil: T0 + 1000 });
    expect(consentState(r, T0 + 999)).to.equal('active');
    expect(consentState(r, T0 + 1000)).to.equal('expired');
  });

  it('is expired after an expired event, whatever validUntil says', () => {
    expect(
      consentState(record({ events: [given, { type: 'expired', at: T0, by: 'gateway' }] }), T0),
    ).to.equal('expired');
  });

  it('is used after one use of a single-use consent, but stays active for a standing one', () => {
    const used: ConsentEvent = { type: 'used', at: T0, by: 'x', exchangeId: 'x' };
    expect(consentState(record({ singleUse: true, events: [given, used] }), T0)).to.equal('used');
    expect(consentState(record({ singleUse: false, events: [given, used, used] }), T0)).to.equal('active');
  });

  it('is withdrawn once withdrawn, even if expired or used before', () => {
    const withdrawn: ConsentEvent = { type: 'withdrawn', at: T0, by: 'citizen' };
    const used: ConsentEvent = { type: 'used', at: T0, by: 'x', exchangeId: 'x' };
    expect(consentState(record({ events: [given, withdrawn] }), T0)).to.equal('withdrawn');
    expect(consentState(record({ singleUse: true, events: [given, used, withdrawn] }), T0)).to.equal(
      'withdrawn',
    );
    expect(consentState(record({ validUntil: T0, events: [given, withdrawn] }), T0 + 1)).to.equal(
      'withdrawn',
    );
  });

  it('is declined after a declined event or without a given event', () => {
    expect(
      consentState(record({ events: [given, { type: 'declined', at: T0, by: 'citizen' }] }), T0),
    ).to.equal('declined');
    expect(consentState(record({ events: [] }), T0)).to.equal('declined');
  });
});
