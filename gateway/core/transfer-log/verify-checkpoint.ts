/**
 * Offline verification of a signed checkpoint (`checkpoint+jwt`): what `oog` and auditors run against the
 * gateway's public key, without access to the gateway's store.
 */
import type { KeyObject } from 'node:crypto';
import type { Checkpoint } from '../ports.js';
import {
  CHECKPOINT_TYP,
  hasExactly,
  isB64uHash,
  isCount,
  openLogToken,
  type TokenFailure,
} from './log-token.js';

/** A checkpoint whose signature verified, with the issuer that signed it. */
export interface VerifiedCheckpoint extends Checkpoint {
  readonly iss: string;
}

export type CheckpointVerification =
  | { readonly ok: true; readonly checkpoint: VerifiedCheckpoint }
  | { readonly ok: false; readonly reason: TokenFailure };

const MEMBERS = ['iss', 'treeSize', 'rootHash', 'time'] as const;

/**
 * Verifies a checkpoint JWS with the gateway's public key: signature (ES256/PS256/EdDSA only), `typ`
 * `checkpoint+jwt`, canonical payload { iss, treeSize, rootHash, time } and, if given, the expected issuer
 * (RFC 7515 §5.2; PROTOCOL.md §4 `GET /v1/log/checkpoint`). A refusal is a returned reason; never throws.
 */
export async function verifyCheckpoint(
  jws: string,
  publicKey: KeyObject,
  options: { readonly issuer?: string } = {},
): Promise<CheckpointVerification> {
  const opened = await openLogToken(jws, publicKey, CHECKPOINT_TYP);
  if (!opened.ok) return opened;
  const p = opened.payload;
  if (
    !hasExactly(p, MEMBERS) ||
    typeof p.iss !== 'string' ||
    p.iss.length === 0 ||
    !isCount(p.treeSize) ||
    !isB64uHash(p.rootHash) ||
    !isCount(p.time)
  ) {
    return { ok: false, reason: 'payload' };
  }
  if (options.issuer !== undefined && p.iss !== options.issuer) return { ok: false, reason: 'issuer' };
  return { ok: true, checkpoint: { iss: p.iss, treeSize: p.treeSize, rootHash: p.rootHash, time: p.time } };
}
