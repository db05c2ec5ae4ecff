/**
 * Contract of the ConsentRequestStore port (core/ports.ts): a request is written once, in state 'requested', and
 * decided at most once (compare-and-set), also when decisions race.
 */
import { expect } from 'chai';
import type { ConsentRequestRecord, ConsentRequestStore } from '../../gateway/core/ports.js';
import { rejectionOf, T0, useStore, type OpenStore } from './harness.js';

let counter = 0;

function request(overrides: Partial<ConsentRequestRecord> = {}): ConsentRequestRecord {
  counter++;
  return {
    id: `request-${counter}`,
    consumer: 'ags:09999001',
    subjectRef: 'subject-erika',
    evidenceTypes: ['meldebescheinigung'],
    purpose: 'wohngeld-antrag',
    procedure: { reference: 'WG-2026-1', service: 'wohngeld' },
    notice: { de: 'Wir möchten Ihre Meldebescheinigung abrufen.', en: 'We would like to fetch it.' },
    noticeHash: 'bm90aWNlLWhhc2g',
    returnUrl: 'https://agency.example/return',
    singleUse: true,
    consentValidDays: 30,
    createdAt: T0,
    respondBy: T0 + 7 * 86_400_000,
    state: 'requested',
    ...overrides,
  };
}

export function consentRequestStoreContract(name: string, open: OpenStore<ConsentRequestStore>): void {
  describe(`ConsentRequestStore contract: ${name}`, () => {
    const store = useStore(open);

    it('reads back exactly what was created, leaving absent optional members out', async () => {
      const full = request();
      const lean = request({
        procedure: { reference: 'R' },
        notice: { de: 'nur deutsch' },
        consentValidDays: null,
      });
      await store().create(full);
      await store().create(lean);
      expect(await store().get(full.id)).to.deep.equal(full);
      expect(await store().get(lean.id)).to.deep.equal(lean);
      expect(await store().get('request-unknown')).to.equal(undefined);
    });

    it('refuses a second request with the same id and keeps the first', async () => {
      const first = request();
      await store().create(first);
      await rejectionOf(store().create({ ...first, notice: { de: 'ein anderer Text' } }));
      expect(await store().get(first.id)).to.deep.equal(first);
    });

    it('decides once: the decision is stored, a second one is refused and changes nothing', async () => {
      const r = request();
      await store().create(r);
      expect(await store().decide(r.id, 'approved', T0 + 10, 'consent-7')).to.equal(true);
      const decided = { ...r, state: 'approved', decidedAt: T0 + 10, consentId: 'consent-7' };
      expect(await store().get(r.id)).to.deep.equal(decided);
      expect(await store().decide(r.id, 'declined', T0 + 20)).to.equal(false);
      expect(await store().decide(r.id, 'expired', T0 + 30)).to.equal(false);
      expect(await store().get(r.id)).to.deep.equal(decided);
    });

    it('records a decision without a consent id without one', async () => {
      const r = request();
      await store().create(r);
      expect(await store().decide(r.id, 'declined', T0 + 10)).to.equal(true);
      expect(await store().get(r.id)).to.deep.equal({ ...r, state: 'declined', decidedAt: T0 + 10 });
    });

    it('refuses to decide a request that does not exist', async () => {
      expect(await store().decide('request-unknown', 'approved', T0, 'consent-1')).to.equal(false);
      expect(await store().get('request-unknown')).to.equal(undefined);
    });

    it('lets exactly one of concurrent approve, decline and expire win, and stores that one', async () => {
      const r = request();
      await store().create(r);
      const states = ['approved', 'declined', 'expired', 'approved', 'declined'] as const;
      const results = await Promise.all(
        states.map((s, i) => store().decide(r.id, s, T0 + i, `consent-${i}`)),
      );
      expect(results.filter(Boolean)).to.have.length(1);
      const i = results.indexOf(true);
      const stored = await store().get(r.id);
      expect(stored?.state).to.equal(states[i]);
      expect(stored?.decidedAt).to.equal(T0 + i);
      expect(stored?.consentId).to.equal(`consent-${i}`);
    });

    it('lists one citizen’s requests newest first, decided or not, and nobody else’s', async () => {
      const older = request({ createdAt: T0 });
      const newer = request({ createdAt: T0 + 5 });
      const middle = request({ createdAt: T0 + 2 });
      const other = request({ subjectRef: 'subject-max', createdAt: T0 + 9 });
      for (const r of [middle, other, older, newer]) await store().create(r);
      await store().decide(older.id, 'expired', T0 + 100);
      const listed = await store().listBySubject('subject-erika');
      expect(listed.map((r) => r.id)).to.deep.equal([newer.id, middle.id, older.id]);
      expect(listed[2]!.state).to.equal('expired');
      expect(await store().listBySubject('subject-nobody')).to.deep.equal([]);
    });

    it('keeps requests and decisions across a reopen, and decides once across connections', async function () {
      const r = request();
      await store().create(r);
      const other = await store.reopen();
      expect(await other.get(r.id)).to.deep.equal(r);
      const results = await Promise.all([
        store().decide(r.id, 'approved', T0 + 1, 'consent-a'),
        other.decide(r.id, 'declined', T0 + 2),
      ]);
      expect(results.filter(Boolean)).to.have.length(1);
      expect((await store().get(r.id))?.state).to.equal(results[0] ? 'approved' : 'declined');
    });
  });
}
