import { expect } from 'chai';
import type { StoredLeaf, TransferRecord } from '../../../gateway/core/ports.js';
import { verifyPurges } from '../../../gateway/core/transfer-log/index.js';
import { MemoryTransferLogStore, sampleRecord } from './helpers/memory-store.js';

const PURGE_TIME = '2025-06-01T00:00:00.000Z';
let purges = 0;

/** A purge record as the store writes it, naming `leaves` ([first, count] ranges); null: no retention end. */
function purgeRecord(
  leaves: readonly (readonly [number, number])[],
  retainedUntil: string | null = '2025-01-01T00:00:00.000Z',
  time = PURGE_TIME,
): TransferRecord {
  purges++;
  return {
    v: 1,
    time,
    exchangeId: `00000000-0000-4000-9000-${String(purges).padStart(12, '0')}`,
    outcome: 'purged',
    authenticated: false,
    purged: { leaves, ...(retainedUntil === null ? {} : { retainedUntil }) },
  };
}

/** A memory store of `size` sample records. */
async function logOf(size: number): Promise<MemoryTransferLogStore> {
  const store = new MemoryTransferLogStore();
  await store.append(Array.from({ length: size }, () => sampleRecord({ retentionUntil: '2024-12-31' })));
  return store;
}

/** What verifyPurges found wrong: reason, first bad index and size (undefined ones when it passed). */
async function failureOf(store: MemoryTransferLogStore) {
  const result = await verifyPurges(store);
  expect(result.ok).to.equal(result.reason === undefined);
  return [result.reason, result.firstBadIndex, result.size];
}

function erase(store: MemoryTransferLogStore, ...indexes: number[]): void {
  for (const i of indexes) store.leaves[i] = { ...store.leaves[i]!, record: null };
}

describe('verifyPurges', () => {
  it('accepts a log without erased records', async () => {
    expect(await verifyPurges(await logOf(5))).to.deep.equal({ ok: true, size: 5 });
    expect(await verifyPurges(new MemoryTransferLogStore())).to.deep.equal({ ok: true, size: 0 });
  });

  it('accepts erased leaves that later purge records name, with retention ends not after their time', async () => {
    const store = await logOf(10);
    erase(store, 0, 1, 2, 5);
    await store.append([
      purgeRecord([
        [0, 3],
        [5, 1],
      ]),
    ]);
    erase(store, 7);
    // A retention end equal to the purge time has ended ("before now" is what the purge erases).
    await store.append([purgeRecord([[7, 1]], PURGE_TIME)]);
    expect(await verifyPurges(store)).to.deep.equal({ ok: true, size: 12 });
  });

  it('fails with purge-unrecorded at the first erased leaf that no purge record names', async () => {
    const store = await logOf(10);
    erase(store, 2, 3, 6);
    await store.append([purgeRecord([[2, 2]])]);
    expect(await failureOf(store)).to.deep.equal(['purge-unrecorded', 6, 11]);
  });

  it('fails with purge-unrecorded when an erased leaf is named only by an earlier purge record', async () => {
    const store = await logOf(4);
    erase(store, 0);
    await store.append([purgeRecord([[0, 1]])]);
    erase(store, 1);
    expect(await failureOf(store)).to.deep.equal(['purge-unrecorded', 1, 5]);
  });

  it('fails with purge-unrecorded when the purge record itself was erased', async () => {
    const store = await logOf(6);
    erase(store, 3, 4);
    await store.append([purgeRecord([[3, 2]])]);
    erase(store, 6);
    expect(await failureOf(store)).to.deep.equal(['purge-unrecorded', 3, 7]);
  });

  it('fails with purge-early at a purge record whose stated retention end is after its own time', async () => {
    const store = await logOf(6);
    erase(store, 1);
    await store.append([purgeRecord([[1, 1]], '2027-01-01T00:00:00.000Z')]);
    expect(await failureOf(store)).to.deep.equal(['purge-early', 6, 7]);
  });

  it('fails with purge-early for a retention end that is not a date', async () => {
    const store = await logOf(3);
    erase(store, 0);
    await store.append([purgeRecord([[0, 1]], 'never')]);
    expect(await failureOf(store)).to.deep.equal(['purge-early', 3, 4]);
  });

  /**
   * What, the leaves erased, and the purge records appended after them, the last one bad: each as its ranges
   * `first+count`, and `no-end` for one without a retention end.
   */
  const invalid: [string, number[], string[]][] = [
    ['a leaf that still holds its record', [1], ['1+2']],
    ['itself or a later leaf', [7], ['7+2']],
    ['a leaf an earlier purge record named', [2], ['2+1', '2+1']],
    ['ranges out of order', [1, 4], ['4+1 1+1']],
    ['overlapping ranges', [1, 2, 3], ['1+2 2+2']],
    ['an empty range', [1], ['1+1 3+0']],
    ['a range that is not two integers', [1], ['1+1+5']],
    ['no retention end while an earlier purge record exists', [1, 2], ['1+1', '2+1 no-end']],
  ];
  for (const [what, erased, records] of invalid) {
    it(`fails with purge-invalid at a purge record that names ${what}`, async () => {
      const store = await logOf(8);
      erase(store, ...erased);
      for (const spec of records) {
        const tokens = spec.split(' ');
        const ranges = tokens.filter((t) => t !== 'no-end').map((t) => t.split('+').map(Number));
        const until = tokens.includes('no-end') ? null : undefined;
        await store.append([purgeRecord(ranges as [number, number][], until)]);
      }
      const at = 8 + records.length - 1;
      expect(await failureOf(store)).to.deep.equal(['purge-invalid', at, at + 1]);
    });
  }

  it('fails with purge-invalid for a purge record without its list of leaves', async () => {
    const store = await logOf(3);
    const { purged: _, ...bare } = purgeRecord([]);
    await store.append([bare as TransferRecord]);
    expect(await failureOf(store)).to.deep.equal(['purge-invalid', 3, 4]);
  });

  it('accepts the first purge record without a retention end: the erasures found when purges began to be logged', async () => {
    const store = await logOf(6);
    erase(store, 0, 1, 4);
    await store.append([
      purgeRecord(
        [
          [0, 2],
          [4, 1],
        ],
        null,
      ),
    ]);
    erase(store, 2);
    await store.append([purgeRecord([[2, 1]])]);
    expect(await verifyPurges(store)).to.deep.equal({ ok: true, size: 8 });
  });

  it('does not take a record that only mentions a purge for a purge record', async () => {
    const store = await logOf(3);
    erase(store, 0);
    await store.append([{ ...sampleRecord(), reason: '"outcome":"purged","purged":{"leaves":[[0,1]]}' }]);
    expect(await failureOf(store)).to.deep.equal(['purge-unrecorded', 0, 4]);
  });

  it('is neither unrecorded nor invalid when a purge commits while the leaves are read', async () => {
    // The purge commits after leaves 0–3 were read: it erases leaves 1 (read with content) and 5 (not read yet)
    // and appends its record beyond the size the pass started with.
    class RacingStore extends MemoryTransferLogStore {
      raced = false;
      override async *iterateLeaves(from: number): AsyncIterable<StoredLeaf> {
        for (let i = from; i < this.leaves.length; i++) {
          if (i === 4 && !this.raced) {
            this.raced = true;
            erase(this, 1, 5);
            await this.append([
              purgeRecord([
                [1, 1],
                [5, 1],
              ]),
            ]);
          }
          yield this.leaves[i]!;
        }
      }
    }
    const store = new RacingStore();
    await store.append(Array.from({ length: 8 }, () => sampleRecord()));
    expect(await verifyPurges(store)).to.deep.equal({ ok: true, size: 8 });
    // The next pass sees the whole purge.
    expect(await verifyPurges(store)).to.deep.equal({ ok: true, size: 9 });
  });
});
