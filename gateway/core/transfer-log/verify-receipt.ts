/**
 * Offline verification of a transfer receipt (`transfer-receipt+jwt`, PROTOCOL.md §1c): the receipt, the
 * checkpoint inside it and the inclusion proof of the leaf in that checkpoint. What `oog receipt verify` runs.
 */
import type { KeyObject } from 'node:crypto';
import { b64u, fromB64u } from '../encoding.js';
import {
  hasExactly,
  isB64uHash,
  isCount,
  openLogToken,
  RECEIPT_TYP,
  type TokenFailure,
} from './log-token.js';
import { emptyRoot, verifyConsistency, verifyInclusion } from './merkle.js';
import { verifyCheckpoint, type VerifiedCheckpoint } from './verify-checkpoint.js';

/** The payload of a receipt whose signature and proof verified. */
export interface TransferReceipt {
  readonly iss: string;
  readonly exchangeId: string;
  readonly leafIndex: number;
  readonly leafHash: string;
  /** The checkpoint JWS the inclusion proof is relative to. */
  readonly checkpoint: string;
  readonly inclusionProof: readonly string[];
  /** Seconds since the epoch. */
  readonly iat: number;
}

/**
 * Why a receipt was refused: its own token failed (TokenFailure), the embedded checkpoint did not verify, the
 * inclusion proof did not lead to the checkpoint's root, or the receipt's checkpoint does not match the one the
 * verifier holds (`checkpoint-mismatch`: same size, other root; `consistency`: the consistency proof failed;
 * `consistency-proof-required`: sizes differ and no proof was given).
 */
export type ReceiptFailure =
  | TokenFailure
  | 'checkpoint-invalid'
  | 'inclusion'
  | 'checkpoint-mismatch'
  | 'consistency-proof-required'
  | 'consistency';

export type ReceiptVerification =
  | { readonly ok: true; readonly receipt: TransferReceipt; readonly checkpoint: VerifiedCheckpoint }
  | { readonly ok: false; readonly reason: ReceiptFailure };

export interface VerifyReceiptOptions {
  /** A checkpoint JWS the verifier already trusts (e.g. fetched later from `GET /v1/log/checkpoint`). */
  readonly checkpoint?: string;
  /** base64url RFC 9162 consistency proof between the receipt's checkpoint and `checkpoint` (smaller first). */
  readonly consistencyProof?: readonly string[];
  /** The gateway id that must have issued the receipt and the checkpoints. */
  readonly issuer?: string;
}

const MEMBERS = [
  'iss',
  'exchangeId',
  'leafIndex',
  'leafHash',
  'checkpoint',
  'inclusionProof',
  'iat',
] as const;
const MAX_PROOF = 64;

/**
 * Verifies a transfer receipt with the gateway's public key: the receipt's signature and `typ`, its canonical
 * payload, the embedded checkpoint (same issuer), and the RFC 9162 §2.1.3.2 inclusion proof of `leafHash` at
 * `leafIndex` against the checkpoint's root. With `options.checkpoint`, also ties the receipt's checkpoint to
 * that one: equal roots at equal sizes, else an RFC 9162 §2.1.4.2 consistency proof. Never throws.
 */
export async function verifyReceipt(
  jws: string,
  publicKey: KeyObject,
  options: VerifyReceiptOptions = {},
): Promise<ReceiptVerification> {
  const opened = await openLogToken(jws, publicKey, RECEIPT_TYP);
  if (!opened.ok) return opened;
  const p = opened.payload;
  if (
    !hasExactly(p, MEMBERS) ||
    typeof p.iss !== 'string' ||
    p.iss.length === 0 ||
    typeof p.exchangeId !== 'string' ||
    p.exchangeId.length === 0 ||
    !isCount(p.leafIndex) ||
    !isB64uHash(p.leafHash) ||
    typeof p.checkpoint !== 'string' ||
    !Array.isArray(p.inclusionProof) ||
    p.inclusionProof.length > MAX_PROOF ||
    !p.inclusionProof.every(isB64uHash) ||
    !isCount(p.iat)
  ) {
    return { ok: false, reason: 'payload' };
  }
  const receipt: TransferReceipt = {
    iss: p.iss,
    exchangeId: p.exchangeId,
    leafIndex: p.leafIndex,
    leafHash: p.leafHash,
    checkpoint: p.checkpoint,
    inclusionProof: p.inclusionProof as string[],
    iat: p.iat,
  };
  if (options.issuer !== undefined && receipt.iss !== options.issuer) return { ok: false, reason: 'issuer' };

  const embedded = await verifyCheckpoint(receipt.checkpoint, publicKey, { issuer: receipt.iss });
  if (!embedded.ok) return { ok: false, reason: 'checkpoint-invalid' };
  const cp = embedded.checkpoint;
  if (receipt.leafIndex >= cp.treeSize) return { ok: false, reason: 'inclusion' };
  const included = verifyInclusion(
    receipt.leafIndex,
    cp.treeSize,
    fromB64u(receipt.leafHash),
    receipt.inclusionProof.map(fromB64u),
    fromB64u(cp.rootHash),
  );
  if (!included) return { ok: false, reason: 'inclusion' };

  if (options.checkpoint !== undefined) {
    const held = await verifyCheckpoint(options.checkpoint, publicKey, { issuer: receipt.iss });
    if (!held.ok) return { ok: false, reason: 'checkpoint-invalid' };
    const other = held.checkpoint;
    if (other.treeSize === cp.treeSize) {
      if (other.rootHash !== cp.rootHash) return { ok: false, reason: 'checkpoint-mismatch' };
    } else {
      const proof = options.consistencyProof;
      if (proof === undefined) return { ok: false, reason: 'consistency-proof-required' };
      if (proof.length > MAX_PROOF || !proof.every(isB64uHash)) return { ok: false, reason: 'consistency' };
      const [small, large] = other.treeSize < cp.treeSize ? [other, cp] : [cp, other];
      // The empty tree is a prefix of every tree; there is nothing to prove beyond its root being the empty hash.
      const consistent =
        small.treeSize === 0
          ? small.rootHash === b64u(emptyRoot())
          : verifyConsistency(
              small.treeSize,
              large.treeSize,
              fromB64u(small.rootHash),
              fromB64u(large.rootHash),
              proof.map(fromB64u),
            );
      if (!consistent) return { ok: false, reason: 'consistency' };
    }
  }
  return { ok: true, receipt, checkpoint: cp };
}
