/**
 * The transfer log's start (DESIGN.md "Transfer log", issue 11): the storage is opened only where the anchor
 * does not show that a log existed; before the gateway serves, the store must not be behind, short of, or
 * other than its anchor (a restored backup would otherwise release again what was released after the backup:
 * the replay store is in the same storage), and the leaves a crash left after the last checkpoint must verify.
 * Then a checkpoint covers them, and the log's background jobs start: checkpoints, full verification, purge.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { CheckpointAnchor, Clock, Signer } from '../core/ports.js';
import {
  checkAnchor,
  createTransferLog,
  createVerificationRuns,
  type TransferLog,
  type VerificationRuns,
} from '../core/transfer-log/index.js';
import { LogAnchorError } from '../describe-anchor-failure.js';
import { startCheckpoints, startPurge, startVerification, type Closer } from './background-jobs.js';
import { openStorage } from './open-storage.js';
import type { Storage } from './storage.js';

/** Opens the storage; a missing store where the anchor shows a log existed is refused before one is created. */
export async function openGuardedStorage(
  config: Config,
  clock: Clock,
  anchor: CheckpointAnchor,
  sharedSecrets: Readonly<Record<string, Uint8Array>>,
): Promise<{ readonly storage: Storage; readonly existed: boolean }> {
  let existed = true;
  const storage = await openStorage(config, {
    clock,
    sharedSecrets,
    async beforeCreate(location) {
      existed = false;
      if (!(await anchor.exists())) return;
      const anchored = await anchor.latest().catch(() => undefined);
      throw new LogAnchorError(
        { ok: false, reason: 'store-missing', ...(anchored ? { anchorSize: anchored.treeSize } : {}) },
        { storeFile: location, anchorFile: anchor.location },
      );
    },
  });
  return { storage, existed };
}

/** Checks the store against its anchor, signs the first checkpoint and starts the log's jobs. */
export async function startTransferLog(deps: {
  readonly config: Config;
  readonly storage: Storage;
  readonly anchor: CheckpointAnchor;
  readonly storeExisted: boolean;
  readonly signer: Signer;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly closers: Closer[];
}): Promise<{ readonly transferLog: TransferLog; readonly verificationRuns: VerificationRuns }> {
  const { config, storage, anchor, signer, clock, logger, closers } = deps;
  const transferLog = createTransferLog({
    store: storage.log,
    signer,
    clock,
    gatewayId: config.gatewayId,
    anchor,
  });
  const started = Date.now();
  const anchorCheck = await checkAnchor({
    store: storage.log,
    anchor,
    storeExisted: deps.storeExisted,
    issuer: config.gatewayId,
    checkpointKey: (kid) => (kid === signer.kid ? signer.publicKey : undefined),
  });
  if (!anchorCheck.ok) {
    throw new LogAnchorError(anchorCheck, { storeFile: storage.location, anchorFile: anchor.location });
  }
  if (anchorCheck.caughtUp) {
    logger.warn(
      { event: 'log.anchor_caught_up', treeSize: anchorCheck.trusted?.treeSize, anchor: anchor.location },
      'log.anchor_caught_up: the store held a newer signed checkpoint than the anchor; it is anchored now',
    );
  }
  const head = await transferLog.checkpoint();
  logger.info(
    {
      event: 'log.anchor_checked',
      size: anchorCheck.size,
      anchoredSize: anchorCheck.trusted?.treeSize ?? 0,
      checkpointSize: head.treeSize,
      created: anchorCheck.created,
      ms: Date.now() - started,
    },
    'log.anchor_checked',
  );
  // Every record is covered by a signed, anchored checkpoint within checkpointIntervalS, and at shutdown.
  closers.push(await startCheckpoints(transferLog, logger, config.checkpointIntervalS));

  // A mismatch found by the background verification is an incident (log.verify_mismatch), recorded for the DPO.
  const verificationRuns = createVerificationRuns({
    verify: () => transferLog.verifyStored(),
    store: storage.verificationRuns,
    clock,
    onRun: (run) => {
      if (run.ok) {
        logger.info(
          { event: 'log.verified', trigger: run.trigger, size: run.size, ms: run.finishedAt - run.startedAt },
          'log.verified',
        );
      } else {
        logger.error(
          {
            event: 'log.verify_mismatch',
            trigger: run.trigger,
            reason: run.reason,
            firstBadIndex: run.firstBadIndex,
          },
          'log.verify_mismatch: the stored transfer log does not verify',
        );
      }
    },
  });
  closers.push(await startVerification(verificationRuns, logger, config.verifyIntervalS));
  if (config.purgeIntervalS > 0) {
    closers.push(await startPurge(storage.log, clock, logger, config.purgeIntervalS));
  }
  return { transferLog, verificationRuns };
}
