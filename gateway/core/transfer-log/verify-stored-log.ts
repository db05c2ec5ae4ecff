/**
 * Verification of the stored log against itself and its last signed checkpoint (SECURITY.md "The transfer
 * log": on start the gateway verifies the stored tree and refuses to serve on a mismatch). Streams the leaves in
 * index order with O(log n) state, so a log of millions of records is checked in seconds.
 */
import type { KeyObject } from 'node:crypto';
import { b64u } from '../encoding.js';
import type { RawLeaf, TransferLogStore } from '../ports.js';
import { leafPages } from './leaf-pages.js';
import { peekKid } from './log-token.js';
import {
  createCompactRange,
  emptyRoot,
  HASH_SIZE,
  leafHash,
  rangeNodes,
  type CompletedNode,
} from './merkle.js';
import { verifyCheckpoint } from './verify-checkpoint.js';
import type { PurgeFailure } from './verify-purges.js';

/**
 * What was found first, in leaf order:
 * - `leaf-hash-mismatch`: the record at `firstBadIndex` does not hash to its stored leaf hash (edited record);
 * - `leaf-missing`: no row at `firstBadIndex` although later rows exist (deleted record);
 * - `node-mismatch` / `node-missing`: a stored Merkle node differs from the one the leaves give, or is absent;
 *   `firstBadIndex` is the first leaf it covers. The stored level-0 nodes keep each leaf hash at its position,
 *   so records inserted, swapped or reordered together with their leaf hashes are named exactly;
 * - `truncated`: fewer leaves than the last checkpoint covers (`firstBadIndex` = the first one missing);
 * - `root-mismatch`: the leaves do not give the root the last checkpoint signed;
 * - `checkpoint-invalid`: the last checkpoint's signature or its stored fields do not verify;
 * - `purge-unrecorded`, `purge-early`, `purge-invalid`: an erased record that no purge record accounts for, or a
 *   purge record that does not hold (verify-purges.ts; createTransferLog's verifyStored checks them after these).
 */
export type StoredLogFailure =
  | 'leaf-hash-mismatch'
  | 'leaf-missing'
  | 'node-mismatch'
  | 'node-missing'
  | 'truncated'
  | 'root-mismatch'
  | 'checkpoint-invalid'
  | PurgeFailure;

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
  /**
   * Verify only the leaves after a tree already trusted (the anchored checkpoint, at start): the tree's edge at
   * `treeSize` is read from the stored nodes and must give `rootHash`, then only later leaves are read. The
   * leaves before it are left to a full verification. The last stored checkpoint is compared only if it is not
   * older than `start`.
   */
  readonly start?: { readonly treeSize: number; readonly rootHash: string };
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

  const ok = (size: number): StoredLogVerification => ({
    ok: true,
    size,
    ...(checkpointSize === undefined ? {} : { checkpointSize }),
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

  /** One pass over the leaves: rebuilds the tree and compares it with the stored nodes and the checkpoint. */
  const startSize = options.start?.treeSize ?? 0;
  const walk = async (pages: AsyncIterable<readonly RawLeaf[]>): Promise<StoredLogVerification> => {
    let range = createCompactRange();
    if (options.start) {
      const size = await store.size();
      if (size < startSize) return fail(size, 'truncated', size);
      // The trusted tree's right edge, from the stored nodes: it must give the trusted root.
      let edge: Uint8Array[] | undefined;
      try {
        edge = await store.nodes(rangeNodes(0, startSize));
        range = createCompactRange(startSize, edge);
      } catch {
        edge = undefined;
      }
      if (edge === undefined) return fail(0, 'node-missing');
      if (b64u(range.root()) !== options.start.rootHash) return fail(0, 'root-mismatch');
    }
    // Completed nodes waiting to be compared with the stored ones, per level: within a level they complete in
    // index order, so a batch taken level by level is sorted and each level is one run of consecutive indexes.
    let pending: CompletedNode[][] = [];
    let pendingCount = 0;
    let count = startSize;
    let rootAtCheckpoint: Uint8Array | undefined =
      checkpointSize === 0 ? emptyRoot() : checkpointSize === startSize ? range.root() : undefined;

    /**
     * Compares the nodes completed so far with the stored ones. Of the bad ones it names the one that completed
     * first (smallest last leaf, then lowest level) — the order the tree is built in — by its first leaf.
     */
    const checkPending = async (): Promise<StoredLogVerification | undefined> => {
      if (pendingCount === 0) return undefined;
      const batch = pending.flat();
      pending = [];
      pendingCount = 0;
      let stored: Uint8Array[] | undefined;
      try {
        stored = await store.nodes(batch);
      } catch {
        stored = undefined;
      }
      let firstBad: { node: CompletedNode; last: number; reason: StoredLogFailure } | undefined;
      const note = (node: CompletedNode, reason: StoredLogFailure) => {
        const last = (node.index + 1) * 2 ** node.level - 1;
        if (
          firstBad === undefined ||
          last < firstBad.last ||
          (last === firstBad.last && node.level < firstBad.node.level)
        ) {
          firstBad = { node, last, reason };
        }
      };
      if (stored === undefined || stored.length !== batch.length) {
        // Some node is missing: look at each on its own.
        for (const node of batch) {
          let hash: Uint8Array | undefined;
          try {
            [hash] = await store.nodes([node]);
          } catch {
            hash = undefined;
          }
          if (hash === undefined) note(node, 'node-missing');
          else if (!sameBytes(hash, node.hash)) note(node, 'node-mismatch');
        }
      } else {
        for (let i = 0; i < batch.length; i++) {
          if (!sameBytes(stored[i]!, batch[i]!.hash)) note(batch[i]!, 'node-mismatch');
        }
      }
      return firstBad && fail(count, firstBad.reason, firstLeafOf(firstBad.node));
    };

    /**
     * Checks one leaf and adds it to the tree (synchronously: a million leaves cost no million promises). Says
     * 'missing' or 'mismatch' for a bad leaf, 'flush' when enough nodes wait to be compared.
     */
    const visit = (
      index: number,
      storedHash: Uint8Array,
      record: Uint8Array | null,
    ): 'missing' | 'mismatch' | 'flush' | undefined => {
      if (index !== count) return 'missing';
      const recomputed = record === null ? storedHash : leafHash(record);
      if (storedHash.length !== HASH_SIZE || !sameBytes(recomputed, storedHash)) return 'mismatch';
      for (const node of range.append(storedHash)) {
        (pending[node.level] ??= []).push(node);
        pendingCount++;
      }
      count++;
      if (count === checkpointSize) rootAtCheckpoint = range.root();
      return pendingCount >= batchSize ? 'flush' : undefined;
    };

    for await (const page of pages) {
      // Between pages, let timers and sockets run: a verification of a million leaves while the gateway serves
      // (a DPO asked for one) must not stop the exchanges for seconds. An async iterator alone yields only to
      // microtasks.
      await new Promise((resolve) => setImmediate(resolve));
      for (const [index, hash, record] of page) {
        const step = visit(index, hash, record);
        if (step === undefined) continue;
        // Nodes completed before a bad leaf may name an earlier problem: compare them first.
        const bad = await checkPending();
        if (bad) return bad;
        if (step === 'missing') return fail(count, 'leaf-missing', count);
        if (step === 'mismatch') return fail(count, 'leaf-hash-mismatch', count);
      }
    }
    const bad = await checkPending();
    if (bad) return bad;

    if (checkpoint) {
      if (count < checkpoint.treeSize) return fail(count, 'truncated', count);
      // A checkpoint older than the trusted start is not reached by this walk: the caller compared it.
      if (checkpoint.treeSize < startSize) return ok(count);
      if (rootAtCheckpoint === undefined || b64u(rootAtCheckpoint) !== checkpoint.rootHash) {
        return fail(count, 'root-mismatch');
      }
    }
    return ok(count);
  };

  // The store's fast path first. Only a pass that finds everything in order is taken as it is: whatever it
  // reports as wrong is looked for again, row by row, so a failure always names what the exact reading finds.
  if (store.iterateLeafPages) {
    const fast = await walk(store.iterateLeafPages(startSize));
    if (fast.ok) return fast;
  }
  return walk(leafPages(store, startSize));
}
