/**
 * The transfer log service (DESIGN.md "transfer log"; SECURITY.md "The transfer log"): appends records to an
 * append-only RFC 9162 Merkle tree kept by a TransferLogStore, signs checkpoints of its head, serves inclusion
 * and consistency proofs, issues receipts that prove a record's inclusion, and verifies the stored tree.
 */
import type { KeyObject } from 'node:crypto';
import { b64u, fromB64u } from '../encoding.js';
import { GatewayError } from '../errors.js';
import type {
  AppendedLeaf,
  CheckpointAnchor,
  Clock,
  SignedCheckpoint,
  TransferLogStore,
  TransferRecord,
} from '../ports.js';
import { encodeRecord } from './encode-record.js';
import { CHECKPOINT_TYP, RECEIPT_TYP, signLogToken, type LogSigner } from './log-token.js';
import {
  consistencyProof,
  inclusionProof,
  rootHash,
  verifyConsistency,
  verifyInclusion,
  type GetNodes,
} from './merkle.js';
import { verifyPurges } from './verify-purges.js';
import { verifyStoredLog, type StoredLogVerification } from './verify-stored-log.js';

export interface TransferLogDeps {
  readonly store: TransferLogStore;
  /** The gateway's signer (ports.ts Signer: kid, alg, sign and its public key; the certificate is not needed here). */
  readonly signer: LogSigner;
  readonly clock: Clock;
  /** The gateway's participant id: `iss` of checkpoints and receipts. */
  readonly gatewayId: string;
  /**
   * Public key for a checkpoint signed under another kid (after a key rotation), for verifyStored. Without it
   * only checkpoints under the signer's own kid verify.
   */
  readonly checkpointKey?: (kid: string) => KeyObject | undefined;
  /** Where each checkpoint is recorded, outside the store, before it is saved and handed out. */
  readonly anchor?: CheckpointAnchor;
}

export interface TransferLog {
  /** Appends one record; resolves once it is durable. Calls made in the same tick reach the store as one batch. */
  append(record: TransferRecord): Promise<AppendedLeaf>;
  /** The latest signed checkpoint, signing a new one first if the tree grew since the last. */
  checkpoint(): Promise<SignedCheckpoint>;
  /** A signed checkpoint whose tree contains leaf `index` (treeSize > index). */
  checkpointCovering(index: number): Promise<SignedCheckpoint>;
  /** base64url RFC 9162 inclusion proof of leaf `index` in the tree of `treeSize` leaves. */
  inclusionProof(index: number, treeSize: number): Promise<string[]>;
  /** base64url RFC 9162 consistency proof between tree sizes `first` and `second`. */
  consistencyProof(first: number, second: number): Promise<string[]>;
  /** A compact JWS `transfer-receipt+jwt` proving that the exchange's record is leaf `leaf.index`. */
  issueReceipt(input: { readonly exchangeId: string; readonly leaf: AppendedLeaf }): Promise<string>;
  /**
   * Verifies the whole stored log against itself and its last checkpoint (verifyStoredLog), then that every
   * erased record is accounted for by a purge record (verifyPurges).
   */
  verifyStored(): Promise<StoredLogVerification>;
}

interface PendingAppend {
  readonly record: TransferRecord;
  readonly resolve: (leaf: AppendedLeaf) => void;
  readonly reject: (error: unknown) => void;
}

function checkIndex(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new GatewayError('ERR_REQUEST_MALFORMED', `${name} must be an integer between 0 and 2^53 - 1`);
  }
  return value;
}

/**
 * Builds the transfer log over a store (RFC 9162 §2.1 hashing and proofs; checkpoints and receipts as compact
 * JWS, RFC 7515). Its methods throw ERR_LOG_UNAVAILABLE when the store cannot be written or read consistently
 * (fail closed), ERR_REQUEST_MALFORMED for indexes or sizes outside the log, ERR_INTERNAL for a malformed record.
 */
export function createTransferLog(deps: TransferLogDeps): TransferLog {
  const { store, signer, clock, gatewayId } = deps;
  const ownPublicKey = signer.publicKey;
  const getNodes: GetNodes = (refs) => store.nodes(refs);

  // ---- appends: one store call per tick --------------------------------------------------------------
  let queue: PendingAppend[] = [];

  const flushAppends = (): void => {
    const batch = queue;
    queue = [];
    store.append(batch.map((p) => p.record)).then(
      (leaves) => {
        if (leaves.length !== batch.length) {
          const error = new GatewayError('ERR_LOG_UNAVAILABLE', 'the log store lost appended records');
          for (const p of batch) p.reject(error);
          return;
        }
        batch.forEach((p, i) => p.resolve(leaves[i]!));
      },
      (cause: unknown) => {
        const error =
          cause instanceof GatewayError
            ? cause
            : new GatewayError('ERR_LOG_UNAVAILABLE', 'the transfer log cannot be written', { cause });
        for (const p of batch) p.reject(error);
      },
    );
  };

  const append = (record: TransferRecord): Promise<AppendedLeaf> => {
    // Encoding here refuses a malformed record for its caller alone instead of failing the whole batch.
    encodeRecord(record);
    return new Promise<AppendedLeaf>((resolve, reject) => {
      queue.push({ record, resolve, reject });
      if (queue.length === 1) queueMicrotask(flushAppends);
    });
  };

  // ---- checkpoints: at most one being signed and saved at a time ---------------------------------------
  let latest: SignedCheckpoint | undefined;
  let inFlight: Promise<SignedCheckpoint> | undefined;

  /**
   * Signs and saves a checkpoint over the log as it is. Gateways sharing one store race here: another may save a
   * larger (or later) head between our read and our save, and the store refuses ours as going back. Then the
   * stored head, signed with the same key, serves if it covers at least as much; otherwise we sign again.
   */
  const createCheckpoint = async (): Promise<SignedCheckpoint> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await signCheckpoint();
      } catch (error) {
        const stored = await store.latestCheckpoint().catch(() => undefined);
        const size = await store.size().catch(() => 0);
        if (stored && stored.treeSize >= size) {
          latest = stored;
          return stored;
        }
        if (attempt >= 5) throw error;
      }
    }
  };

  const signCheckpoint = async (): Promise<SignedCheckpoint> => {
    // Re-read the stored head: another gateway instance sharing the store may have signed a newer one. The
    // anchor may be ahead of the store (recorded, then the store's save failed): the newer of the two counts.
    const stored = await store.latestCheckpoint();
    const anchored = await deps.anchor?.latest();
    const base = anchored && (!stored || anchored.treeSize > stored.treeSize) ? anchored : stored;
    const size = await store.size();
    if (base && size < base.treeSize) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the log is shorter than its last checkpoint');
    }
    if (base && base.treeSize === size) {
      if (base !== stored) await store.saveCheckpoint(base);
      latest = base;
      return base;
    }
    const rootBytes = await rootHash(size, getNodes);
    // Never sign a head that does not extend the last one: a rewritten or truncated-and-regrown log stops here.
    if (base && base.treeSize > 0) {
      const proof = await consistencyProof(base.treeSize, size, getNodes);
      if (!verifyConsistency(base.treeSize, size, fromB64u(base.rootHash), rootBytes, proof)) {
        throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the log no longer extends its last checkpoint');
      }
    }
    const root = b64u(rootBytes);
    // Time never decreases, even if the clock steps back.
    const time = Math.max(clock.nowMs(), base?.time ?? 0, latest?.time ?? 0);
    const jws = await signLogToken(signer, CHECKPOINT_TYP, {
      iss: gatewayId,
      treeSize: size,
      rootHash: root,
      time,
    });
    const checkpoint: SignedCheckpoint = { treeSize: size, rootHash: root, time, jws };
    // Kept outside the store first: a checkpoint is never handed out that a restore of the store could undo.
    await deps.anchor?.record(checkpoint);
    await store.saveCheckpoint(checkpoint);
    latest = checkpoint;
    return checkpoint;
  };

  /** A checkpoint with treeSize ≥ minSize; waits for the one in flight before starting the next. */
  const ensureCheckpoint = async (minSize: number): Promise<SignedCheckpoint> => {
    for (;;) {
      latest ??= await store.latestCheckpoint();
      if (latest && latest.treeSize >= minSize) return latest;
      if (inFlight) {
        await inFlight.catch(() => undefined);
        continue;
      }
      inFlight = createCheckpoint().finally(() => {
        inFlight = undefined;
      });
      const made = await inFlight;
      if (made.treeSize >= minSize) return made;
      throw new GatewayError('ERR_REQUEST_MALFORMED', 'the log has no such leaf');
    }
  };

  const checkpoint = async (): Promise<SignedCheckpoint> => {
    const size = await store.size();
    const head = await ensureCheckpoint(size);
    // Another writer on the store (a second instance, `oog log retain`) may have appended and signed since the
    // size was read: only a log that is still shorter than the head has lost records.
    if (head.treeSize > size && head.treeSize > (await store.size()))
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the log is shorter than its last checkpoint');
    return head;
  };

  const checkpointCovering = async (index: number): Promise<SignedCheckpoint> =>
    ensureCheckpoint(checkIndex(index, 'index') + 1);

  // ---- proofs -------------------------------------------------------------------------------------------
  const checkWithinLog = async (treeSize: number): Promise<void> => {
    if (treeSize > (await store.size()))
      throw new GatewayError('ERR_REQUEST_MALFORMED', 'the log is not that large');
  };

  const proveInclusion = async (index: number, treeSize: number): Promise<string[]> => {
    checkIndex(index, 'index');
    checkIndex(treeSize, 'treeSize');
    if (index >= treeSize) throw new GatewayError('ERR_REQUEST_MALFORMED', 'index must be below treeSize');
    await checkWithinLog(treeSize);
    return (await inclusionProof(index, treeSize, getNodes)).map(b64u);
  };

  const proveConsistency = async (first: number, second: number): Promise<string[]> => {
    checkIndex(first, 'first');
    checkIndex(second, 'second');
    if (first === 0 || first > second)
      throw new GatewayError('ERR_REQUEST_MALFORMED', 'need 0 < first <= second');
    await checkWithinLog(second);
    return (await consistencyProof(first, second, getNodes)).map(b64u);
  };

  // ---- receipts -----------------------------------------------------------------------------------------
  const issueReceipt = async (input: {
    readonly exchangeId: string;
    readonly leaf: AppendedLeaf;
  }): Promise<string> => {
    const { exchangeId, leaf } = input;
    const index = checkIndex(leaf.index, 'leaf.index');
    const stored = await store.leaf(index);
    if (!stored) throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the log has lost a leaf');
    // A receipt must not bind an exchange to someone else's leaf.
    let storedExchange: unknown;
    try {
      storedExchange =
        stored.record === null
          ? undefined
          : (JSON.parse(stored.record) as Record<string, unknown>).exchangeId;
    } catch (cause) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'a stored record is unreadable', { cause });
    }
    if (stored.leafHash !== leaf.leafHash || (stored.record !== null && storedExchange !== exchangeId)) {
      throw new GatewayError('ERR_INTERNAL', 'receipt requested for a leaf of another exchange');
    }
    const cp = await ensureCheckpoint(index + 1);
    const proof = await inclusionProof(index, cp.treeSize, getNodes);
    // Fail closed rather than hand out a receipt that does not verify (a damaged node table would cause it).
    if (!verifyInclusion(index, cp.treeSize, fromB64u(leaf.leafHash), proof, fromB64u(cp.rootHash))) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the stored tree does not prove this leaf');
    }
    return signLogToken(signer, RECEIPT_TYP, {
      iss: gatewayId,
      exchangeId,
      leafIndex: index,
      leafHash: leaf.leafHash,
      checkpoint: cp.jws,
      inclusionProof: proof.map(b64u),
      iat: Math.floor(clock.nowMs() / 1000),
    });
  };

  const verifyStored = async (): Promise<StoredLogVerification> => {
    const stored = await verifyStoredLog(store, {
      issuer: gatewayId,
      checkpointKey: (kid) => (kid === signer.kid ? ownPublicKey : deps.checkpointKey?.(kid)),
    });
    if (!stored.ok) return stored;
    // Second pass, over leaves now known to be intact: is every erased record accounted for by a purge record?
    const purges = await verifyPurges(store);
    return purges.ok
      ? stored
      : { ...stored, ok: false, reason: purges.reason, firstBadIndex: purges.firstBadIndex };
  };

  return {
    append,
    checkpoint,
    checkpointCovering,
    inclusionProof: proveInclusion,
    consistencyProof: proveConsistency,
    issueReceipt,
    verifyStored,
  };
}
