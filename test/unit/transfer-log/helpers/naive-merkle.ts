/**
 * A deliberately naive RFC 9162 §2.1 Merkle tree, written straight from the recursive definitions (MTH, PATH,
 * PROOF/SUBPROOF) over the full list of leaves. Tests compare the store-backed O(log n) algorithms against it.
 */
import { createHash } from 'node:crypto';

export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export const naiveLeafHash = (d: Uint8Array): Buffer => sha256(Buffer.from([0]), d);
export const naiveNodeHash = (l: Uint8Array, r: Uint8Array): Buffer => sha256(Buffer.from([1]), l, r);

function k(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}

/** MTH(D[n]) over leaf inputs. */
export function naiveRoot(d: readonly Uint8Array[]): Buffer {
  if (d.length === 0) return sha256();
  if (d.length === 1) return naiveLeafHash(d[0]!);
  const s = k(d.length);
  return naiveNodeHash(naiveRoot(d.slice(0, s)), naiveRoot(d.slice(s)));
}

/** PATH(m, D[n]). */
export function naivePath(m: number, d: readonly Uint8Array[]): Buffer[] {
  if (d.length <= 1) return [];
  const s = k(d.length);
  return m < s
    ? [...naivePath(m, d.slice(0, s)), naiveRoot(d.slice(s))]
    : [...naivePath(m - s, d.slice(s)), naiveRoot(d.slice(0, s))];
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [naiveRoot(d)];
  const s = k(d.length);
  return m <= s
    ? [...subproof(m, d.slice(0, s), b), naiveRoot(d.slice(s))]
    : [...subproof(m - s, d.slice(s), false), naiveRoot(d.slice(0, s))];
}

/** PROOF(m, D[n]). */
export function naiveConsistency(m: number, d: readonly Uint8Array[]): Buffer[] {
  return subproof(m, d, true);
}

/** Every complete aligned subtree hash of the tree over `d`, keyed `level/index`, as a store would keep them. */
export function naiveNodeTable(d: readonly Uint8Array[]): Map<string, Buffer> {
  const table = new Map<string, Buffer>();
  for (let level = 0; 2 ** level <= d.length; level++) {
    const width = 2 ** level;
    for (let i = 0; (i + 1) * width <= d.length; i++) {
      table.set(`${level}/${i}`, naiveRoot(d.slice(i * width, (i + 1) * width)));
    }
  }
  return table;
}

/** A getNodes over a node table that records each call. */
export function tableGetNodes(table: Map<string, Uint8Array>) {
  const calls: { level: number; index: number }[][] = [];
  const getNodes = async (refs: readonly { level: number; index: number }[]): Promise<Uint8Array[]> => {
    calls.push([...refs]);
    return refs.map((r) => {
      const h = table.get(`${r.level}/${r.index}`);
      if (!h) throw new Error(`missing node ${r.level}/${r.index}`);
      return h;
    });
  };
  return { getNodes, calls };
}
