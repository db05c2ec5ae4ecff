/**
 * The log against the checkpoints kept outside its store (issue 11: a log nobody can roll back). A store
 * restored from an older backup, cut short, or replaced by another self-consistent log verifies against
 * itself; it does not verify against a checkpoint the gateway already published and anchored elsewhere.
 */
import type { KeyObject } from 'node:crypto';
import { b64u } from '../encoding.js';
import type { CheckpointAnchor, SignedCheckpoint, TransferLogStore } from '../ports.js';
import { peekKid } from './log-token.js';
import { rootHash } from './merkle.js';
import { verifyCheckpoint } from './verify-checkpoint.js';
import { verifyStoredLog, type StoredLogFailure } from './verify-stored-log.js';

/**
 * - `checkpoint-invalid`: the kept checkpoint's signature, issuer or fields do not verify;
 * - `rolled-back`: the store holds fewer leaves than the kept checkpoint covers;
 * - `forked`: the store's first `treeSize` leaves do not give the kept root (replaced or rewritten);
 * - `anchor-missing`: the store holds a log but no anchor exists;
 * - `store-missing`: an anchor exists, so a log existed, but the store does not;
 * - `anchor-damaged`: the anchor cannot be read;
 * - any StoredLogFailure of the leaves after the anchored checkpoint.
 */
export type AnchorFailure =
  | 'checkpoint-invalid'
  | 'rolled-back'
  | 'forked'
  | 'anchor-missing'
  | 'store-missing'
  | 'anchor-damaged'
  | StoredLogFailure;

export type KeptCheckpointCheck =
  | { readonly ok: true; readonly checkpoint: SignedCheckpoint; readonly storeSize: number }
  | {
      readonly ok: false;
      readonly reason: 'checkpoint-invalid' | 'rolled-back' | 'forked';
      readonly storeSize: number;
      readonly treeSize?: number;
    };

export interface KeptCheckpointOptions {
  /** The public key for a checkpoint's kid (the gateway's current and earlier keys). */
  readonly checkpointKey: (kid: string) => KeyObject | undefined;
  readonly issuer: string;
}

/**
 * Checks a store against one checkpoint kept elsewhere (RFC 9162 §2.1.1 root of the first treeSize leaves, from
 * the stored nodes: O(log n) reads): its signature, that the store is not shorter, and that the store's tree at
 * that size has the signed root. Never throws for a bad checkpoint; throws what the store throws.
 */
export async function checkAgainstKeptCheckpoint(
  store: TransferLogStore,
  jws: string,
  options: KeptCheckpointOptions,
): Promise<KeptCheckpointCheck> {
  const storeSize = await store.size();
  const kid = peekKid(jws);
  const key = kid === undefined ? undefined : options.checkpointKey(kid);
  const verified = key ? await verifyCheckpoint(jws, key, { issuer: options.issuer }) : undefined;
  if (!verified?.ok) return { ok: false, reason: 'checkpoint-invalid', storeSize };
  const { treeSize, rootHash: root, time } = verified.checkpoint;
  if (storeSize < treeSize) return { ok: false, reason: 'rolled-back', storeSize, treeSize };
  let actual: string | undefined;
  try {
    actual = b64u(await rootHash(treeSize, (refs) => store.nodes(refs)));
  } catch {
    actual = undefined;
  }
  if (actual !== root) return { ok: false, reason: 'forked', storeSize, treeSize };
  return { ok: true, checkpoint: { treeSize, rootHash: root, time, jws }, storeSize };
}

export type AnchorCheck =
  | {
      readonly ok: true;
      /** The anchor was created now (first start on an empty store). */
      readonly created: boolean;
      /** The newest checkpoint the store was checked against (anchor's or, if newer and consistent, store's). */
      readonly trusted?: SignedCheckpoint;
      /** The store's checkpoint was newer than the anchor's and was recorded in the anchor. */
      readonly caughtUp: boolean;
      /** Leaves in the store; those after `trusted` were verified one by one. */
      readonly size: number;
    }
  | {
      readonly ok: false;
      readonly reason: AnchorFailure;
      readonly storeSize?: number;
      readonly anchorSize?: number;
      readonly firstBadIndex?: number;
    };

export interface CheckAnchorDeps extends KeptCheckpointOptions {
  readonly store: TransferLogStore;
  readonly anchor: CheckpointAnchor;
  /** Whether the store existed before it was opened (a new one is created empty). */
  readonly storeExisted: boolean;
}

/**
 * The check before the gateway serves: the store is not behind, short of, or other than what its anchor
 * recorded; a store checkpoint newer than the anchor (an anchor written by another instance, or restored) is
 * recorded in the anchor once it is shown consistent; the leaves after the newest trusted checkpoint (those a
 * crash left unsigned) are verified one by one. A first start on an empty store creates the anchor. Leaves
 * before the trusted checkpoint are left to the full verification, which runs in the background.
 */
export async function checkAnchor(deps: CheckAnchorDeps): Promise<AnchorCheck> {
  const { store, anchor } = deps;
  const size = await store.size();
  const stored = await store.latestCheckpoint();
  if (!(await anchor.exists())) {
    if (size > 0 || stored) return { ok: false, reason: 'anchor-missing', storeSize: size };
    await anchor.create();
    return { ok: true, created: true, caughtUp: false, size };
  }
  let anchored: SignedCheckpoint | undefined;
  try {
    anchored = await anchor.latest();
  } catch {
    return { ok: false, reason: 'anchor-damaged', storeSize: size };
  }
  if (!deps.storeExisted) {
    return {
      ok: false,
      reason: 'store-missing',
      ...(anchored === undefined ? {} : { anchorSize: anchored.treeSize }),
    };
  }
  let trusted: SignedCheckpoint | undefined;
  if (anchored) {
    const kept = await checkAgainstKeptCheckpoint(store, anchored.jws, deps);
    if (!kept.ok) {
      return { ok: false, reason: kept.reason, storeSize: size, anchorSize: anchored.treeSize };
    }
    trusted = kept.checkpoint;
  }
  let caughtUp = false;
  if (stored) {
    const own = await checkAgainstKeptCheckpoint(store, stored.jws, deps);
    if (!own.ok) {
      const reason = own.reason === 'rolled-back' ? 'truncated' : own.reason;
      return { ok: false, reason, storeSize: size, ...(anchored ? { anchorSize: anchored.treeSize } : {}) };
    }
    if (trusted === undefined || own.checkpoint.treeSize > trusted.treeSize) {
      // Signed by the gateway and consistent with the anchored tree (both roots come from the same nodes).
      await anchor.record(own.checkpoint);
      trusted = own.checkpoint;
      caughtUp = true;
    }
  }
  const tail = await verifyStoredLog(store, {
    ...deps,
    ...(trusted === undefined ? {} : { start: trusted }),
  });
  if (!tail.ok) {
    return {
      ok: false,
      reason: tail.reason ?? 'root-mismatch',
      storeSize: size,
      ...(anchored ? { anchorSize: anchored.treeSize } : {}),
      ...(tail.firstBadIndex === undefined ? {} : { firstBadIndex: tail.firstBadIndex }),
    };
  }
  return { ok: true, created: false, caughtUp, size, ...(trusted === undefined ? {} : { trusted }) };
}
