/**
 * Extending an exchange's retention for a documented reason (DESIGN.md "Retention"; DSGVO Art. 17(3)(e) — a
 * record needed for legal claims, an audit or a court order is kept beyond its normal period). The extension is
 * itself a record in the tamper-evident log, so it can be seen and checked like every transfer, and the purge
 * keeps every record of an exchange while any of them is retained.
 */
import { GatewayError } from '../errors.js';
import type { AppendedLeaf, Clock, StoredLeaf, TransferRecord } from '../ports.js';
import { isoTime } from '../time.js';
import type { TransferLog } from './create-transfer-log.js';

export interface RetentionExtension {
  readonly exchangeId: string;
  /**
   * The new end of retention: an ISO 8601 date (`2031-12-31`, the start of that day in UTC) or UTC date-time
   * (`2031-12-31T12:00:00Z`). Must be later than the exchange's current end.
   */
  readonly until: string;
  /** Why (Aktenzeichen of the court order, audit, …): 1–1000 characters. */
  readonly reason: string;
  /** Who extended it (DPO user, operator), as logged. */
  readonly actor?: string;
}

export interface ExtendRetentionDeps {
  readonly log: Pick<TransferLog, 'append'>;
  /** The exchange's leaves in log order (SqliteTransferLogStore.recordsByExchange); purged ones have no record. */
  readonly recordsOf: (exchangeId: string) => Promise<readonly StoredLeaf[]>;
  readonly clock: Clock;
}

const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const DATE_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?Z$/;
/** Members copied from the exchange's record, so DPO and citizen views find the extension with it. */
const COPIED = ['consumer', 'authenticated', 'provider', 'evidenceType', 'purpose', 'subjectRef'] as const;

function malformed(detail: string): GatewayError {
  return new GatewayError('ERR_REQUEST_MALFORMED', detail);
}

/** ms since epoch of an ISO date or UTC date-time that names a real instant (no 2025-02-30), else undefined. */
function parseUntil(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (DATE.test(text)) {
    const ms = Date.parse(`${text}T00:00:00.000Z`);
    return Number.isNaN(ms) || isoTime(ms).slice(0, 10) !== text ? undefined : ms;
  }
  if (DATE_TIME.test(text)) {
    const ms = Date.parse(text);
    const normal = text.includes('.') ? text : text.replace(/Z$/, '.000Z');
    return Number.isNaN(ms) || isoTime(ms) !== normal ? undefined : ms;
  }
  return undefined;
}

function isBoundedText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.trim().length > 0 && value.length <= max;
}

/**
 * Appends a `retention-extended` record for the exchange with its new `retentionUntil` and `reason`, and resolves
 * with the leaf and the record once it is durable. Extends only: the new end must be later than the exchange's
 * current end, which must not have passed yet (after it, the purge may already have removed the content).
 * Throws ERR_REQUEST_MALFORMED for an unusable exchange id, date, reason or actor, a date that does not extend
 * the retention or a retention that has ended; ERR_NOT_FOUND when the log holds no record of the exchange;
 * ERR_LOG_UNAVAILABLE for an unreadable stored record and as TransferLog.append.
 */
export async function extendRetention(
  deps: ExtendRetentionDeps,
  input: RetentionExtension,
): Promise<{ readonly leaf: AppendedLeaf; readonly record: TransferRecord }> {
  if (!isBoundedText(input.exchangeId, 200)) throw malformed('exchangeId must be a non-empty id');
  if (!isBoundedText(input.reason, 1000)) throw malformed('reason must have 1 to 1000 characters');
  if (input.actor !== undefined && !isBoundedText(input.actor, 200))
    throw malformed('actor must have 1 to 200 characters');
  const untilMs = parseUntil(input.until);
  if (untilMs === undefined) throw malformed('until must be an ISO 8601 date or UTC date-time');

  const records: Record<string, unknown>[] = [];
  for (const leaf of await deps.recordsOf(input.exchangeId)) {
    if (leaf.record === null) continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(leaf.record) as Record<string, unknown>;
    } catch (cause) {
      throw new GatewayError('ERR_LOG_UNAVAILABLE', 'a stored record is unreadable', { cause });
    }
    if (record.exchangeId === input.exchangeId) records.push(record);
  }
  if (records.length === 0)
    throw new GatewayError('ERR_NOT_FOUND', 'the log holds no record of this exchange');

  const now = deps.clock.nowMs();
  const ends = records.map((r) =>
    typeof r.retentionUntil === 'string' ? Date.parse(r.retentionUntil) : NaN,
  );
  // A record without a usable end is kept for ever by the purge: there is nothing to extend.
  if (ends.some((end) => Number.isNaN(end)))
    throw malformed('this exchange has a record without a retention end');
  const current = Math.max(...ends);
  if (current < now) throw malformed('the retention of this exchange has ended');
  if (untilMs <= current) throw malformed('until must be later than the current end of retention');

  const source = records.filter((r) => r.outcome !== 'retention-extended').at(-1) ?? records.at(-1)!;
  const copied = Object.fromEntries(COPIED.filter((k) => source[k] !== undefined).map((k) => [k, source[k]]));
  const record = {
    authenticated: false,
    ...copied,
    v: 1,
    time: isoTime(now),
    exchangeId: input.exchangeId,
    outcome: 'retention-extended',
    reason: input.reason,
    retentionUntil: isoTime(untilMs),
    ...(input.actor === undefined ? {} : { actor: input.actor }),
  } as TransferRecord;
  const leaf = await deps.log.append(record);
  return { leaf, record };
}
