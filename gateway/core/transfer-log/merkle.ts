/**
 * Merkle tree hashing and proofs of RFC 9162 §2.1 (the algorithms of RFC 6962 with the proof verification
 * steps written out). Pure: nothing here touches storage. Proof and root generation work on the hashes of
 * complete, aligned subtrees — node (level, i) covers leaves [i·2^level, (i+1)·2^level) — which a store keeps,
 * so every proof costs O(log n) node reads, planned first and fetched through ONE `getNodes` call.
 *
 * Tree sizes and indexes are JavaScript numbers up to 2^53 − 1; bit operators are 32-bit in JavaScript, so the
 * arithmetic below uses division and multiplication by powers of two, which are exact in that range.
 */
import { createHash, hash } from 'node:crypto';
import { GatewayError } from '../errors.js';

/** A complete, aligned subtree: it covers leaves [index·2^level, (index+1)·2^level). Level 0 are the leaves. */
export interface NodeRef {
  readonly level: number;
  readonly index: number;
}

/** Fetches node hashes (32 bytes each), in argument order. Called at most once per proof or root. */
export type GetNodes = (refs: readonly NodeRef[]) => Promise<Uint8Array[]>;

/** SHA-256 output length: every leaf, node, root and proof element has it. */
export const HASH_SIZE = 32;

const NODE_PREFIX = new Uint8Array([1]);
const EMPTY_ROOT: Uint8Array = createHash('sha256').digest();

/** MTH({}) = SHA-256() — the root of the empty tree (RFC 9162 §2.1.1). */
export function emptyRoot(): Uint8Array {
  return EMPTY_ROOT.slice();
}

/** MTH({d}) = SHA-256(0x00 ‖ d), the leaf hash (RFC 9162 §2.1.1). */
export function leafHash(data: Uint8Array): Uint8Array {
  // One-shot hashing of a prefixed copy: a hash object per leaf costs more than the copy (verifying 10^6 leaves).
  const input = Buffer.allocUnsafe(data.length + 1);
  input[0] = 0;
  input.set(data, 1);
  return hash('sha256', input, 'buffer');
}

/** SHA-256(0x01 ‖ left ‖ right), an interior node (RFC 9162 §2.1.1). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  }
  const input = Buffer.allocUnsafe(1 + 2 * HASH_SIZE);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 1 + HASH_SIZE);
  return hash('sha256', input, 'buffer');
}

// ---------------------------------------------------------------------------------------------------------
// Argument checks and exact arithmetic on sizes up to 2^53 − 1

function checkCount(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new GatewayError('ERR_REQUEST_MALFORMED', `${name} must be an integer between 0 and 2^53 - 1`);
  }
  return value;
}

/** The largest power of two strictly below n (n ≥ 2): the split point k of RFC 9162 §2.1.1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
}

/** The largest power of two ≤ n (n ≥ 1). */
function highestPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

function log2Exact(p: number): number {
  let level = 0;
  while (p > 1) {
    p /= 2;
    level++;
  }
  return level;
}

// ---------------------------------------------------------------------------------------------------------
// Planning: which complete subtrees make up a range

/** A range [start, end) whose MTH a proof needs. Every range used here starts at a multiple of the power of two ≥ its size. */
interface Range {
  readonly start: number;
  readonly end: number;
}

/**
 * The complete, aligned subtrees that make up [start, end), largest first; their right-to-left fold is
 * MTH(D[start:end]) (RFC 9162 §2.1.1 splits at the largest power of two, which these nodes mirror).
 */
export function rangeNodes(start: number, end: number): NodeRef[] {
  const refs: NodeRef[] = [];
  let pos = start;
  let remaining = end - start;
  if (remaining <= 0) return refs;
  for (let p = highestPowerOfTwo(remaining); p >= 1; p /= 2) {
    if (remaining >= p) {
      refs.push({ level: log2Exact(p), index: pos / p });
      pos += p;
      remaining -= p;
    }
  }
  return refs;
}

function foldRight(hashes: readonly Uint8Array[]): Uint8Array {
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

/** PATH(m, D[n]) of RFC 9162 §2.1.3.1 as ranges, bottom-up (the order the proof lists them). */
function inclusionRanges(index: number, size: number): Range[] {
  const out: Range[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      out.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      out.push({ start: lo, end: lo + k });
      lo += k;
    }
  }
  return out.reverse();
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1 as ranges, bottom-up. */
function consistencyRanges(first: number, second: number): Range[] {
  const out: Range[] = [];
  let lo = 0;
  let hi = second;
  let startsAtRoot = true;
  for (;;) {
    const m = first - lo;
    const size = hi - lo;
    if (m === size) {
      if (!startsAtRoot) out.push({ start: lo, end: hi });
      break;
    }
    const k = splitPoint(size);
    if (m <= k) {
      out.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      out.push({ start: lo, end: lo + k });
      lo += k;
      startsAtRoot = false;
    }
  }
  return out.reverse();
}

/** Fetches every node the ranges need in one call, then folds each range to its MTH. */
async function hashRanges(ranges: readonly Range[], getNodes: GetNodes): Promise<Uint8Array[]> {
  const perRange = ranges.map((r) => rangeNodes(r.start, r.end));
  const unique = new Map<string, NodeRef>();
  for (const refs of perRange) for (const ref of refs) unique.set(`${ref.level}/${ref.index}`, ref);
  if (unique.size === 0) return [];
  const wanted = [...unique.values()];
  const fetched = await getNodes(wanted);
  if (fetched.length !== wanted.length) {
    throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the log store returned the wrong number of nodes');
  }
  const byKey = new Map<string, Uint8Array>();
  wanted.forEach((ref, i) => {
    const hash = fetched[i]!;
    if (hash.length !== HASH_SIZE)
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the log store returned a bad node');
    byKey.set(`${ref.level}/${ref.index}`, hash);
  });
  return perRange.map((refs) => foldRight(refs.map((ref) => byKey.get(`${ref.level}/${ref.index}`)!)));
}

// ---------------------------------------------------------------------------------------------------------
// Generation

/**
 * MTH of the first `treeSize` leaves, from at most log2(n)+1 stored nodes (RFC 9162 §2.1.1).
 * Throws ERR_REQUEST_MALFORMED for a size that is not an integer in [0, 2^53); ERR_LOG_UNAVAILABLE if the
 * store answers with the wrong number or length of hashes.
 */
export async function rootHash(treeSize: number, getNodes: GetNodes): Promise<Uint8Array> {
  checkCount(treeSize, 'treeSize');
  if (treeSize === 0) return emptyRoot();
  const [root] = await hashRanges([{ start: 0, end: treeSize }], getNodes);
  return root!;
}

/**
 * Inclusion proof (audit path) of leaf `index` in the tree of `treeSize` leaves, bottom-up (RFC 9162 §2.1.3.1).
 * Throws ERR_REQUEST_MALFORMED unless 0 ≤ index < treeSize ≤ 2^53 − 1 are integers; ERR_LOG_UNAVAILABLE as rootHash.
 */
export async function inclusionProof(
  index: number,
  treeSize: number,
  getNodes: GetNodes,
): Promise<Uint8Array[]> {
  checkCount(index, 'index');
  checkCount(treeSize, 'treeSize');
  if (index >= treeSize) throw new GatewayError('ERR_REQUEST_MALFORMED', 'index must be below treeSize');
  return hashRanges(inclusionRanges(index, treeSize), getNodes);
}

/**
 * Consistency proof between the trees of `first` and `second` leaves (RFC 9162 §2.1.4.1); empty when they are
 * equal. Throws ERR_REQUEST_MALFORMED unless 0 < first ≤ second ≤ 2^53 − 1 are integers (a proof from the empty
 * tree proves nothing); ERR_LOG_UNAVAILABLE as rootHash.
 */
export async function consistencyProof(
  first: number,
  second: number,
  getNodes: GetNodes,
): Promise<Uint8Array[]> {
  checkCount(first, 'first');
  checkCount(second, 'second');
  if (first === 0) throw new GatewayError('ERR_REQUEST_MALFORMED', 'first must be at least 1');
  if (first > second) throw new GatewayError('ERR_REQUEST_MALFORMED', 'first must not exceed second');
  if (first === second) return [];
  return hashRanges(consistencyRanges(first, second), getNodes);
}

// ---------------------------------------------------------------------------------------------------------
// Verification

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function allHashSized(hashes: readonly Uint8Array[]): boolean {
  return hashes.every((h) => h instanceof Uint8Array && h.length === HASH_SIZE);
}

/**
 * True iff `proof` proves that `leaf` (a leaf hash) is leaf `index` of the tree of `treeSize` leaves with root
 * `root` (RFC 9162 §2.1.3.2). A proof that does not verify, or hashes that are not 32 bytes, give false.
 * Throws ERR_REQUEST_MALFORMED unless 0 ≤ index < treeSize ≤ 2^53 − 1 are integers.
 */
export function verifyInclusion(
  index: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  checkCount(index, 'index');
  checkCount(treeSize, 'treeSize');
  if (index >= treeSize) throw new GatewayError('ERR_REQUEST_MALFORMED', 'index must be below treeSize');
  if (!allHashSized([leaf, root, ...proof])) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

/**
 * True iff `proof` proves that the tree of `second` leaves with root `secondRoot` extends the tree of `first`
 * leaves with root `firstRoot` (RFC 9162 §2.1.4.2). For first = second the proof must be empty and the roots
 * equal. Throws ERR_REQUEST_MALFORMED unless 0 < first ≤ second ≤ 2^53 − 1 are integers.
 */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  checkCount(first, 'first');
  checkCount(second, 'second');
  if (first === 0) throw new GatewayError('ERR_REQUEST_MALFORMED', 'first must be at least 1');
  if (first > second) throw new GatewayError('ERR_REQUEST_MALFORMED', 'first must not exceed second');
  if (!allHashSized([firstRoot, secondRoot, ...proof])) return false;
  if (first === second) return proof.length === 0 && equalBytes(firstRoot, secondRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, firstRoot) && equalBytes(sr, secondRoot);
}

// ---------------------------------------------------------------------------------------------------------
// Incremental hashing

/** A node that became complete when a leaf was added. */
export interface CompletedNode extends NodeRef {
  readonly hash: Uint8Array;
}

/**
 * The right edge of a growing tree: the O(log n) complete subtrees that make up [0, size) (a "compact range").
 * Appending leaves one by one yields every complete node exactly once, in the order it completes (the leaf
 * itself first, then its newly complete ancestors), and the root of the current size at any time.
 */
export interface CompactRange {
  readonly size: number;
  /** Adds the next leaf hash; returns the nodes it completes, leaf (level 0) first. */
  append(leaf: Uint8Array): CompletedNode[];
  /** MTH of the leaves so far (RFC 9162 §2.1.1). */
  root(): Uint8Array;
}

/**
 * A compact range starting at `size` leaves, given the hashes of `rangeNodes(0, size)` in that order (how a
 * store resumes appending). Throws ERR_LOG_UNAVAILABLE if the hashes do not fit the size.
 */
export function createCompactRange(size = 0, edge: readonly Uint8Array[] = []): CompactRange {
  checkCount(size, 'size');
  const refs = rangeNodes(0, size);
  if (refs.length !== edge.length || !allHashSized(edge)) {
    throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the stored tree edge does not match its size');
  }
  // Parallel stacks, largest subtree first: the level and hash of each complete subtree on the right edge.
  const levels = refs.map((r) => r.level);
  const hashes = [...edge];
  let count = size;
  return {
    get size() {
      return count;
    },
    append(leaf: Uint8Array): CompletedNode[] {
      const index = count;
      const completed: CompletedNode[] = [{ level: 0, index, hash: leaf }];
      let level = 0;
      let hash = leaf;
      let width = 1;
      while (levels.length > 0 && levels[levels.length - 1] === level) {
        levels.pop();
        hash = nodeHash(hashes.pop()!, hash);
        level++;
        width *= 2;
        completed.push({ level, index: Math.floor(index / width), hash });
      }
      levels.push(level);
      hashes.push(hash);
      count++;
      return completed;
    },
    root(): Uint8Array {
      return hashes.length === 0 ? emptyRoot() : foldRight(hashes);
    },
  };
}
