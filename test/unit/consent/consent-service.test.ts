import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createConsentService, type GiveConsentInput } from '../../../gateway/core/consent/index.js';
import { GatewayError } from '../../../gateway/core/errors.js';
import { createMemoryConsentStore, createTestClock } from './memory-consent-store.js';

const ERIKA = 'subject-ref-erika';
const MAX = 'subject-ref-max';
const DAY = 24 * 3600 * 1000;
const standing: GiveConsentInput = {
  consumer: 'ags:09999001',
  evidenceTypes: ['meldebescheinigung'],
  purpose: 'wohngeld-antrag',
};
const exchange = { consumer: 'ags:09999001', evidenceType: 'meldebescheinigung', purpose: 'wohngeld-antrag' };

function setup() {
  const store = createMemoryConsentStore();
  const clock = createTestClock();
  const service = createConsentService({ store, clock, newId: randomUUID });
  return { store, clock, service };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(GatewayError);
    return (error as GatewayError).code;
  }
  expect.fail('did not throw');
}

describe('createConsentService', () => {
  describe('give', () => {
    it('stores a standing consent with its given event', async () => {
      const { service, clock } = setup();
      const c = await service.give(ERIKA, standing);
      expect(c).to.deep.include({
        subjectRef: ERIKA,
        consumer: 'ags:09999001',
        singleUse: false,
        validUntil: null,
      });
      expect(c.events).to.deep.equal([{ type: 'given', at: clock.nowMs(), by: 'citizen' }]);
      expect(await service.get(ERIKA, c.id)).to.deep.equal(c);
    });

    it('parses validUntil with an offset to ms since epoch', async () => {
      const { service } = setup();
      const c = await service.give(ERIKA, { ...standing, validUntil: '2027-01-31T12:00:00+01:00' });
      expect(c.validUntil).to.equal(Date.UTC(2027, 0, 31, 11));
    });

    it('refuses a consumer that is not a participant id, with ERR_IDENTIFIER', async () => {
      const { service } = setup();
      expect(await codeOf(service.give(ERIKA, { ...standing, consumer: 'Wohngeldstelle' }))).to.equal(
        'ERR_IDENTIFIER',
      );
    });

    it('refuses empty, duplicate or malformed evidence types, with ERR_SCHEMA', async () => {
      const { service } = setup();
      for (const evidenceTypes of [[], ['a', 'a'], ['Meldebescheinigung'], 'meldebescheinigung']) {
        const input = { ...standing, evidenceTypes } as unknown as GiveConsentInput;
        expect(await codeOf(service.give(ERIKA, input))).to.equal('ERR_SCHEMA');
      }
    });

    it('refuses a validUntil in the past, now, or not an RFC 3339 date-time, with ERR_SCHEMA', async () => {
      const { service, clock } = setup();
      const now = new Date(clock.nowMs()).toISOString();
      for (const validUntil of [
        '2020-01-01T00:00:00Z',
        now,
        '2027-01-01',
        '2027-02-30T00:00:00Z',
        'tomorrow',
        1e13,
      ]) {
        const input = { ...standing, validUntil } as unknown as GiveConsentInput;
        expect(await codeOf(service.give(ERIKA, input))).to.equal('ERR_SCHEMA');
      }
    });

    it('refuses unknown members and a non-boolean singleUse, with ERR_SCHEMA', async () => {
      const { service } = setup();
      const extra = { ...standing, subject: '93141705862' } as unknown as GiveConsentInput;
      expect(await codeOf(service.give(ERIKA, extra))).to.equal('ERR_SCHEMA');
      const notBool = { ...standing, singleUse: 'yes' } as unknown as GiveConsentInput;
      expect(await codeOf(service.give(ERIKA, notBool))).to.equal('ERR_SCHEMA');
      expect(await codeOf(service.give(ERIKA, { ...standing, purpose: '' }))).to.equal('ERR_SCHEMA');
    });
  });

  describe('get, list and withdraw', () => {
    it('treats another citizen’s consent id like an unknown id', async () => {
      const { service } = setup();
      const c = await service.give(ERIKA, standing);
      expect(await service.get(MAX, c.id)).to.equal(undefined);
      expect(await service.get(MAX, 'no-such-id')).to.equal(undefined);
      expect(await service.withdraw(MAX, c.id)).to.equal(undefined);
      expect(await service.withdraw(MAX, 'no-such-id')).to.equal(undefined);
      expect(await service.list(MAX)).to.deep.equal([]);
      expect((await service.get(ERIKA, c.id))!.events).to.have.length(1);
    });

    it('lists only the citizen’s own consents, newest first', async () => {
      const { service, clock } = setup();
      const first = await service.give(ERIKA, standing);
      clock.advance(1000);
      const second = await service.give(ERIKA, { ...standing, purpose: 'elterngeld-antrag' });
      await service.give(MAX, standing);
      expect((await service.list(ERIKA)).map((c) => c.id)).to.deep.equal([second.id, first.id]);
    });

    it('withdraws once and returns a withdrawn consent unchanged', async () => {
      const { service } = setup();
      const c = await service.give(ERIKA, standing);
      const withdrawn = await service.withdraw(ERIKA, c.id);
      expect(withdrawn!.events.map((e) => e.type)).to.deep.equal(['given', 'withdrawn']);
      const again = await service.withdraw(ERIKA, c.id);
      expect(again).to.deep.equal(withdrawn);
    });
  });

  describe('checkForExchange', () => {
    it('finds an active matching consent without a consentId', async () => {
      const { service } = setup();
      const c = await service.give(ERIKA, standing);
      const check = await service.checkForExchange({ subjectRef: ERIKA, ...exchange });
      expect(check.ok && check.consent.id).to.equal(c.id);
    });

    it('refuses when the citizen has no consent, with ERR_CONSENT_MISSING', async () => {
      const { service } = setup();
      await service.give(ERIKA, standing);
      expect(await service.checkForExchange({ subjectRef: MAX, ...exchange })).to.deep.equal({
        ok: false,
        code: 'ERR_CONSENT_MISSING',
      });
    });

    it('refuses a consent for another consumer, evidence type or purpose, with ERR_CONSENT_MISSING', async () => {
      const { service } = setup();
      await service.give(ERIKA, standing);
      for (const other of [
        { consumer: 'ags:09999003' },
        { evidenceType: 'geburtsurkunde' },
        { purpose: 'elterngeld-antrag' },
      ]) {
        const check = await service.checkForExchange({ subjectRef: ERIKA, ...exchange, ...other });
        expect(check.ok || check.code).to.equal('ERR_CONSENT_MISSING');
      }
    });

    it('never permits after a withdrawal, with ERR_CONSENT_WITHDRAWN', async () => {
      const { service, clock } = setup();
      const c = await service.give(ERIKA, standing);
      await service.withdraw(ERIKA, c.id);
      for (const consentId of [undefined, c.id]) {
        const check = await service.checkForExchange({ subjectRef: ERIKA, ...exchange, consentId });
        expect(check.ok || check.code).to.equal('ERR_CONSENT_WITHDRAWN');
      }
      clock.advance(365 * DAY);
      const later = await service.checkForExchange({ subjectRef: ERIKA, ...exchange });
      expect(later.ok || later.code).to.equal('ERR_CONSENT_WITHDRAWN');
      expect(await service.claim(c, 'exchange-1')).to.equal(false);
    });

    it('refuses once validUntil has passed on the clock, with ERR_CONSENT_EXPIRED', async () => {
      const { service, clock } = setup();
      const validUntil = new Date(clock.nowMs() + DAY).toISOString();
      await service.give(ERIKA, { ...standing, validUntil });
      expect((await service.checkForExchange({ subjectRef: ERIKA, ...exchange })).ok).to.equal(true);
      clock.advance(DAY);
      const check = await service.checkForExchange({ subjectRef: ERIKA, ...exchange });
      expect(check.ok || check.code).to.equal('ERR_CONSENT_EXPIRED');
    });

    it('refuses a used-up single-use consent, with ERR_CONSENT_EXPIRED', async () => {
      const { service } = setup();
      const c = await service.give(ERIKA, { ...standing, singleUse: true });
      expect(await service.claim(c, 'exchange-1')).to.equal(true);
      const check = await service.checkForExchange({ subjectRef: ERIKA, ...exchange });
      expect(check.ok || check.code).to.equal('ERR_CONSENT_EXPIRED');
    });

    it('refuses another citizen’s consentId like an absent one, with ERR_CONSENT_MISSING', async () => {
      const { service } = setup();
      const erikas = await service.give(ERIKA, standing);
      await service.withdraw(ERIKA, erikas.id);
      const check = await service.checkForExchange({ subjectRef: MAX, ...exchange, consentId: erikas.id });
      expect(check.ok || check.code).to.equal('ERR_CONSENT_MISSING');
      const unknown = await service.checkForExchange({ subjectRef: MAX, ...exchange, consentId: 'nope' });
      expect(unknown.ok || unknown.code).to.equal('ERR_CONSENT_MISSING');
    });

    it('uses the named consent only, even when another active one would match', async () => {
      const { service } = setup();
      const named = await service.give(ERIKA, standing);
      await service.give(ERIKA, standing);
      await service.withdraw(ERIKA, named.id);
      const check = await service.checkForExchange({ subjectRef: ERIKA, ...exchange, consentId: named.id });
      expect(check.ok || check.code).to.equal('ERR_CONSENT_WITHDRAWN');
    });

    it('prefers a standing consent over a single-use one', async () => {
      const { service, clock } = setup();
      const standingConsent = await service.give(ERIKA, standing);
      clock.advance(1000);
      await service.give(ERIKA, { ...standing, singleUse: true });
      const check = await service.checkForExchange({ subjectRef: ERIKA, ...exchange });
      expect(check.ok && check.consent.id).to.equal(standingConsent.id);
    });

    it('ignores single-use consents where the policy does not allow them, with ERR_CONSENT_MISSING', async () => {
      const { service } = setup();
      const c = await service.give(ERIKA, { ...standing, singleUse: true });
      const check = await service.checkForExchange({ subjectRef: ERIKA, ...exchange, allowSingleUse: false });
      expect(check.ok || check.code).to.equal('ERR_CONSENT_MISSING');
      const named = await service.checkForExchange({
        subjectRef: ERIKA,
        ...exchange,
        consentId: c.id,
        allowSingleUse: false,
      });
      expect(named.ok || named.code).to.equal('ERR_CONSENT_MISSING');
    });

    it('prefers an active consent to a withdrawn one', async () => {
      const { service } = setup();
      const old = await service.give(ERIKA, standing);
      await service.withdraw(ERIKA, old.id);
      const fresh = await service.give(ERIKA, standing);
      const check = await service.checkForExchange({ subjectRef: ERIKA, ...exchange });
      expect(check.ok && check.consent.id).to.equal(fresh.id);
    });
  });

  describe('claim', () => {
    it('claims a single-use consent exactly once under concurrent claims', async () => {
      const { service, store } = setup();
      const c = await service.give(ERIKA, { ...standing, singleUse: true });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => service.claim(c, `exchange-${i}`)),
      );
      expect(results.filter(Boolean)).to.have.length(1);
      const events = (await store.get(c.id))!.events;
      expect(events.filter((e) => e.type === 'used')).to.have.length(1);
    });

    it('writes nothing for a standing consent and keeps it usable', async () => {
      const { service, store } = setup();
      const c = await service.give(ERIKA, standing);
      expect(await service.claim(c, 'exchange-1')).to.equal(true);
      expect(await service.claim(c, 'exchange-2')).to.equal(true);
      expect((await store.get(c.id))!.events).to.have.length(1);
    });

    it('refuses to claim a standing consent withdrawn after the check', async () => {
      const { service } = setup();
      const c = await service.give(ERIKA, standing);
      const check = await service.checkForExchange({ subjectRef: ERIKA, ...exchange });
      await service.withdraw(ERIKA, c.id);
      expect(check.ok && (await service.claim(check.consent, 'exchange-1'))).to.equal(false);
    });

    it('refuses to claim a single-use consent that expired since the check', async () => {
      const { service, clock } = setup();
      const c = await service.give(ERIKA, {
        ...standing,
        singleUse: true,
        validUntil: new Date(clock.nowMs() + 1000).toISOString(),
      });
      clock.advance(1000);
      expect(await service.claim(c, 'exchange-1')).to.equal(false);
    });
  });
});
