import { expect } from 'chai';
import { GatewayError } from '../../../gateway/core/errors.js';
import type { TransferRecord } from '../../../gateway/core/ports.js';
import {
  createTransferLog,
  extendRetention,
  type RetentionExtension,
} from '../../../gateway/core/transfer-log/index.js';
import { ecSigner, manualClock, MemoryTransferLogStore, sampleRecord } from './helpers/memory-store.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    expect(error).to.be.instanceOf(GatewayError);
    return (error as GatewayError).code;
  }
}

describe('extendRetention', () => {
  /** A log holding an exchange (intent + released) retained until 2027-01-01, the clock at 2025-01-01. */
  async function setup() {
    const store = new MemoryTransferLogStore();
    const clock = manualClock(Date.UTC(2025, 0, 1));
    const log = createTransferLog({ store, signer: ecSigner(), clock, gatewayId: 'oog:test-gateway' });
    const released = sampleRecord({ retentionUntil: '2027-01-01T00:00:00.000Z' });
    await log.append({ ...released, outcome: 'intent' });
    await log.append(released);
    await log.append(sampleRecord());
    const recordsOf = async (id: string) =>
      store.leaves.filter(
        (l) => l.record !== null && (JSON.parse(l.record) as TransferRecord).exchangeId === id,
      );
    const extend = (input: Partial<RetentionExtension>) =>
      extendRetention(
        { log, recordsOf, clock },
        {
          exchangeId: released.exchangeId,
          until: '2031-12-31',
          reason: 'Klage vor dem VG Berlin, Az. 1 K 23/25',
          ...input,
        },
      );
    return { store, clock, log, released, extend };
  }

  it('appends a retention-extended record with the new end, the reason and who the exchange concerns', async () => {
    const { store, released, extend } = await setup();
    const { leaf, record } = await extend({ actor: 'dsb-mueller' });
    expect(leaf.index).to.equal(3);
    expect(JSON.parse(store.leaves[3]!.record!)).to.deep.equal(record);
    expect(record).to.deep.equal({
      v: 1,
      time: '2025-01-01T00:00:00.000Z',
      exchangeId: released.exchangeId,
      outcome: 'retention-extended',
      reason: 'Klage vor dem VG Berlin, Az. 1 K 23/25',
      retentionUntil: '2031-12-31T00:00:00.000Z',
      actor: 'dsb-mueller',
      authenticated: true,
      consumer: released.consumer,
      provider: released.provider,
      evidenceType: released.evidenceType,
      purpose: released.purpose,
      subjectRef: released.subjectRef,
    });
  });

  it('extends an extension again, and accepts a UTC date-time', async () => {
    const { extend } = await setup();
    await extend({ until: '2030-01-01' });
    const { record } = await extend({ until: '2030-06-30T12:00:00Z' });
    expect(record.retentionUntil).to.equal('2030-06-30T12:00:00.000Z');
    expect(await codeOf(extend({ until: '2030-03-01' }))).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('refuses an unknown or purged exchange with ERR_NOT_FOUND', async () => {
    const { store, extend } = await setup();
    expect(await codeOf(extend({ exchangeId: 'no-such-exchange' }))).to.equal('ERR_NOT_FOUND');
    for (const leaf of store.leaves) Object.assign(leaf, { record: null });
    expect(await codeOf(extend({}))).to.equal('ERR_NOT_FOUND');
    expect(store.leaves).to.have.length(3);
  });

  it('refuses a retention that has already ended with ERR_REQUEST_MALFORMED', async () => {
    const { store, clock, extend } = await setup();
    clock.set(Date.UTC(2027, 0, 2));
    expect(await codeOf(extend({ until: '2035-01-01' }))).to.equal('ERR_REQUEST_MALFORMED');
    expect(store.leaves).to.have.length(3);
  });

  const bad: [string, Partial<RetentionExtension>][] = [
    ['an end before the current one', { until: '2026-06-30' }],
    ['the current end itself', { until: '2027-01-01' }],
    ['not a date', { until: 'tomorrow' }],
    ['a date that does not exist', { until: '2030-02-30' }],
    ['a local time without zone', { until: '2030-01-01T10:00:00' }],
    ['a non-string date', { until: 20300101 as unknown as string }],
    ['an empty reason', { reason: '' }],
    ['a blank reason', { reason: ' \t\n' }],
    ['a reason over 1000 characters', { reason: 'x'.repeat(1001) }],
    ['an empty exchange id', { exchangeId: '' }],
    ['an empty actor', { actor: '' }],
  ];
  for (const [what, input] of bad) {
    it(`refuses ${what} with ERR_REQUEST_MALFORMED and logs nothing`, async () => {
      const { store, extend } = await setup();
      expect(await codeOf(extend(input))).to.equal('ERR_REQUEST_MALFORMED');
      expect(store.leaves).to.have.length(3);
    });
  }

  it('stores control characters and markup in the reason as data', async () => {
    const { store, extend } = await setup();
    const reason = 'Az. 7\n=HYPERLINK("x")<script>\u0000';
    const { record } = await extend({ reason });
    expect(record.reason).to.equal(reason);
    expect(store.leaves[3]!.record).to.include('\\n=HYPERLINK(\\"x\\")<script>\\u0000');
  });
});
