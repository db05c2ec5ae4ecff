/**
 * Verification of the stored log against itself and its last signed checkpoint (SECURITY.md "The transfer
 * log": on start the gateway verifies the stored tree and refuses to serve on a mismatch). Streams the leaves in
 * index order with O(log n) state, so a log of millions of records is checked in seconds.
 */
import type { KeyObject } from 'node:crypto';
import { b64u, fromB64u } from '../encoding.js';
import type { TransferLogStore } from '../ports.js';
import { peekKid } from './log-token.js';
import { createCompactRange, emptyRoot, HASH_SIZE, leafHash, type CompletedNode } from './merkle.js';
import { verifyCheckpoint } from './verify-checkpoint.js';

/**
 * What was found first, in leaf order:
 * - `leaf-hash-mismatch`: the record at `firstBadIndex` does not hash to its stored leaf hash (edited record);
 * - `leaf-missing`: no row at `firstBadIndex` although later rows exist (deleted record);
 * - `node-mismatch` / `node-missing`: a stored Merkle node differs from the one the leaves give, or is absent;
 *   `firstBadIndex` is the first leaf it covers. The stored level-0 nodes keep each leaf hash at its position,
 *   so records inserted, swapped or reordered together with their leaf hashes are named exactly;
 * - `truncated`: fewer leaves than the last checkpoint covers (`firstBadIndex` = the first one missing);
 * - `root-mismatch`: the leaves do not give the root the last checkpoint signed;
 * - `checkpoint-invalid`: the last checkpoint's signature or its stored fields do not verify.
 */
export type StoredLogFailure =
  | 'leaf-hash-mismatch'
  | 'leaf-missing'
  | 'node-mismatch'
  | 'node-missing'
  | 'truncated'
  | 'root-mismatch'
  | 'checkpoint-invalid';

export interface StoredLogVerification {
  readonly ok: boolean;
  /** Leaves read before stopping (all of them when ok). */
  readonly size: number;
  /** Tree size of the last checkpoint, if there is one. */
  readonly checkpointSize?: number;
  readonly firstBadIndex?: number;
  readonly reason?: StoredLogFailure;
}

export interface VerifyStoredLogOptions {
  /** The public key for a checkpoint's kid; a checkpoint whose kid has none is `checkpoint-invalid`. */
  readonly checkpointKey: (kid: string) => KeyObject | undefined;
  /** The gateway id the checkpoint must name. */
  readonly issuer: string;
  /** Stored nodes compared per store call (default 4096). */
  readonly batchSize?: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function firstLeafOf(node: CompletedNode): number {
  return node.index * 2 ** node.level;
}

/**
 * Recomputes every leaf hash from its record (purged records keep their stored hash), rebuilds the tree from
 * the stored leaf hashes, compares every stored node and the root of the last checkpoint (RFC 9162 §2.1.1),
 * and checks that checkpoint's signature. Stops at the first problem. Throws what the store throws
 * (ERR_LOG_UNAVAILABLE when it cannot be read).
 */
export async function verifyStoredLog(
  store: TransferLogStore,
  options: VerifyStoredLogOptions,
): Promise<StoredLogVerification> {
  const batchSize = options.batchSize ?? 4096;
  const checkpoint = await store.latestCheckpoint();
  const checkpointSize = checkpoint?.treeSize;
  const fail = (size: number, reason: StoredLogFailure, firstBadIndex?: number): StoredLogVerification => ({
    ok: false,
    size,
    reason,
    ...(checkpointSize === undefined ? {} : { checkpointSize }),
    ...(firstBadIndex === undefined ? {} : { firstBadIndex }),
  });

  if (checkpoint) {
    const kid = peekKid(checkpoint.jws);
    const key = kid === undefined ? undefined : options.checkpointKey(kid);
    const verified = key
      ? await verifyCheckpoint(checkpoint.jws, key, { issuer: options.issuer })
      : undefined;
    if (
      !verified?.ok ||
      verified.checkpoint.treeSize !== checkpoint.treeSize ||
      verified.checkpoint.rootHash !== checkpoint.rootHash ||
      verified.checkpoint.time !== checkpoint.time
    ) {
      return fail(0, 'checkpoint-invalid');
    }
  }

  const range = createCompactRange();
  let pending: CompletedNode[] = [];
  let count = 0;
  let rootAtCheckpoint: Uint8Array | undefined = checkpointSize === 0 ? emptyRoot() : undefined;

  /** Compares the nodes completed so far with the stored ones; the first difference, if any. */
  const checkPending = async (): Promise<StoredLogVerification | undefined> => {
    if (pending.length === 0) return undefined;
    const batch = pending;
    pending = [];
    let stored: Uint8Array[] | undefined;
    try {
      stored = await store.nodes(batch);
    } catch {
      stored = undefined;
    }
    if (stored === undefined || stored.length !== batch.length) {
      // Some node is missing: look for the first one on its own.
      for (const node of batch) {
        let hash: Uint8Array | undefined;
        try {
          [hash] = await store.nodes([node]);
        } catch {
          hash = undefined;
        }
        if (hash === undefined) return fail(count, 'node-missing', firstLeafOf(node));
        if (!sameBytes(hash, node.hash)) return fail(count, 'node-mismatch', firstLeafOf(node));
      }
      return undefined;
    }
    for (let i = 0; i < batch.length; i++) {
      if (!sameBytes(stored[i]!, batch[i]!.hash)) return fail(count, 'node-mismatch', firstLeafOf(batch[i]!));
    }
    return undefined;
  };

  const encoder = new TextEncoder();
  for await (const leaf of store.iterateLeaves(0)) {
    if (leaf.index !== count) return (await checkPending()) ?? fail(count, 'leaf-missing', count);
    const storedHash = fromB64u(leaf.leafHash);
    const recomputed = leaf.record === null ? storedHash : leafHash(encoder.encode(leaf.record));
    if (storedHash.length !== HASH_SIZE || !sameBytes(recomputed, storedHash)) {
      return (await checkPending()) ?? fail(count, 'leaf-hash-mismatch', count);
    }
    for (const node of range.append(storedHash)) pending.push(node);
    count++;
    if (count === checkpointSize) rootAtCheckpoint = range.root();
    if (pending.length >= batchSize) {
      const bad = await checkPending();
      if (bad) return bad;
    }
  }
  const bad = await checkPending();
  if (bad) return bad;

  if (checkpoint) {
    if (count < checkpoint.treeSize) return fail(count, 'truncated', count);
    if (rootAtCheckpoint === undefined || b64u(rootAtCheckpoint) !== checkpoint.rootHash) {
      return fail(count, 'root-mismatch');
    }
  }
  return { ok: true, size: count, ...(checkpointSize === undefined ? {} : { checkpointSize }) };
}
