/**
 * A purge is provable (DESIGN.md "Retention"; issue 11 item 4). A purge keeps an erased record's leaf hash, so
 * the tree proves the same with or without the content, and content erased behind the gateway's back, or before
 * its retention ended, looks just like a purge. So the purge logs itself: in the write transaction that erases
 * records, the store appends a 'purged' record naming the erased leaves and the latest retention end among them
 * (ports.ts PurgedLeaves). This pass checks that every erased record is accounted for that way.
 */
import { Buffer } from 'node:buffer';
import type { RawLeaf, TransferLogStore } from '../ports.js';
import { leafPages } from './leaf-pages.js';

/**
 * - `purge-unrecorded`: the record at `firstBadIndex` is erased and no later purge record names it (erased
 *   outside a purge, or its purge record was erased too);
 * - `purge-early`: the purge record at `firstBadIndex` states a retention end after its own time (or none that
 *   is a date): it erased records whose retention had not ended;
 * - `purge-invalid`: the purge record at `firstBadIndex` is malformed, or names a leaf that is not before it,
 *   still holds its record, or was named by an earlier purge record, or states no retention end although it is
 *   not the first purge record of the log.
 */
export type PurgeFailure = 'purge-unrecorded' | 'purge-early' | 'purge-invalid';

export interface PurgeVerification {
  readonly ok: boolean;
  /** Leaves checked: the log's size when the pass began. */
  readonly size: number;
  readonly reason?: PurgeFailure;
  readonly firstBadIndex?: number;
}

/** What the pass reads: the size, then the leaves in index order (iterateLeafPages if the store has it). */
export type PurgeSource = Pick<TransferLogStore, 'size' | 'iterateLeaves' | 'iterateLeafPages'>;

type Ranges = readonly (readonly [number, number])[];

/** A leaf's state in the pass; 0: it holds its record (or is a gap, which verifyStoredLog reports). */
const ERASED = 1;
const NAMED = 2;

/** In canonical JSON a purge record has these bytes; other records are not parsed. */
const PURGE_MARK = Buffer.from('"outcome":"purged"');

function pagesOf(store: PurgeSource, from: number): AsyncIterable<readonly RawLeaf[]> {
  return store.iterateLeafPages?.(from) ?? leafPages(store, from);
}

/** The record if it is a purge record, 'other' for any other record, 'unreadable' if it cannot tell. */
function purgeRecordOf(bytes: Uint8Array): Record<string, unknown> | 'other' | 'unreadable' {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (text.indexOf(PURGE_MARK) < 0) return 'other';
  let record: unknown;
  try {
    record = JSON.parse(text.toString('utf8'));
  } catch {
    return 'unreadable';
  }
  if (typeof record !== 'object' || record === null) return 'unreadable';
  return (record as Record<string, unknown>)['outcome'] === 'purged'
    ? (record as Record<string, unknown>)
    : 'other';
}

/** The ranges a purge record at `index` names, if they are sorted, disjoint, non-empty and before it. */
function rangesOf(purged: unknown, index: number): Ranges | undefined {
  const leaves =
    typeof purged === 'object' && purged !== null ? (purged as { leaves?: unknown }).leaves : null;
  if (!Array.isArray(leaves)) return undefined;
  let next = 0;
  for (const range of leaves as unknown[]) {
    if (!Array.isArray(range) || range.length !== 2) return undefined;
    const [first, count] = range as unknown[];
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count)) return undefined;
    const [from, n] = [first as number, count as number];
    if (from < next || n < 1 || from + n > index) return undefined;
    next = from + n;
  }
  return leaves as Ranges;
}

/** What is wrong with the purge record at `index` given the leaves before it, or undefined; marks what it names. */
function checkPurgeRecord(
  record: Record<string, unknown> | 'unreadable',
  index: number,
  state: Uint8Array,
  first: boolean,
): PurgeFailure | undefined {
  if (record === 'unreadable') return 'purge-invalid';
  const ranges = rangesOf(record['purged'], index);
  const time = typeof record['time'] === 'string' ? Date.parse(record['time']) : NaN;
  if (ranges === undefined || Number.isNaN(time)) return 'purge-invalid';
  const until = (record['purged'] as { retainedUntil?: unknown }).retainedUntil;
  if (until === undefined) {
    // Only the record of the erasures found when the store began to log purges has no retention end to state.
    if (!first) return 'purge-invalid';
  } else if (typeof until !== 'string') {
    return 'purge-invalid';
  } else if (!(Date.parse(until) <= time)) {
    return 'purge-early';
  }
  for (const [from, count] of ranges) {
    for (let i = from; i < from + count; i++) {
      if (state[i] !== ERASED) return 'purge-invalid';
      state[i] = NAMED;
    }
  }
  return undefined;
}

/**
 * Checks that every erased record (record null) is named by a later purge record, that each purge record names
 * only erased leaves before it, none twice, and states a retention end not after its own time. Reads the leaves
 * up to the size at the start once, in index order, with one byte of state per leaf, parsing only purge records.
 * A purge that commits during the pass appends its record beyond that size: such records are read at the end to
 * account for erasures the pass saw, not checked themselves (the next pass does). Stops at the first purge record
 * that does not hold; otherwise names the first erased leaf nothing accounts for. Throws what the store throws.
 */
export async function verifyPurges(store: PurgeSource): Promise<PurgeVerification> {
  const size = await store.size();
  const state = new Uint8Array(size);
  const fail = (reason: PurgeFailure, firstBadIndex: number): PurgeVerification => ({
    ok: false,
    size,
    reason,
    firstBadIndex,
  });
  let purges = 0;
  pass: for await (const page of pagesOf(store, 0)) {
    // As verifyStoredLog: let the gateway's timers and sockets run between pages.
    await new Promise((resolve) => setImmediate(resolve));
    for (const [index, , record] of page) {
      if (index >= size) break pass;
      if (record === null) {
        state[index] = ERASED;
        continue;
      }
      const purge = purgeRecordOf(record);
      if (purge === 'other') continue;
      const bad = checkPurgeRecord(purge, index, state, purges === 0);
      if (bad !== undefined) return fail(bad, index);
      purges++;
    }
  }
  if (state.indexOf(ERASED) >= 0) {
    for await (const page of pagesOf(store, size)) {
      for (const [index, , record] of page) {
        const purge = record === null ? 'other' : purgeRecordOf(record);
        const ranges = typeof purge === 'object' ? rangesOf(purge['purged'], index) : undefined;
        for (const [from, count] of ranges ?? []) {
          for (let i = from; i < Math.min(from + count, size); i++) if (state[i] === ERASED) state[i] = NAMED;
        }
      }
    }
  }
  const unnamed = state.indexOf(ERASED);
  return unnamed >= 0 ? fail('purge-unrecorded', unnamed) : { ok: true, size };
}
