/** The stored leaves read through TransferLogStore.iterateLeaves, as the raw pages of its fast path. */
import { fromB64u } from '../encoding.js';
import type { RawLeaf, TransferLogStore } from '../ports.js';

/** iterateLeaves(from) as pages of one raw leaf each (what iterateLeafPages yields, without its speed). */
export async function* leafPages(
  store: Pick<TransferLogStore, 'iterateLeaves'>,
  from: number,
): AsyncIterable<readonly RawLeaf[]> {
  const encoder = new TextEncoder();
  for await (const leaf of store.iterateLeaves(from)) {
    yield [[leaf.index, fromB64u(leaf.leafHash), leaf.record === null ? null : encoder.encode(leaf.record)]];
  }
}
