/**
 * Offline check that a later signed checkpoint extends an earlier one (RFC 9162 §2.1.4; SECURITY.md "The
 * transfer log"): what an auditor who kept an old checkpoint runs to see that the log was only appended to since,
 * never rewritten or rolled back. Needs only the gateway's public key and a consistency proof.
 */
import type { KeyObject } from 'node:crypto';
import { b64u, fromB64u } from '../encoding.js';
import { isB64uHash, type TokenFailure } from './log-token.js';
import { emptyRoot, verifyConsistency } from './merkle.js';
import { verifyCheckpoint, type VerifiedCheckpoint } from './verify-checkpoint.js';

/**
 * Why two checkpoints are not consistent:
 * - `old-checkpoint` / `new-checkpoint`: that checkpoint does not verify (`detail` says how: malformed,
 *   signature, typ, payload, issuer);
 * - `issuer-differs`: the two were signed for different gateways;
 * - `size-decreased` / `time-decreased`: the new one is smaller or older than the old one (a rollback);
 * - `proof-unavailable`: `getProof` threw (the store does not hold the new tree, or cannot be read);
 * - `proof-malformed`: the proof is not a list of base64url SHA-256 hashes;
 * - `inconsistent`: the proof does not show that the new tree extends the old one (a rewritten log, a forged
 *   root, or a proof for other checkpoints).
 */
export type ConsistencyFailure =
  | 'old-checkpoint'
  | 'new-checkpoint'
  | 'issuer-differs'
  | 'size-decreased'
  | 'time-decreased'
  | 'proof-unavailable'
  | 'proof-malformed'
  | 'inconsistent';

export type CheckpointConsistency =
  | { readonly ok: true; readonly old: VerifiedCheckpoint; readonly new: VerifiedCheckpoint }
  | { readonly ok: false; readonly reason: ConsistencyFailure; readonly detail?: TokenFailure };

/** Upper bound on proof length: a consistency proof for trees below 2^53 has at most 2·53 hashes. */
const MAX_PROOF = 128;

/**
 * Where the consistency proof comes from, asked only once both checkpoints verified and their sizes are known:
 * base64url hashes, as `GET /v1/log/consistency` and TransferLog.consistencyProof give them (a file's content,
 * or the store). Not asked when the old tree is empty: the empty tree is a prefix of every tree.
 */
export type ConsistencyProofSource = (first: number, second: number) => unknown;

/**
 * Verifies both checkpoint JWS with the gateway's public key (and `issuer` if given), then that the new one is
 * not smaller or older than the old one and that the proof proves the new tree extends the old one
 * (RFC 9162 §2.1.4.2). Equal sizes need equal roots and an empty proof. A refusal is a returned reason;
 * never throws.
 */
export async function verifyCheckpointConsistency(
  oldJws: string,
  newJws: string,
  getProof: ConsistencyProofSource,
  publicKey: KeyObject,
  options: { readonly issuer?: string } = {},
): Promise<CheckpointConsistency> {
  const older = await verifyCheckpoint(oldJws, publicKey, options);
  if (!older.ok) return { ok: false, reason: 'old-checkpoint', detail: older.reason };
  const newer = await verifyCheckpoint(newJws, publicKey, options);
  if (!newer.ok) return { ok: false, reason: 'new-checkpoint', detail: newer.reason };
  const a = older.checkpoint;
  const b = newer.checkpoint;
  if (a.iss !== b.iss) return { ok: false, reason: 'issuer-differs' };
  if (b.treeSize < a.treeSize) return { ok: false, reason: 'size-decreased' };
  if (b.time < a.time) return { ok: false, reason: 'time-decreased' };
  if (a.treeSize === 0) {
    return b64u(emptyRoot()) === a.rootHash
      ? { ok: true, old: a, new: b }
      : { ok: false, reason: 'inconsistent' };
  }
  let proof: unknown;
  try {
    proof = await getProof(a.treeSize, b.treeSize);
  } catch {
    return { ok: false, reason: 'proof-unavailable' };
  }
  if (
    !Array.isArray(proof) ||
    proof.length > MAX_PROOF ||
    !proof.every((hash): hash is string => isB64uHash(hash))
  ) {
    return { ok: false, reason: 'proof-malformed' };
  }
  const hashes = proof.map((hash) => fromB64u(hash));
  const consistent = verifyConsistency(
    a.treeSize,
    b.treeSize,
    fromB64u(a.rootHash),
    fromB64u(b.rootHash),
    hashes,
  );
  return consistent ? { ok: true, old: a, new: b } : { ok: false, reason: 'inconsistent' };
}
