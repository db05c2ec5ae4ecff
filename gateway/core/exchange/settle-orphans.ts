/**
 * Orphaned exchanges (issue 11): an exchange whose intent is in the log but whose run never recorded an outcome,
 * because the gateway stopped while the provider was asked (a crash, `kill -9`, power loss) or the store failed
 * before the outcome could be written. Without this, the consumer's poll says `pending` forever and the DPO's
 * list of final outcomes never shows the exchange.
 *
 * Settling records, for each such intent older than the provider timeout (plus a grace for the work around the
 * provider call), a final `refused` record with ERR_OUTCOME_UNKNOWN: nothing was released to the consumer; the
 * provider may or may not have answered. An exchange still running in this process is never settled.
 */
import { isoTime } from '../time.js';
import type { Clock, OpenIntents, TransferRecord } from '../ports.js';

/** Beyond the provider timeout: signing the forwarded request, checking the answer and recording the outcome. */
export const ORPHAN_GRACE_MS = 1_000;

/** Intents settled per store read; the rest follow in the next page of the same run. */
const PAGE = 200;

export interface OrphanSettlementDeps {
  readonly store: OpenIntents;
  readonly log: { append(record: TransferRecord): Promise<unknown> };
  readonly clock: Clock;
  /** The provider timeout: an exchange older than this (plus ORPHAN_GRACE_MS) cannot still be waiting for it. */
  readonly providerTimeoutMs: number;
  /** Whether an exchange is still running in this process (its outcome is yet to come). */
  readonly running: (exchangeId: string) => boolean;
  /** Called after each settled exchange's outcome is durable (to notify the consumer). */
  readonly onSettled?: (settled: TransferRecord) => void;
}

export interface OrphanSettlement {
  /** Settles every orphan older than the cut-off; resolves with how many were settled. */
  settle(): Promise<number>;
}

export function createOrphanSettlement(deps: OrphanSettlementDeps): OrphanSettlement {
  async function settle(): Promise<number> {
    const before = isoTime(deps.clock.nowMs() - deps.providerTimeoutMs - ORPHAN_GRACE_MS);
    const skipped = new Set<string>();
    let settled = 0;
    for (;;) {
      const leaves = await deps.store.openIntents(before, PAGE + skipped.size);
      const due = leaves
        .flatMap((leaf) => (leaf.record === null ? [] : [JSON.parse(leaf.record) as TransferRecord]))
        .filter((intent) => !skipped.has(intent.exchangeId));
      if (due.length === 0) return settled;
      // A page is appended at once: the log batches appends of one tick into one durable commit.
      const outcomes: TransferRecord[] = [];
      for (const intent of due) {
        if (deps.running(intent.exchangeId)) skipped.add(intent.exchangeId);
        else outcomes.push(outcomeUnknown(intent, deps.clock.nowMs()));
      }
      await Promise.all(
        outcomes.map(async (outcome) => {
          await deps.log.append(outcome);
          settled++;
          deps.onSettled?.(outcome);
        }),
      );
      if (leaves.length < PAGE + skipped.size) return settled;
    }
  }
  return { settle };
}

/** The final record of an orphan: what its intent said, refused with ERR_OUTCOME_UNKNOWN, at `nowMs`. */
function outcomeUnknown(intent: TransferRecord, nowMs: number): TransferRecord {
  return { ...intent, time: isoTime(nowMs), outcome: 'refused', code: 'ERR_OUTCOME_UNKNOWN' };
}
