/**
 * Contract of the transfer log's storage: the TransferLogStore and OpenIntents ports (core/ports.ts), and the
 * read queries and retention purge that today exist only on SqliteTransferLogStore (TransferLogQueries below,
 * typed after that class's method shapes until they become a core port).
 *
 * What a second backend could get wrong: indexes that are not gap-free or not in argument order under concurrent
 * appends, leaf bytes or hashes that differ from the canonical encoding, Merkle nodes that do not match their
 * leaves, checkpoints that go back, pages that skip or repeat leaves, intents that stay open after their outcome,
 * filters and paging of the DPO's list, and purges that touch the hashes or records they must keep.
 */
import { expect } from 'chai';
import type {
  OpenIntents,
  SignedCheckpoint,
  StoredLeaf,
  TransferCount,
  TransferFilter,
  TransferLogStore,
  TransferRecord,
} from '../../gateway/core/ports.js';
import {
  encodeRecord,
  leafHash,
  nodeHash,
  recordLeafHash,
  rootHash,
} from '../../gateway/core/transfer-log/index.js';
import type {
  TransferLogQueries as CoreTransferLogQueries,
  TransferLogRetention,
} from '../../gateway/core/ports.js';
import { rejectionOf, T0, useStore, type OpenStore } from './harness.js';

/** The transfer log reads the DPO and citizen views need, and the retention purge (core ports). */
export type TransferLogQueries = CoreTransferLogQueries & TransferLogRetention;

export type TransferLogStorage = TransferLogStore & OpenIntents & TransferLogQueries;

/**
 * Tests a backend may declare as failing today (they run as pending there, and fully everywhere else), so a
 * known bug stays visible without failing CI. 'time-bound-out-of-order': SqliteTransferLogStore turns `from`
 * into a log index through the record with the smallest time in the minute before (`#indexAtTime`, ORDER BY
 * time), not the smallest index, so a record stamped even 1 ms out of index order can fall below the bound.
 */
export type TransferLogKnownBug = 'time-bound-out-of-order';

const MINUTE = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

let counter = 0;

/** A well-formed record at T0 + `minute` minutes; `overrides` replace members. */
function rec(overrides: Partial<TransferRecord> = {}, minute = 0): TransferRecord {
  counter++;
  return {
    v: 1,
    time: iso(T0 + minute * MINUTE),
    exchangeId: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    outcome: 'released',
    authenticated: true,
    consumer: 'ags:09999001',
    provider: 'psw:09999001',
    evidenceType: 'meldebescheinigung',
    purpose: 'wohngeld',
    subjectRef: 'subject-erika',
    retentionUntil: '2030-01-01',
    ...overrides,
  };
}

const textOf = (r: TransferRecord): string => Buffer.from(encodeRecord(r)).toString('utf8');
const hashOf = (r: TransferRecord): string =>
  Buffer.from(recordLeafHash(encodeRecord(r))).toString('base64url');
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const indexes = (leaves: readonly StoredLeaf[]): number[] => leaves.map((l) => l.index);
const parsed = (leaf: StoredLeaf): TransferRecord => JSON.parse(leaf.record!) as TransferRecord;

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function checkpoint(treeSize: number, rootHashText: string, time: number): SignedCheckpoint {
  return { treeSize, rootHash: rootHashText, time, jws: `jws-${treeSize}-${time}` };
}

export function transferLogStoreContract(
  name: string,
  open: OpenStore<TransferLogStorage>,
  options: {
    readonly knownBugs?: readonly TransferLogKnownBug[];
    /** Optional port members this backend does not implement, declared so the tests for them show as pending. */
    readonly lacks?: readonly 'iterateLeafPages'[];
  } = {},
): void {
  const unlessKnownBug = (bug: TransferLogKnownBug) => (options.knownBugs?.includes(bug) ? it.skip : it);
  const unlessLacking = (member: 'iterateLeafPages') => (options.lacks?.includes(member) ? it.skip : it);
  describe(`TransferLogStore contract: ${name}`, () => {
    const store = useStore(open);

    /** Appends `records` one append each, in order; resolves with them. */
    async function appendAll(records: readonly TransferRecord[]): Promise<TransferRecord[]> {
      for (const r of records) await store().append([r]);
      return [...records];
    }

    describe('append and read back', () => {
      it('starts empty', async () => {
        expect(await store().size()).to.equal(0);
        expect(await store().leaf(0)).to.equal(undefined);
        expect(await store().latestCheckpoint()).to.equal(undefined);
        expect(await collect(store().iterateLeaves(0))).to.deep.equal([]);
        expect(await store().openIntents(iso(T0 + 1e9), 10)).to.deep.equal([]);
      });

      it('gives a batch gap-free indexes in argument order, continuing after the last, with canonical leaves', async () => {
        const first = [rec(), rec({ outcome: 'refused', code: 'ERR_CONSENT_MISSING' })];
        const second = [rec(), rec(), rec()];
        const a = await store().append(first);
        const b = await store().append(second);
        expect(a).to.deep.equal(first.map((r, i) => ({ index: i, leafHash: hashOf(r) })));
        expect(b).to.deep.equal(second.map((r, i) => ({ index: 2 + i, leafHash: hashOf(r) })));
        expect(await store().size()).to.equal(5);
        const all = [...first, ...second];
        for (let i = 0; i < all.length; i++) {
          expect(await store().leaf(i)).to.deep.equal({
            index: i,
            leafHash: hashOf(all[i]!),
            record: textOf(all[i]!),
          });
        }
      });

      it('stores the exact canonical bytes of records with nested members and non-ASCII text', async () => {
        const r = rec({
          procedure: { reference: 'WG-2026/ä', service: 'wohngeld' },
          fields: ['name', 'anschrift'],
          policy: { id: 'p', version: '1', hash: 'aGFzaA' },
          purpose: 'Straße – Prüfung',
        });
        await store().append([r]);
        const leaf = await store().leaf(0);
        expect(leaf?.record).to.equal(textOf(r));
        expect(b64(leafHash(new TextEncoder().encode(leaf!.record!)))).to.equal(leaf?.leafHash);
      });

      it('answers no leaf for an index outside the log or not an index', async () => {
        await store().append([rec(), rec()]);
        for (const index of [-1, 2, 3, 1.5, Number.NaN])
          expect(await store().leaf(index)).to.equal(undefined);
      });

      it('appends nothing for an empty batch', async () => {
        await store().append([rec()]);
        expect(await store().append([])).to.deep.equal([]);
        expect(await store().size()).to.equal(1);
      });

      it('refuses a malformed record without touching the appends around it', async () => {
        const good = [rec(), rec()];
        const bad = { ...rec(), v: 2 } as unknown as TransferRecord;
        const results = await Promise.allSettled([
          store().append([good[0]!]),
          store().append([bad]),
          store().append([good[1]!]),
        ]);
        expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
        expect(await store().size()).to.equal(2);
        const texts = (await collect(store().iterateLeaves(0))).map((l) => l.record);
        expect(texts).to.have.members(good.map(textOf));
      });

      it('never gives two concurrent appends the same index: 200 single appends and 10 batches of 5', async () => {
        const singles = Array.from({ length: 200 }, () => [rec()]);
        const batches = Array.from({ length: 10 }, () => Array.from({ length: 5 }, () => rec()));
        const all = [...singles, ...batches].sort(() => Math.random() - 0.5);
        const results = await Promise.all(all.map((records) => store().append(records)));
        const seen = results.flat().map((l) => l.index);
        expect(new Set(seen).size).to.equal(250);
        expect(Math.min(...seen)).to.equal(0);
        expect(Math.max(...seen)).to.equal(249);
        expect(await store().size()).to.equal(250);
        for (let k = 0; k < all.length; k++) {
          const leaves = results[k]!;
          // A batch is contiguous and in argument order.
          leaves.forEach((l, i) => expect(l.index).to.equal(leaves[0]!.index + i));
          for (let i = 0; i < leaves.length; i++) {
            expect((await store().leaf(leaves[i]!.index))?.record).to.equal(textOf(all[k]![i]!));
          }
        }
      });

      it('shows an append to size, leaf and iterateLeaves as soon as it resolved', async () => {
        const [leaf] = await store().append([rec()]);
        expect(await store().size()).to.equal(1);
        expect((await store().leaf(leaf!.index))?.leafHash).to.equal(leaf!.leafHash);
        const pending = store().append([rec()]);
        const [second] = await pending;
        expect(await store().size()).to.equal(2);
        expect(indexes(await collect(store().iterateLeaves(0)))).to.deep.equal([0, second!.index]);
      });
    });

    describe('Merkle nodes', () => {
      it('keeps the leaf hashes as level 0 and every complete subtree above, answering in argument order', async () => {
        const records = Array.from({ length: 20 }, () => rec());
        await store().append(records);
        const leaves = records.map((r) => recordLeafHash(encodeRecord(r)));
        const level0 = await store().nodes(leaves.map((_, index) => ({ level: 0, index })));
        expect(level0.map(b64)).to.deep.equal(leaves.map(b64));
        const [n10, n11, n20, n40] = await store().nodes([
          { level: 1, index: 0 },
          { level: 1, index: 1 },
          { level: 2, index: 0 },
          { level: 4, index: 0 },
        ]);
        const l1 = nodeHash(leaves[0]!, leaves[1]!);
        const r1 = nodeHash(leaves[2]!, leaves[3]!);
        expect(b64(n10!)).to.equal(b64(l1));
        expect(b64(n11!)).to.equal(b64(r1));
        expect(b64(n20!)).to.equal(b64(nodeHash(l1, r1)));
        expect(n40).to.have.length(32);
        // Reverse order, mixing levels: answered in the order asked.
        const reversed = await store().nodes([
          { level: 2, index: 0 },
          { level: 0, index: 19 },
          { level: 0, index: 3 },
        ]);
        expect(reversed.map(b64)).to.deep.equal([b64(nodeHash(l1, r1)), b64(leaves[19]!), b64(leaves[3]!)]);
      });

      it('gives the RFC 9162 root of every prefix of the log', async () => {
        const records: TransferRecord[] = [];
        for (let size = 1; size <= 13; size++) {
          const r = rec();
          records.push(r);
          await store().append([r]);
          const root = await rootHash(size, (refs) => store().nodes(refs));
          expect(b64(root)).to.equal(b64(naiveRoot(records.map((x) => recordLeafHash(encodeRecord(x))))));
        }
      });

      it('refuses a node of a subtree that is not complete', async () => {
        await store().append(Array.from({ length: 5 }, () => rec()));
        await rejectionOf(store().nodes([{ level: 1, index: 2 }]));
        await rejectionOf(store().nodes([{ level: 3, index: 0 }]));
        await rejectionOf(
          store().nodes([
            { level: 0, index: 0 },
            { level: 0, index: 5 },
          ]),
        );
      });
    });

    describe('checkpoints', () => {
      it('keeps the checkpoint of the largest tree as the latest', async () => {
        await store().append(Array.from({ length: 5 }, () => rec()));
        const c3 = checkpoint(3, 'root-3', T0);
        const c5 = checkpoint(5, 'root-5', T0 + 1);
        await store().saveCheckpoint(c3);
        expect(await store().latestCheckpoint()).to.deep.equal(c3);
        await store().saveCheckpoint(c5);
        expect(await store().latestCheckpoint()).to.deep.equal(c5);
      });

      it('refuses a checkpoint that goes back in size or time, or covers leaves the log lacks', async () => {
        await store().append(Array.from({ length: 5 }, () => rec()));
        await store().saveCheckpoint(checkpoint(4, 'root-4', T0 + 10));
        await rejectionOf(store().saveCheckpoint(checkpoint(3, 'root-3', T0 + 20)));
        await rejectionOf(store().saveCheckpoint(checkpoint(5, 'root-5', T0 + 9)));
        await rejectionOf(store().saveCheckpoint(checkpoint(6, 'root-6', T0 + 30)));
        expect(await store().latestCheckpoint()).to.deep.equal(checkpoint(4, 'root-4', T0 + 10));
      });

      it('accepts the same checkpoint again, and refuses another root for the same size', async () => {
        await store().append(Array.from({ length: 4 }, () => rec()));
        const c = checkpoint(4, 'root-4', T0);
        await store().saveCheckpoint(c);
        await store().saveCheckpoint({ ...c, time: T0 + 1, jws: 'another-jws' });
        expect((await store().latestCheckpoint())?.rootHash).to.equal('root-4');
        await rejectionOf(store().saveCheckpoint(checkpoint(4, 'root-other', T0 + 2)));
        expect((await store().latestCheckpoint())?.rootHash).to.equal('root-4');
      });
    });

    describe('iterating the stored leaves', () => {
      it('yields every leaf from `from` on, in index order, across pages, none twice', async () => {
        // More than one page of any reasonable page size (SQLite reads 2048 rows per page).
        const records = Array.from({ length: 2100 }, () => rec());
        for (let i = 0; i < records.length; i += 500) await store().append(records.slice(i, i + 500));
        const all = await collect(store().iterateLeaves(0));
        expect(indexes(all)).to.deep.equal(records.map((_, i) => i));
        expect(all.map((l) => l.record)).to.deep.equal(records.map(textOf));
        expect(indexes(await collect(store().iterateLeaves(2047)))).to.deep.equal(
          records.slice(2047).map((_, i) => 2047 + i),
        );
        expect(await collect(store().iterateLeaves(2100))).to.deep.equal([]);
      });

      unlessLacking('iterateLeafPages')(
        'yields the same leaves through iterateLeafPages, as raw bytes',
        async () => {
          const pages = store().iterateLeafPages?.bind(store());
          if (pages === undefined)
            throw new Error('iterateLeafPages is missing; declare it in `lacks` if on purpose');
          const records = Array.from({ length: 40 }, () => rec());
          await store().append(records);
          const raw = (await collect(pages(3))).flat();
          expect(raw.map(([index]) => index)).to.deep.equal(records.slice(3).map((_, i) => 3 + i));
          raw.forEach(([index, hash, bytes]) => {
            expect(b64(hash)).to.equal(hashOf(records[index]!));
            expect(Buffer.from(bytes!).toString('utf8')).to.equal(textOf(records[index]!));
          });
        },
      );
    });

    describe('open intents', () => {
      it('lists an intent until its exchange has an outcome, oldest first', async () => {
        const a = rec({ outcome: 'intent' }, 1);
        const b = rec({ outcome: 'intent' }, 2);
        const c = rec({ outcome: 'intent' }, 3);
        // Appended out of time order: oldest first means by record time.
        await appendAll([b, a, c]);
        const before = iso(T0 + 60 * MINUTE);
        expect((await store().openIntents(before, 10)).map(parsed)).to.deep.equal([a, b, c]);
        await store().append([rec({ exchangeId: b.exchangeId, outcome: 'released' }, 4)]);
        await store().append([
          rec({ exchangeId: c.exchangeId, outcome: 'refused', code: 'ERR_PROVIDER_UNAVAILABLE' }, 5),
        ]);
        expect((await store().openIntents(before, 10)).map(parsed)).to.deep.equal([a]);
      });

      it('answers the intent leaf as stored: its index, hash and record', async () => {
        await store().append([rec()]);
        const intent = rec({ outcome: 'intent' }, 1);
        const [leaf] = await store().append([intent]);
        expect(await store().openIntents(iso(T0 + 60 * MINUTE), 10)).to.deep.equal([
          { index: leaf!.index, leafHash: leaf!.leafHash, record: textOf(intent) },
        ]);
      });

      it('is closed by every outcome, also awaiting-citizen and withheld, but not by a retention extension', async () => {
        const intents = ['awaiting-citizen', 'withheld', 'retention-extended'].map((_, i) =>
          rec({ outcome: 'intent' }, i),
        );
        await appendAll(intents);
        await store().append([rec({ exchangeId: intents[0]!.exchangeId, outcome: 'awaiting-citizen' }, 5)]);
        await store().append([rec({ exchangeId: intents[1]!.exchangeId, outcome: 'withheld' }, 5)]);
        await store().append([
          rec(
            { exchangeId: intents[2]!.exchangeId, outcome: 'retention-extended', reason: 'court order' },
            5,
          ),
        ]);
        expect((await store().openIntents(iso(T0 + 60 * MINUTE), 10)).map(parsed)).to.deep.equal([
          intents[2],
        ]);
      });

      it('closes an intent whose outcome is in the same batch', async () => {
        const intent = rec({ outcome: 'intent' }, 1);
        await store().append([intent, rec({ exchangeId: intent.exchangeId, outcome: 'released' }, 2)]);
        expect(await store().openIntents(iso(T0 + 60 * MINUTE), 10)).to.deep.equal([]);
      });

      it('lists only intents recorded strictly before `before`, at most `limit`', async () => {
        const intents = [1, 2, 3, 4].map((m) => rec({ outcome: 'intent' }, m));
        await appendAll(intents);
        expect((await store().openIntents(iso(T0 + 3 * MINUTE), 10)).map(parsed)).to.deep.equal(
          intents.slice(0, 2),
        );
        expect((await store().openIntents(iso(T0 + 3 * MINUTE + 1), 10)).map(parsed)).to.deep.equal(
          intents.slice(0, 3),
        );
        expect((await store().openIntents(iso(T0 + 60 * MINUTE), 2)).map(parsed)).to.deep.equal(
          intents.slice(0, 2),
        );
      });
    });

    describe('queries of the DPO and citizen views (SQLite-only API today)', () => {
      it('lists final records newest first by default, leaving intents and other outcomes out', async () => {
        const records = await appendAll([
          rec({ outcome: 'intent' }),
          rec({ outcome: 'released' }),
          rec({ outcome: 'awaiting-citizen' }),
          rec({ outcome: 'refused', code: 'ERR_CONSENT_MISSING' }),
          rec({ outcome: 'withheld' }),
          rec({ outcome: 'retention-extended', reason: 'x' }),
        ]);
        expect(indexes(await store().findRecords({ limit: 10 }))).to.deep.equal([4, 3, 1]);
        expect(
          indexes(await store().findRecords({ limit: 10, outcomes: ['intent', 'awaiting-citizen'] })),
        ).to.deep.equal([2, 0]);
        expect((await store().findRecords({ limit: 1 })).map(parsed)).to.deep.equal([records[4]]);
      });

      it('pages with beforeIndex and limit through every match exactly once', async () => {
        await store().append(
          Array.from({ length: 23 }, (_, i) => rec({ consumer: i % 2 ? 'ags:odd' : 'ags:even' })),
        );
        const seen: number[] = [];
        let beforeIndex: number | undefined;
        for (;;) {
          const page = await store().findRecords({
            consumer: 'ags:even',
            limit: 5,
            ...(beforeIndex === undefined ? {} : { beforeIndex }),
          });
          if (page.length === 0) break;
          expect(page.length).to.be.at.most(5);
          seen.push(...indexes(page));
          beforeIndex = page.at(-1)!.index;
        }
        expect(seen).to.deep.equal([22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0]);
      });

      it('filters on each exact-match member, combined with AND', async () => {
        await appendAll([
          rec({ consumer: 'ags:a', provider: 'psw:x', evidenceType: 'e1', purpose: 'p1', subjectRef: 's1' }),
          rec({ consumer: 'ags:a', provider: 'psw:y', evidenceType: 'e2', purpose: 'p1', subjectRef: 's2' }),
          rec({ consumer: 'ags:b', provider: 'psw:x', evidenceType: 'e1', purpose: 'p2', subjectRef: 's1' }),
        ]);
        const find = async (f: Omit<TransferFilter, 'limit'>) =>
          indexes(await store().findRecords({ ...f, limit: 10 }));
        expect(await find({ consumer: 'ags:a' })).to.deep.equal([1, 0]);
        expect(await find({ provider: 'psw:x' })).to.deep.equal([2, 0]);
        expect(await find({ evidenceType: 'e2' })).to.deep.equal([1]);
        expect(await find({ purpose: 'p2' })).to.deep.equal([2]);
        expect(await find({ subjectRef: 's1' })).to.deep.equal([2, 0]);
        expect(await find({ consumer: 'ags:a', provider: 'psw:x' })).to.deep.equal([0]);
        expect(await find({ consumer: 'ags:a', purpose: 'p2' })).to.deep.equal([]);
      });

      it('limits a participant-bound DPO to records naming one of them as consumer or provider', async () => {
        await appendAll([
          rec({ consumer: 'ags:a', provider: 'psw:x' }),
          rec({ consumer: 'ags:b', provider: 'psw:y' }),
          rec({ consumer: 'ags:c', provider: 'ags:a' }),
          rec({ consumer: 'ags:b', provider: 'psw:x' }),
        ]);
        expect(indexes(await store().findRecords({ participants: ['ags:a'], limit: 10 }))).to.deep.equal([
          2, 0,
        ]);
        expect(
          indexes(await store().findRecords({ participants: ['ags:a', 'psw:x'], limit: 10 })),
        ).to.deep.equal([3, 2, 0]);
        expect(
          indexes(await store().findRecords({ participants: ['ags:a', 'psw:x'], limit: 2 })),
        ).to.deep.equal([3, 2]);
        expect(indexes(await store().findRecords({ participants: [], limit: 10 }))).to.deep.equal([]);
      });

      it('filters by time, from inclusive and to exclusive', async () => {
        await appendAll([0, 10, 20, 30].map((m) => rec({}, m)));
        const range = async (from: number, to: number) =>
          indexes(
            await store().findRecords({
              from: iso(T0 + from * MINUTE),
              to: iso(T0 + to * MINUTE),
              limit: 10,
            }),
          );
        expect(await range(10, 30)).to.deep.equal([2, 1]);
        expect(await range(0, 1)).to.deep.equal([0]);
        expect(await range(31, 90)).to.deep.equal([]);
        expect(indexes(await store().findRecords({ from: iso(T0 + 20 * MINUTE), limit: 10 }))).to.deep.equal([
          3, 2,
        ]);
        expect(indexes(await store().findRecords({ to: iso(T0 + 10 * MINUTE), limit: 10 }))).to.deep.equal([
          0,
        ]);
      });

      // Records are stamped before they are appended: concurrent writers (a second process, `oog log retain`) and
      // clock steps put them in the log slightly out of time order, and the time filter must not depend on it.
      unlessKnownBug('time-bound-out-of-order')(
        'filters and counts by time whatever the order the records reached the log in',
        async () => {
          const stampedLater = rec({}, 10);
          const stampedEarlier = { ...rec(), time: iso(T0 + 10 * MINUTE - 1) };
          await appendAll([stampedLater, stampedEarlier]);
          const from = stampedLater.time;
          expect(indexes(await store().findRecords({ from, limit: 10 }))).to.deep.equal([0]);
          const counts = await store().countTransfers({ from, to: iso(T0 + 120 * MINUTE) });
          expect(counts.map((c) => c.count)).to.deep.equal([1]);
        },
      );

      it('lists the records of one exchange in log order, whatever their outcome', async () => {
        const intent = rec({ outcome: 'intent' });
        await appendAll([intent, rec(), rec({ exchangeId: intent.exchangeId, outcome: 'released' })]);
        expect(indexes(await store().recordsByExchange(intent.exchangeId))).to.deep.equal([0, 2]);
        expect(await store().recordsByExchange('unknown')).to.deep.equal([]);
      });

      it('lists one subject’s records newest first, paged by beforeIndex and limit', async () => {
        await store().append(
          Array.from({ length: 9 }, (_, i) => rec({ subjectRef: i % 3 === 0 ? 's-x' : 's-y' })),
        );
        expect(indexes(await store().recordsBySubject('s-x'))).to.deep.equal([6, 3, 0]);
        expect(indexes(await store().recordsBySubject('s-x', { limit: 2 }))).to.deep.equal([6, 3]);
        expect(indexes(await store().recordsBySubject('s-x', { beforeIndex: 6 }))).to.deep.equal([3, 0]);
        expect(await store().recordsBySubject('s-nobody')).to.deep.equal([]);
      });

      it('counts final records per UTC hour, outcome, purpose and code, within the range and participants', async () => {
        const h = 60;
        await appendAll([
          rec({ purpose: 'p1' }, 1),
          rec({ purpose: 'p1' }, 2),
          rec({ purpose: 'p1', outcome: 'refused', code: 'ERR_CONSENT_MISSING' }, 3),
          rec({ purpose: 'p1', outcome: 'intent' }, 4),
          rec({ purpose: 'p2', consumer: 'ags:other', provider: 'psw:other' }, h + 1),
          rec({ purpose: 'p1' }, 5 * h),
        ]);
        const hour = (n: number) => iso(T0 + n * h * MINUTE).slice(0, 13);
        const sorted = (counts: TransferCount[]) =>
          [...counts].sort((a, b) =>
            `${a.hour}${a.outcome}${a.purpose}`.localeCompare(`${b.hour}${b.outcome}${b.purpose}`),
          );
        const all = await store().countTransfers({ from: iso(T0), to: iso(T0 + 2 * h * MINUTE) });
        expect(sorted(all)).to.deep.equal([
          { hour: hour(0), outcome: 'refused', purpose: 'p1', code: 'ERR_CONSENT_MISSING', count: 1 },
          { hour: hour(0), outcome: 'released', purpose: 'p1', code: null, count: 2 },
          { hour: hour(1), outcome: 'released', purpose: 'p2', code: null, count: 1 },
        ]);
        const mine = await store().countTransfers({
          from: iso(T0),
          to: iso(T0 + 10 * h * MINUTE),
          participants: ['ags:09999001'],
        });
        expect(sorted(mine).map((c) => [c.hour, c.outcome, c.count])).to.deep.equal([
          [hour(0), 'refused', 1],
          [hour(0), 'released', 2],
          [hour(5), 'released', 1],
        ]);
      });
    });

    describe('retention purge (SQLite-only API today)', () => {
      const now = '2027-06-01T00:00:00.000Z';

      it('erases the content of expired records only, keeping leaf hashes, nodes and the root', async () => {
        const records = await appendAll([
          rec({ retentionUntil: '2027-01-01' }),
          rec({ retentionUntil: '2028-01-01' }),
          rec({ retentionUntil: '2027-05-31' }),
        ]);
        const rootBefore = b64(await rootHash(3, (refs) => store().nodes(refs)));
        expect(await store().purgeRecords(now)).to.equal(2);
        expect(await store().leaf(0)).to.deep.equal({
          index: 0,
          leafHash: hashOf(records[0]!),
          record: null,
        });
        expect((await store().leaf(1))?.record).to.equal(textOf(records[1]!));
        expect(await store().leaf(2)).to.deep.equal({
          index: 2,
          leafHash: hashOf(records[2]!),
          record: null,
        });
        expect(b64(await rootHash(3, (refs) => store().nodes(refs)))).to.equal(rootBefore);
        // Purged records match no query any more.
        expect(indexes(await store().findRecords({ limit: 10 }))).to.deep.equal([1]);
        expect(await store().recordsByExchange(records[0]!.exchangeId)).to.deep.equal([]);
        expect(await store().purgeRecords(now)).to.equal(0);
      });

      it('purges a record only once its retention end is strictly before `now`', async () => {
        const atNow = rec({ retentionUntil: now });
        const justBefore = rec({ retentionUntil: iso(Date.parse(now) - 1) });
        await appendAll([atNow, justBefore]);
        expect(await store().purgeRecords(now)).to.equal(1);
        expect((await store().leaf(0))?.record).to.equal(textOf(atNow));
        expect((await store().leaf(1))?.record).to.equal(null);
      });

      it('logs what it erased in a purge record appended in the same write', async () => {
        await appendAll([
          rec({ retentionUntil: '2027-01-01' }),
          rec({ retentionUntil: '2027-02-01' }),
          rec({ retentionUntil: '2099-01-01' }),
          rec({ retentionUntil: '2027-03-01' }),
        ]);
        expect(await store().purgeRecords(now)).to.equal(3);
        expect(await store().size()).to.equal(5);
        const purge = parsed((await store().leaf(4))!);
        expect(purge.outcome).to.equal('purged');
        expect(purge.time).to.equal(now);
        expect(purge.purged).to.deep.equal({
          leaves: [
            [0, 2],
            [3, 1],
          ],
          retainedUntil: '2027-03-01',
        });
        expect(purge).to.not.have.property('subjectRef');
        expect(purge).to.not.have.property('retentionUntil');
      });

      it('changes nothing on a dry run and counts what a purge would erase', async () => {
        await appendAll([rec({ retentionUntil: '2027-01-01' }), rec({ retentionUntil: '2028-01-01' })]);
        expect(await store().purgeRecords(now, { dryRun: true })).to.equal(1);
        expect(await store().size()).to.equal(2);
        expect((await store().leaf(0))?.record).to.not.equal(null);
      });

      it('keeps every record of an exchange while one of them is retained longer', async () => {
        const released = rec({ retentionUntil: '2027-01-01' });
        await appendAll([
          released,
          rec({
            exchangeId: released.exchangeId,
            outcome: 'retention-extended',
            reason: 'court',
            retentionUntil: '2029-01-01',
          }),
          rec({ retentionUntil: '2027-01-01' }),
        ]);
        expect(await store().purgeRecords(now)).to.equal(1);
        expect((await store().leaf(0))?.record).to.equal(textOf(released));
        expect((await store().leaf(2))?.record).to.equal(null);
      });

      it('never lists a purged intent as open', async () => {
        await appendAll([
          rec({ outcome: 'intent', retentionUntil: '2027-01-01' }),
          rec({ outcome: 'intent' }),
        ]);
        await store().purgeRecords(now);
        expect(indexes(await store().openIntents(iso(T0 + 60 * MINUTE), 10))).to.deep.equal([1]);
      });
    });

    describe('across connections (restart, second process)', () => {
      it('keeps leaves, nodes, checkpoints and open intents across a reopen, and continues the same tree', async function () {
        const records = [rec(), rec({ outcome: 'intent' }, 1), rec()];
        await store().append(records);
        const root = b64(await rootHash(3, (refs) => store().nodes(refs)));
        await store().saveCheckpoint(checkpoint(3, root, T0));
        const other = await store.reopen();
        expect(await other.size()).to.equal(3);
        expect(await collect(other.iterateLeaves(0))).to.deep.equal(await collect(store().iterateLeaves(0)));
        expect(b64(await rootHash(3, (refs) => other.nodes(refs)))).to.equal(root);
        expect(await other.latestCheckpoint()).to.deep.equal(checkpoint(3, root, T0));
        expect((await other.openIntents(iso(T0 + 60 * MINUTE), 10)).map(parsed)).to.deep.equal([records[1]]);
        const next = rec();
        expect(await other.append([next])).to.deep.equal([{ index: 3, leafHash: hashOf(next) }]);
        expect(b64(await rootHash(4, (refs) => store().nodes(refs)))).to.equal(
          b64(naiveRoot([...records, next].map((r) => recordLeafHash(encodeRecord(r))))),
        );
      });

      it('never gives appends through two connections the same index', async function () {
        const other = await store.reopen();
        const records = Array.from({ length: 100 }, () => rec());
        const results = await Promise.all(records.map((r, i) => (i % 2 ? other : store()).append([r])));
        const seen = results.flat().map((l) => l.index);
        expect([...seen].sort((a, b) => a - b)).to.deep.equal(records.map((_, i) => i));
        for (let i = 0; i < records.length; i++) {
          expect((await store().leaf(results[i]![0]!.index))?.record).to.equal(textOf(records[i]!));
        }
        // The tree both built is the tree of the leaves in index order.
        const byIndex = (await collect(store().iterateLeaves(0))).map((l) =>
          leafHash(new TextEncoder().encode(l.record!)),
        );
        expect(b64(await rootHash(100, (refs) => other.nodes(refs)))).to.equal(b64(naiveRoot(byIndex)));
      });
    });
  });
}

/** MTH over leaf hashes, straight from the recursive definition of RFC 9162 §2.1.1. */
function naiveRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}
