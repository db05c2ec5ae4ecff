export {
  checkAgainstKeptCheckpoint,
  checkAnchor,
  type AnchorCheck,
  type AnchorFailure,
  type CheckAnchorDeps,
  type KeptCheckpointCheck,
  type KeptCheckpointOptions,
} from './check-anchor.js';
export { createTransferLog, type TransferLog, type TransferLogDeps } from './create-transfer-log.js';
export { encodeRecord, recordLeafHash } from './encode-record.js';
export { extendRetention, type ExtendRetentionDeps, type RetentionExtension } from './extend-retention.js';
export { CHECKPOINT_TYP, RECEIPT_TYP, type LogSigner, type TokenFailure } from './log-token.js';
export {
  consistencyProof,
  createCompactRange,
  emptyRoot,
  HASH_SIZE,
  inclusionProof,
  leafHash,
  nodeHash,
  rangeNodes,
  rootHash,
  verifyConsistency,
  verifyInclusion,
  type CompactRange,
  type CompletedNode,
  type GetNodes,
  type NodeRef,
} from './merkle.js';
export {
  verifyCheckpoint,
  type CheckpointVerification,
  type VerifiedCheckpoint,
} from './verify-checkpoint.js';
export {
  verifyCheckpointConsistency,
  type CheckpointConsistency,
  type ConsistencyProofSource,
  type ConsistencyFailure,
} from './verify-checkpoint-consistency.js';
export {
  verifyReceipt,
  type ReceiptFailure,
  type ReceiptVerification,
  type TransferReceipt,
  type VerifyReceiptOptions,
} from './verify-receipt.js';
export {
  verifyPurges,
  type PurgeFailure,
  type PurgeSource,
  type PurgeVerification,
} from './verify-purges.js';
export {
  verifyStoredLog,
  type StoredLogFailure,
  type StoredLogVerification,
  type VerifyStoredLogOptions,
} from './verify-stored-log.js';
export {
  createVerificationRuns,
  type VerificationRun,
  type VerificationRuns,
  type VerificationRunStore,
  type VerificationTrigger,
} from './verification-runs.js';
