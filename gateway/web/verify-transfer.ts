/**
 * The "verified" mark of the DPO's transfer detail, computed from what the page shows and nothing else (the
 * same checks an auditor runs on `GET /v1/transfers/{id}`): the checkpoint's signature by the gateway's key,
 * each record's leaf hash recomputed from the record (RFC 9162 leaf hash of its canonical JSON), and each leaf's
 * inclusion proof against the checkpoint's root. A purged record keeps its leaf hash, which is still proven; its
 * content cannot be recomputed and is marked so.
 */
import type { AuditTransferDetail } from '../app/index.js';
import { encodeRecord, recordLeafHash, verifyInclusion } from '../core/transfer-log/index.js';

/** One transfer's records with proofs, as AuditService.get answers (openapi.yaml `TransferDetail`). */
export type TransferDetail = AuditTransferDetail;

export interface RecordCheck {
  readonly index: number;
  /** true: the record hashes to its leaf hash; false: it does not; 'purged': no content left to hash. */
  readonly leaf: boolean | 'purged';
  /** The leaf hash is proven in the checkpoint's tree. */
  readonly proof: boolean;
}

export interface TransferCheck {
  /** Every check passed. */
  readonly verified: boolean;
  /** The checkpoint is signed by the gateway and states the tree size and root shown. */
  readonly checkpoint: boolean;
  readonly records: readonly RecordCheck[];
}

const fromB64u = (text: string): Buffer => Buffer.from(text, 'base64url');

function sameHash(a: Uint8Array, b: string): boolean {
  return Buffer.from(a).toString('base64url') === b;
}

export async function checkTransfer(
  detail: TransferDetail,
  /** The checkpoint JWS's verified payload, or undefined if its signature does not verify. */
  openCheckpoint: (
    jws: string,
  ) => Promise<{ readonly treeSize: number; readonly rootHash: string } | undefined>,
): Promise<TransferCheck> {
  const { checkpoint } = detail;
  const signed = await openCheckpoint(checkpoint.jws);
  const checkpointOk =
    signed !== undefined &&
    signed.treeSize === checkpoint.treeSize &&
    signed.rootHash === checkpoint.rootHash;
  const root = fromB64u(checkpoint.rootHash);
  const records = detail.records.map((r): RecordCheck => {
    let leaf: boolean | 'purged' = 'purged';
    if (r.record !== null) {
      try {
        leaf = sameHash(recordLeafHash(encodeRecord(r.record)), r.leafHash);
      } catch {
        leaf = false;
      }
    }
    let proof = false;
    try {
      proof =
        r.index < checkpoint.treeSize &&
        verifyInclusion(
          r.index,
          checkpoint.treeSize,
          fromB64u(r.leafHash),
          r.inclusionProof.map(fromB64u),
          root,
        );
    } catch {
      proof = false;
    }
    return { index: r.index, leaf, proof };
  });
  return {
    verified: checkpointOk && records.length > 0 && records.every((r) => r.leaf !== false && r.proof),
    checkpoint: checkpointOk,
    records,
  };
}
