/**
 * Contract of the ConsentStore port (core/ports.ts): a consent header written once, events appended only by
 * compare-and-set on the event count (so a single-use consent is used once, and a withdrawal is never lost to a
 * concurrent use), and reads that show exactly what was committed.
 */
import { expect } from 'chai';
import type { ConsentEvent, ConsentRecord, ConsentStore } from '../../gateway/core/ports.js';
import { rejectionOf, T0, useStore, type OpenStore } from './harness.js';

let counter = 0;

function consent(overrides: Partial<ConsentRecord> = {}): ConsentRecord {
  counter++;
  return {
    id: `consent-${counter}`,
    subjectRef: 'subject-erika',
    consumer: 'ags:09999001',
    evidenceTypes: ['meldebescheinigung', 'geburtsurkunde'],
    purpose: 'wohngeld-antrag',
    validUntil: T0 + 86_400_000,
    singleUse: false,
    createdAt: T0,
    events: [{ type: 'given', at: T0, by: 'citizen' }],
    ...overrides,
  };
}

const used = (n: number): ConsentEvent => ({ type: 'used', at: T0 + n, by: `x-${n}`, exchangeId: `x-${n}` });

export function consentStoreContract(name: string, open: OpenStore<ConsentStore>): void {
  describe(`ConsentStore contract: ${name}`, () => {
    const store = useStore(open);

    it('reads back exactly what was created, leaving absent optional members out', async () => {
      const plain = consent({ validUntil: null, singleUse: true });
      const viaRequest = consent({ requestId: 'req-1', noticeHash: 'aGFzaA' });
      await store().create(plain);
      await store().create(viaRequest);
      expect(await store().get(plain.id)).to.deep.equal(plain);
      expect(await store().get(viaRequest.id)).to.deep.equal(viaRequest);
      expect(await store().get('consent-unknown')).to.equal(undefined);
    });

    it('keeps the order and every member of the events it was created with', async () => {
      const record = consent({ events: [{ type: 'given', at: T0, by: 'citizen' }, used(1), used(2)] });
      await store().create(record);
      expect((await store().get(record.id))?.events).to.deep.equal(record.events);
    });

    it('refuses a second consent with the same id and keeps the first', async () => {
      const first = consent();
      await store().create(first);
      await rejectionOf(store().create({ ...first, purpose: 'something-else' }));
      expect(await store().get(first.id)).to.deep.equal(first);
    });

    it('lists one citizen’s consents newest first, with their events, and nobody else’s', async () => {
      const older = consent({ createdAt: T0 });
      const newer = consent({ createdAt: T0 + 5 });
      const middle = consent({ createdAt: T0 + 2 });
      const other = consent({ subjectRef: 'subject-max', createdAt: T0 + 9 });
      for (const r of [older, newer, other, middle]) await store().create(r);
      await store().appendEvent(middle.id, used(3), 1);
      const listed = await store().listBySubject('subject-erika');
      expect(listed.map((r) => r.id)).to.deep.equal([newer.id, middle.id, older.id]);
      expect(listed[1]!.events).to.deep.equal([...middle.events, used(3)]);
      expect(await store().listBySubject('subject-nobody')).to.deep.equal([]);
    });

    it('appends only while the event count is the one the caller saw (compare-and-set)', async () => {
      const record = consent();
      await store().create(record);
      expect(await store().appendEvent(record.id, used(1), 1)).to.equal(true);
      // The caller saw one event, but there are two now: refused, nothing appended.
      expect(await store().appendEvent(record.id, used(2), 1)).to.equal(false);
      expect(await store().appendEvent(record.id, used(2), 3)).to.equal(false);
      expect(
        await store().appendEvent(record.id, { type: 'withdrawn', at: T0 + 3, by: 'citizen' }, 2),
      ).to.equal(true);
      expect((await store().get(record.id))?.events).to.deep.equal([
        ...record.events,
        used(1),
        { type: 'withdrawn', at: T0 + 3, by: 'citizen' },
      ]);
    });

    it('appends nothing to a consent that does not exist', async () => {
      expect(await store().appendEvent('consent-unknown', used(1), 0)).to.equal(false);
      expect(await store().appendEvent('consent-unknown', used(1), 1)).to.equal(false);
      expect(await store().get('consent-unknown')).to.equal(undefined);
    });

    it('lets exactly one of 20 concurrent uses of a single-use consent succeed', async () => {
      const record = consent({ singleUse: true });
      await store().create(record);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store().appendEvent(record.id, used(i), 1)),
      );
      expect(results.filter(Boolean)).to.have.length(1);
      const winner = results.indexOf(true);
      expect((await store().get(record.id))?.events).to.deep.equal([...record.events, used(winner)]);
    });

    it('lets a withdrawal and a use race on the same count: exactly one is recorded', async () => {
      const record = consent();
      await store().create(record);
      const withdrawal: ConsentEvent = { type: 'withdrawn', at: T0 + 1, by: 'citizen' };
      const [a, b] = await Promise.all([
        store().appendEvent(record.id, used(1), 1),
        store().appendEvent(record.id, withdrawal, 1),
      ]);
      expect([a, b].filter(Boolean)).to.have.length(1);
      const events = (await store().get(record.id))!.events;
      expect(events).to.have.length(2);
      expect(events[1]).to.deep.equal(a ? used(1) : withdrawal);
    });

    it('shows an appended event to get and listBySubject as soon as appendEvent resolved', async () => {
      const record = consent();
      await store().create(record);
      expect((await store().listBySubject(record.subjectRef))[0]!.events).to.have.length(1);
      await store().appendEvent(record.id, used(1), 1);
      expect((await store().get(record.id))!.events).to.have.length(2);
      expect((await store().listBySubject(record.subjectRef))[0]!.events).to.have.length(2);
    });

    it('keeps a consent and its events across a reopen, and the compare-and-set holds across connections', async function () {
      const record = consent({ singleUse: true });
      await store().create(record);
      await store().appendEvent(record.id, used(1), 1);
      const other = await store.reopen();
      expect(await other.get(record.id)).to.deep.equal({ ...record, events: [...record.events, used(1)] });
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? other : store()).appendEvent(record.id, used(10 + i), 2),
        ),
      );
      expect(results.filter(Boolean)).to.have.length(1);
      expect((await store().get(record.id))!.events).to.have.length(3);
    });
  });
}
