/**
 * Preview before use (§ 5 Abs. 2 EGovG, DESIGN.md stage 11, PROTOCOL.md §1c 202 and §3 previews): evidence that a
 * policy wants the citizen to see first waits here, sealed, until the citizen approves (the consumer then collects
 * it), rejects it or lets the deadline pass (ERR_PREVIEW_REJECTED; the evidence is destroyed), or withdraws the
 * consent it relied on (ERR_CONSENT_WITHDRAWN; destroyed too).
 *
 * Invariants:
 * - every decision is durable in the transfer log before its effect: the 'released' record before the consumer can
 *   collect, the 'withheld' record before the evidence is destroyed (if the log cannot be written the entry stays
 *   pending and the caller gets ERR_LOG_UNAVAILABLE);
 * - an approval is logged only while the consent still holds, under the consent's lock, so the log never shows a
 *   release after the withdrawal it relied on;
 * - one decision per entry: decisions of one exchange run one after another and compare-and-set on 'pending'.
 */
import { GatewayError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { KeyedLock } from '../ports.js';
import type { AppendedLeaf, Clock, HeldEvidence, PreviewStore, TransferRecord } from '../ports.js';
import { isoTime } from '../time.js';
import type { EvidenceSealer, SealedContent } from './seal-evidence.js';

export type PreviewDecision = 'approve' | 'reject';

/** How a held exchange ended, for callbacks (issue 5 item 4) and logs. */
export interface PreviewFinished {
  readonly exchangeId: string;
  readonly consumer: string;
  readonly status: 'released' | 'withheld';
  readonly code?: ErrorCode;
}

/** The consent check at the moment of release; ok: false names why the consent no longer holds. */
export type ConsentGuard = <T>(
  consentId: string,
  exchangeId: string,
  release: () => Promise<T>,
) => Promise<{ ok: true; value: T } | { ok: false; code: ErrorCode }>;

export interface PreviewServiceDeps {
  readonly store: PreviewStore;
  readonly sealer: EvidenceSealer;
  readonly clock: Clock;
  readonly log: { append(record: TransferRecord): Promise<AppendedLeaf> };
  readonly guardRelease: ConsentGuard;
  /** Serialises decisions per exchange (shared with nothing else that takes consent locks inside). */
  readonly lock: KeyedLock;
  /** How long an approved evidence can be collected by the consumer (ms). */
  readonly collectWindowMs: number;
  readonly onFinished?: (event: PreviewFinished) => void;
}

/** A held exchange as its citizen sees it: what would be released, while it is still pending. */
export interface PreviewView {
  readonly entry: HeldEvidence;
  /** Present while pending: the evidence data exactly as it would be released. */
  readonly content?: Pick<SealedContent, 'data' | 'fields'>;
}

export interface PreviewService {
  /** Holds verified evidence for preview; logs the 'awaiting-citizen' record. Throws ERR_LOG_UNAVAILABLE. */
  hold(record: TransferRecord, content: SealedContent, decideBy: number): Promise<void>;
  /** The citizen's held exchanges, newest first; overdue ones are expired first. */
  list(subjectRef: string): Promise<PreviewView[]>;
  /** The citizen's decision. Throws ERR_NOT_FOUND (unknown or another citizen's), ERR_CONFLICT (not pending). */
  decide(subjectRef: string, exchangeId: string, decision: PreviewDecision): Promise<PreviewView>;
  /** Cancels every pending preview that relied on this consent (after its withdrawal). */
  cancelForConsent(consentId: string, code: ErrorCode): Promise<number>;
  /** Expires overdue previews and destroys uncollected approved evidence; returns how many entries it touched. */
  sweep(limit?: number): Promise<number>;
  /** The approved evidence for its consumer, while collectable; undefined otherwise. */
  collect(exchangeId: string, consumer: string): Promise<SealedContent | undefined>;
  /** The entry (any state) if it belongs to this consumer. */
  get(exchangeId: string): Promise<HeldEvidence | undefined>;
}

type FinalState = 'rejected' | 'expired' | 'cancelled';

const WITHHELD_CODE: Record<Exclude<FinalState, 'cancelled'>, ErrorCode> = {
  rejected: 'ERR_PREVIEW_REJECTED',
  expired: 'ERR_PREVIEW_REJECTED',
};

/**
 * Builds the preview service. Spec: § 5 Abs. 2 EGovG (preview), DSGVO Art. 7(3) (withdrawal for the future),
 * PROTOCOL.md §3. Throws GatewayError ERR_NOT_FOUND, ERR_CONFLICT, ERR_LOG_UNAVAILABLE as documented per method.
 */
export function createPreviewService(deps: PreviewServiceDeps): PreviewService {
  const { store, sealer, clock, lock } = deps;

  function finalRecord(
    entry: HeldEvidence,
    outcome: 'released' | 'withheld',
    extra: Partial<TransferRecord>,
  ): TransferRecord {
    const { time: _time, outcome: _outcome, code: _code, ...base } = entry.record;
    return { ...base, time: isoTime(clock.nowMs()), outcome, ...extra } as TransferRecord;
  }

  async function append(record: TransferRecord): Promise<void> {
    try {
      await deps.log.append(record);
    } catch (cause) {
      if (cause instanceof GatewayError && cause.code === 'ERR_LOG_UNAVAILABLE') throw cause;
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the transfer log cannot be written', { cause });
    }
  }

  /** Ends a pending entry without release: logged first, then the evidence is destroyed. Caller holds the lock. */
  async function withhold(entry: HeldEvidence, state: FinalState, code: ErrorCode): Promise<boolean> {
    const current = await store.get(entry.exchangeId);
    if (current?.state !== 'pending') return false;
    await append(finalRecord(entry, 'withheld', { code, preview: state }));
    const changed = await store.decide(entry.exchangeId, state, clock.nowMs());
    if (changed)
      deps.onFinished?.({ exchangeId: entry.exchangeId, consumer: entry.consumer, status: 'withheld', code });
    return changed;
  }

  function overdue(entry: HeldEvidence): boolean {
    return entry.state === 'pending' && clock.nowMs() >= entry.decideBy;
  }

  function view(entry: HeldEvidence): PreviewView {
    if (entry.state !== 'pending' || entry.sealed === null) return { entry };
    const { data, fields } = sealer.open(entry.exchangeId, entry.sealed);
    return { entry, content: { data, fields } };
  }

  async function hold(record: TransferRecord, content: SealedContent, decideBy: number): Promise<void> {
    const entry: HeldEvidence = {
      exchangeId: record.exchangeId,
      subjectRef: record.subjectRef!,
      consumer: record.consumer!,
      provider: record.provider!,
      evidenceType: record.evidenceType!,
      purpose: record.purpose!,
      legalBasis: record.legalBasis!,
      procedure: record.procedure!,
      consentId: record.consentId,
      format: record.format!,
      heldAt: clock.nowMs(),
      decideBy,
      state: 'pending',
      record,
      sealed: sealer.seal(record.exchangeId, content),
    };
    try {
      await store.hold(entry);
    } catch (cause) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the evidence cannot be held for preview', { cause });
    }
    try {
      await append(record);
    } catch (error) {
      // Not in the log: it never was held. Destroy it so nothing the log does not know of waits anywhere.
      await store.decide(record.exchangeId, 'cancelled', clock.nowMs()).catch(() => false);
      throw error;
    }
  }

  async function list(subjectRef: string): Promise<PreviewView[]> {
    const entries = await store.listBySubject(subjectRef);
    const out: PreviewView[] = [];
    for (const entry of entries) {
      if (entry.subjectRef !== subjectRef) continue;
      if (overdue(entry)) {
        await lock.run(entry.exchangeId, () => withhold(entry, 'expired', WITHHELD_CODE.expired));
        const after = await store.get(entry.exchangeId);
        if (after) out.push(view(after));
        continue;
      }
      out.push(view(entry));
    }
    return out;
  }

  async function decide(
    subjectRef: string,
    exchangeId: string,
    decision: PreviewDecision,
  ): Promise<PreviewView> {
    if (decision !== 'approve' && decision !== 'reject') {
      throw new GatewayError('ERR_SCHEMA', "decision must be 'approve' or 'reject'");
    }
    return lock.run(exchangeId, async () => {
      const entry = await store.get(exchangeId);
      if (entry === undefined || entry.subjectRef !== subjectRef) {
        throw new GatewayError('ERR_NOT_FOUND', 'no such preview');
      }
      if (entry.state !== 'pending') throw new GatewayError('ERR_CONFLICT', `this preview is ${entry.state}`);
      if (overdue(entry)) {
        await withhold(entry, 'expired', WITHHELD_CODE.expired);
        throw new GatewayError('ERR_CONFLICT', 'the time for this preview has run out');
      }
      if (decision === 'reject') {
        await withhold(entry, 'rejected', WITHHELD_CODE.rejected);
        return view((await store.get(exchangeId))!);
      }
      const release = async () => {
        await append(finalRecord(entry, 'released', { preview: 'approved' }));
        const now = clock.nowMs();
        await store.decide(exchangeId, 'approved', now, now + deps.collectWindowMs);
      };
      if (entry.consentId === undefined) {
        await release();
      } else {
        const guarded = await deps.guardRelease(entry.consentId, exchangeId, release);
        if (!guarded.ok) {
          await withhold(entry, 'cancelled', guarded.code);
          throw new GatewayError('ERR_CONFLICT', 'the consent this preview relied on no longer holds');
        }
      }
      deps.onFinished?.({ exchangeId, consumer: entry.consumer, status: 'released' });
      return view((await store.get(exchangeId))!);
    });
  }

  async function cancelForConsent(consentId: string, code: ErrorCode): Promise<number> {
    let cancelled = 0;
    for (const entry of await store.listPendingByConsent(consentId)) {
      if (await lock.run(entry.exchangeId, () => withhold(entry, 'cancelled', code))) cancelled++;
    }
    return cancelled;
  }

  async function sweep(limit = 500): Promise<number> {
    const now = clock.nowMs();
    let touched = 0;
    for (const entry of await store.listDue(now, limit)) {
      if (entry.state === 'pending') {
        if (await lock.run(entry.exchangeId, () => withhold(entry, 'expired', WITHHELD_CODE.expired)))
          touched++;
      } else if (entry.state === 'approved' && entry.sealed !== null) {
        await store.destroy(entry.exchangeId);
        touched++;
      }
    }
    return touched;
  }

  async function collect(exchangeId: string, consumer: string): Promise<SealedContent | undefined> {
    const entry = await store.get(exchangeId);
    if (entry === undefined || entry.consumer !== consumer || entry.state !== 'approved') return undefined;
    if (entry.sealed === null || (entry.collectUntil !== undefined && clock.nowMs() >= entry.collectUntil)) {
      return undefined;
    }
    return sealer.open(exchangeId, entry.sealed);
  }

  return { hold, list, decide, cancelForConsent, sweep, collect, get: (id) => store.get(id) };
}
