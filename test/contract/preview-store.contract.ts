/**
 * Contract of the PreviewStore port (core/ports.ts): held evidence is decided at most once (compare-and-set on
 * 'pending'), the sealed bytes are gone after any decision but approval and after destroy, and the sweeper's
 * listDue finds exactly the entries whose time is up.
 */
import { expect } from 'chai';
import type { HeldEvidence, PreviewStore, TransferRecord } from '../../gateway/core/ports.js';
import { rejectionOf, T0, useStore, type OpenStore } from './harness.js';

let counter = 0;

function held(overrides: Partial<HeldEvidence> = {}): HeldEvidence {
  counter++;
  const exchangeId = overrides.exchangeId ?? `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  const record: TransferRecord = {
    v: 1,
    time: new Date(T0).toISOString(),
    exchangeId,
    outcome: 'awaiting-citizen',
    authenticated: true,
    consumer: 'ags:09999001',
    provider: 'psw:09999001',
    evidenceType: 'meldebescheinigung',
    purpose: 'wohngeld',
    legalBasis: '§ 23 WoGG',
    procedure: { reference: 'WG-1', service: 'wohngeld' },
    subjectRef: overrides.subjectRef ?? 'subject-erika',
    format: 'json',
    preview: 'pending',
    ...(overrides.consentId === undefined ? {} : { consentId: overrides.consentId }),
  };
  return {
    exchangeId,
    subjectRef: 'subject-erika',
    consumer: 'ags:09999001',
    provider: 'psw:09999001',
    evidenceType: 'meldebescheinigung',
    purpose: 'wohngeld',
    legalBasis: '§ 23 WoGG',
    procedure: { reference: 'WG-1', service: 'wohngeld' },
    format: 'json',
    heldAt: T0,
    decideBy: T0 + 600_000,
    state: 'pending',
    record,
    sealed: new Uint8Array([1, 2, 3, counter & 0xff]),
    ...overrides,
  };
}

const ids = (entries: readonly HeldEvidence[]): string[] => entries.map((e) => e.exchangeId);

export function previewStoreContract(name: string, open: OpenStore<PreviewStore>): void {
  describe(`PreviewStore contract: ${name}`, () => {
    const store = useStore(open);

    it('reads back what was held, sealed bytes included', async () => {
      const entry = held({ consentId: 'consent-1' });
      const noConsent = held();
      await store().hold(entry);
      await store().hold(noConsent);
      expect(await store().get(entry.exchangeId)).to.deep.equal(entry);
      expect(await store().get(noConsent.exchangeId)).to.deep.equal(noConsent);
      expect(await store().get('unknown')).to.equal(undefined);
    });

    it('refuses to hold a second entry for the same exchange and keeps the first', async () => {
      const entry = held();
      await store().hold(entry);
      await rejectionOf(store().hold({ ...entry, sealed: new Uint8Array([9, 9]) }));
      expect((await store().get(entry.exchangeId))?.sealed).to.deep.equal(entry.sealed);
    });

    it('decides a pending entry once; rejection destroys the sealed evidence', async () => {
      const entry = held();
      await store().hold(entry);
      expect(await store().decide(entry.exchangeId, 'rejected', T0 + 5)).to.equal(true);
      const after = await store().get(entry.exchangeId);
      expect(after).to.include({ state: 'rejected', decidedAt: T0 + 5, sealed: null });
      expect(after).to.not.have.property('collectUntil');
      expect(await store().decide(entry.exchangeId, 'approved', T0 + 6, T0 + 100)).to.equal(false);
      expect((await store().get(entry.exchangeId))?.state).to.equal('rejected');
    });

    it('keeps the sealed evidence on approval, with its collection window, until destroy', async () => {
      const entry = held();
      await store().hold(entry);
      expect(await store().decide(entry.exchangeId, 'approved', T0 + 5, T0 + 1000)).to.equal(true);
      const approved = await store().get(entry.exchangeId);
      expect(approved).to.include({ state: 'approved', decidedAt: T0 + 5, collectUntil: T0 + 1000 });
      expect(approved?.sealed).to.deep.equal(entry.sealed);
      await store().destroy(entry.exchangeId);
      const destroyed = await store().get(entry.exchangeId);
      expect(destroyed).to.include({ state: 'approved', sealed: null, collectUntil: T0 + 1000 });
    });

    it('destroys the evidence on expiry and cancellation too', async () => {
      const a = held();
      const b = held();
      await store().hold(a);
      await store().hold(b);
      expect(await store().decide(a.exchangeId, 'expired', T0 + 1)).to.equal(true);
      expect(await store().decide(b.exchangeId, 'cancelled', T0 + 2)).to.equal(true);
      expect((await store().get(a.exchangeId))?.sealed).to.equal(null);
      expect((await store().get(b.exchangeId))?.sealed).to.equal(null);
    });

    it('refuses to decide an entry that does not exist', async () => {
      expect(await store().decide('unknown', 'approved', T0, T0 + 1)).to.equal(false);
      expect(await store().get('unknown')).to.equal(undefined);
    });

    it('lets exactly one of concurrent decisions win, and stores that one', async () => {
      const entry = held();
      await store().hold(entry);
      const states = ['approved', 'rejected', 'cancelled', 'expired'] as const;
      const results = await Promise.all(
        states.map((s, i) => store().decide(entry.exchangeId, s, T0 + i, T0 + 99)),
      );
      expect(results.filter(Boolean)).to.have.length(1);
      const i = results.indexOf(true);
      const stored = await store().get(entry.exchangeId);
      expect(stored?.state).to.equal(states[i]);
      expect(stored?.decidedAt).to.equal(T0 + i);
      expect(stored?.sealed === null).to.equal(states[i] !== 'approved');
    });

    it('lists one citizen’s entries newest first, pending and decided, and nobody else’s', async () => {
      const older = held({ heldAt: T0 });
      const newer = held({ heldAt: T0 + 9 });
      const middle = held({ heldAt: T0 + 4 });
      const other = held({ subjectRef: 'subject-max', heldAt: T0 + 20 });
      for (const e of [middle, other, newer, older]) await store().hold(e);
      await store().decide(middle.exchangeId, 'rejected', T0 + 10);
      const listed = await store().listBySubject('subject-erika');
      expect(ids(listed)).to.deep.equal(ids([newer, middle, older]));
      expect(listed[1]!.state).to.equal('rejected');
      expect(await store().listBySubject('subject-nobody')).to.deep.equal([]);
    });

    it('lists the pending entries relying on a consent, and drops them once decided', async () => {
      const a = held({ consentId: 'consent-1', heldAt: T0 });
      const b = held({ consentId: 'consent-1', heldAt: T0 + 1 });
      const c = held({ consentId: 'consent-2' });
      const d = held();
      for (const e of [a, b, c, d]) await store().hold(e);
      expect(ids(await store().listPendingByConsent('consent-1')).sort()).to.deep.equal(ids([a, b]).sort());
      await store().decide(a.exchangeId, 'approved', T0 + 2, T0 + 100);
      expect(ids(await store().listPendingByConsent('consent-1'))).to.deep.equal(ids([b]));
      expect(await store().listPendingByConsent('consent-unknown')).to.deep.equal([]);
    });

    it('lists as due the pending entries at or past decideBy and the approved ones at or past collectUntil', async () => {
      const pendingDue = held({ decideBy: T0 + 100 });
      const pendingLater = held({ decideBy: T0 + 101 });
      const approvedDue = held();
      const approvedLater = held();
      const approvedCollected = held();
      const rejected = held({ decideBy: T0 + 1 });
      for (const e of [pendingDue, pendingLater, approvedDue, approvedLater, approvedCollected, rejected]) {
        await store().hold(e);
      }
      await store().decide(approvedDue.exchangeId, 'approved', T0 + 1, T0 + 100);
      await store().decide(approvedLater.exchangeId, 'approved', T0 + 1, T0 + 101);
      await store().decide(approvedCollected.exchangeId, 'approved', T0 + 1, T0 + 50);
      await store().destroy(approvedCollected.exchangeId);
      await store().decide(rejected.exchangeId, 'rejected', T0 + 2);

      const due = await store().listDue(T0 + 100, 10);
      expect(ids(due).sort()).to.deep.equal(ids([pendingDue, approvedDue]).sort());
      expect(await store().listDue(T0 + 49, 10)).to.deep.equal([]);
    });

    it('returns at most `limit` due entries', async () => {
      for (let i = 0; i < 5; i++) await store().hold(held({ decideBy: T0 + i }));
      expect(await store().listDue(T0 + 10, 3)).to.have.length(3);
      expect(await store().listDue(T0 + 10, 10)).to.have.length(5);
    });

    it('keeps held evidence across a reopen, and decides once across connections', async function () {
      const entry = held({ consentId: 'consent-9' });
      await store().hold(entry);
      const other = await store.reopen();
      expect(await other.get(entry.exchangeId)).to.deep.equal(entry);
      const results = await Promise.all([
        store().decide(entry.exchangeId, 'approved', T0 + 1, T0 + 100),
        other.decide(entry.exchangeId, 'cancelled', T0 + 2),
      ]);
      expect(results.filter(Boolean)).to.have.length(1);
      expect((await store().get(entry.exchangeId))?.state).to.equal(results[0] ? 'approved' : 'cancelled');
    });
  });
}
