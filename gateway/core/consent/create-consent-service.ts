/**
 * The citizen's consents (PROTOCOL.md §3, DESIGN.md stage 7): given, listed and withdrawn by the citizen, checked
 * and claimed by the exchange. A message can never assert consent by itself: consent comes only from this store.
 */
import { GatewayError } from '../errors.js';
import { isParticipantId } from '../ids.js';
import type { ErrorCode } from '../errors.js';
import { createKeyedLock } from '../keyed-lock.js';
import type { KeyedLock } from '../ports.js';
import type { Clock, ConsentRecord, ConsentStore } from '../ports.js';
import { isCode } from '../policy/codes.js';
import { consentState } from './consent-state.js';

/** What the citizen submits (`POST /v1/me/consents`). */
export interface GiveConsentInput {
  readonly consumer: string;
  readonly evidenceTypes: readonly string[];
  readonly purpose: string;
  /** RFC 3339 date-time with offset, in the future; absent: no end date. */
  readonly validUntil?: string;
  /** Default false: a standing consent. */
  readonly singleUse?: boolean;
}

export interface ConsentCheckRequest {
  readonly subjectRef: string;
  readonly consumer: string;
  readonly evidenceType: string;
  readonly purpose: string;
  /** The request's `consentId`, if it named one. */
  readonly consentId?: string;
  /** PolicyPermit.singleUseAllowed; false: single-use consents do not count. Default true. */
  readonly allowSingleUse?: boolean;
}

export type ConsentRefusalCode = 'ERR_CONSENT_MISSING' | 'ERR_CONSENT_WITHDRAWN' | 'ERR_CONSENT_EXPIRED';

export type ConsentCheck =
  | { readonly ok: true; readonly consent: ConsentRecord }
  | { readonly ok: false; readonly code: ConsentRefusalCode };

/** A consent given (or declined) through a consent request: the request and the exact notice shown. */
export interface ConsentOrigin {
  readonly requestId: string;
  readonly noticeHash: string;
}

export interface ConsentService {
  give(subjectRef: string, input: GiveConsentInput, origin?: ConsentOrigin): Promise<ConsentRecord>;
  /** Records that the citizen declined a consent request: a record whose only event is 'declined'. */
  decline(subjectRef: string, input: GiveConsentInput, origin: ConsentOrigin): Promise<ConsentRecord>;
  list(subjectRef: string): Promise<ConsentRecord[]>;
  get(subjectRef: string, id: string): Promise<ConsentRecord | undefined>;
  withdraw(subjectRef: string, id: string): Promise<ConsentRecord | undefined>;
  checkForExchange(request: ConsentCheckRequest): Promise<ConsentCheck>;
  claim(consent: ConsentRecord, exchangeId: string): Promise<boolean>;
  /**
   * Runs `release` (which logs a release) only while the consent still holds for this exchange, under the
   * consent's lock, which `withdraw` takes too: a release is either logged before the withdrawal or not at all.
   */
  guardRelease<T>(
    consentId: string,
    exchangeId: string,
    release: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; code: ErrorCode }>;
}

export interface ConsentServiceDeps {
  readonly store: ConsentStore;
  readonly clock: Clock;
  /** A fresh consent id (a UUID in production). */
  readonly newId: () => string;
  /** Shared with nobody who takes other locks inside; default a lock of its own. */
  readonly lock?: KeyedLock;
}

const INPUT_MEMBERS = new Set(['consumer', 'evidenceTypes', 'purpose', 'validUntil', 'singleUse']);
const MAX_EVIDENCE_TYPES = 32;
const RFC3339 =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$/;
/** A withdrawal races at most with claims of the same consent; a few retries always suffice. */
const WITHDRAW_ATTEMPTS = 10;

/**
 * Builds the consent service over a ConsentStore.
 * Spec: PROTOCOL.md §3 (citizen calls) and §6 (ERR_CONSENT_*), DESIGN.md stage 7, ISO/IEC TS 27560 (records as
 * a header plus append-only events).
 *
 * - `give` validates and stores a consent with its 'given' event. Throws GatewayError ERR_IDENTIFIER (consumer
 *   not a participant id) or ERR_SCHEMA (anything else malformed, unknown members, validUntil not in the future).
 * - `list` gives the citizen's consents, newest first; `get` gives undefined for an unknown id AND for another
 *   citizen's id (the HTTP layer answers both with the same 404).
 * - `withdraw` appends 'withdrawn' (final: the consent never permits again); a withdrawn consent is returned
 *   unchanged; unknown or foreign ids give undefined.
 * - `checkForExchange` finds the consent an exchange may rely on. With a consentId, that consent must belong to
 *   the subject and match consumer, evidence type and purpose, else ERR_CONSENT_MISSING (the same as absent, so
 *   a consumer learns nothing about other consents). Without one, any active matching consent: standing
 *   consents are preferred over single-use ones (using a standing consent consumes nothing, so a single-use
 *   consent the citizen gave for a particular occasion is kept for it), newest first within each kind. If none
 *   is active: a matching withdrawn one gives ERR_CONSENT_WITHDRAWN, an expired or used-up one
 *   ERR_CONSENT_EXPIRED, none ERR_CONSENT_MISSING. Returns, never throws, a refusal.
 * - `claim` marks a single-use consent used by one exchange, compare-and-set on the event count: of concurrent
 *   claims exactly one resolves true (the others false: refuse with ERR_CONSENT_EXPIRED). For a standing consent
 *   it writes nothing and resolves true if the consent still is active (a withdrawal since the check wins).
 */
export function createConsentService(deps: ConsentServiceDeps): ConsentService {
  const { store, clock, newId } = deps;
  const lock = deps.lock ?? createKeyedLock();

  async function create(
    subjectRef: string,
    input: GiveConsentInput,
    event: 'given' | 'declined',
    origin?: ConsentOrigin,
  ): Promise<ConsentRecord> {
    if (typeof subjectRef !== 'string' || subjectRef.length === 0)
      throw new TypeError('give: subjectRef missing');
    const now = clock.nowMs();
    const { consumer, evidenceTypes, purpose, validUntil, singleUse } = validateInput(input, now);
    const record: ConsentRecord = {
      id: newId(),
      subjectRef,
      consumer,
      evidenceTypes,
      purpose,
      validUntil,
      singleUse,
      createdAt: now,
      events: [{ type: event, at: now, by: 'citizen' }],
      ...(origin === undefined ? {} : { requestId: origin.requestId, noticeHash: origin.noticeHash }),
    };
    await store.create(record);
    return record;
  }

  const give = (subjectRef: string, input: GiveConsentInput, origin?: ConsentOrigin) =>
    create(subjectRef, input, 'given', origin);
  const decline = (subjectRef: string, input: GiveConsentInput, origin: ConsentOrigin) =>
    create(subjectRef, input, 'declined', origin);

  async function list(subjectRef: string): Promise<ConsentRecord[]> {
    return (await store.listBySubject(subjectRef)).filter((r) => r.subjectRef === subjectRef);
  }

  async function get(subjectRef: string, id: string): Promise<ConsentRecord | undefined> {
    if (typeof id !== 'string' || id.length === 0) return undefined;
    const record = await store.get(id);
    return record !== undefined && record.subjectRef === subjectRef ? record : undefined;
  }

  async function withdraw(subjectRef: string, id: string): Promise<ConsentRecord | undefined> {
    if (typeof id !== 'string' || id.length === 0) return undefined;
    return lock.run(`consent:${id}`, () => withdrawNow(subjectRef, id));
  }

  async function withdrawNow(subjectRef: string, id: string): Promise<ConsentRecord | undefined> {
    for (let attempt = 0; attempt < WITHDRAW_ATTEMPTS; attempt++) {
      const record = await get(subjectRef, id);
      if (record === undefined) return undefined;
      if (record.events.some((e) => e.type === 'withdrawn')) return record;
      const event = { type: 'withdrawn', at: clock.nowMs(), by: 'citizen' } as const;
      if (await store.appendEvent(id, event, record.events.length)) return get(subjectRef, id);
    }
    throw new GatewayError('ERR_INTERNAL', undefined, {
      cause: new Error('withdraw: the consent kept changing'),
    });
  }

  async function checkForExchange(request: ConsentCheckRequest): Promise<ConsentCheck> {
    const now = clock.nowMs();
    const matches = (r: ConsentRecord): boolean =>
      r.subjectRef === request.subjectRef &&
      r.consumer === request.consumer &&
      r.purpose === request.purpose &&
      r.evidenceTypes.includes(request.evidenceType) &&
      (request.allowSingleUse !== false || !r.singleUse);

    let candidates: ConsentRecord[];
    if (request.consentId !== undefined) {
      const record = await store.get(request.consentId);
      candidates = record !== undefined && matches(record) ? [record] : [];
    } else {
      candidates = (await store.listBySubject(request.subjectRef)).filter(matches);
    }

    const states = candidates.map((consent) => ({ consent, state: consentState(consent, now) }));
    const active = states.filter((s) => s.state === 'active');
    const chosen = active.find((s) => !s.consent.singleUse) ?? active[0];
    if (chosen) return { ok: true, consent: chosen.consent };
    if (states.some((s) => s.state === 'withdrawn')) return { ok: false, code: 'ERR_CONSENT_WITHDRAWN' };
    if (states.some((s) => s.state === 'expired' || s.state === 'used'))
      return { ok: false, code: 'ERR_CONSENT_EXPIRED' };
    return { ok: false, code: 'ERR_CONSENT_MISSING' };
  }

  async function claim(consent: ConsentRecord, exchangeId: string): Promise<boolean> {
    const now = clock.nowMs();
    if (!consent.singleUse) {
      const current = await store.get(consent.id);
      return current !== undefined && consentState(current, now) === 'active';
    }
    if (consentState(consent, now) !== 'active') return false;
    return store.appendEvent(
      consent.id,
      { type: 'used', at: now, by: exchangeId, exchangeId },
      consent.events.length,
    );
  }

  async function guardRelease<T>(
    consentId: string,
    exchangeId: string,
    release: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; code: ErrorCode }> {
    return lock.run(`consent:${consentId}`, async () => {
      const record = await store.get(consentId);
      const code =
        record === undefined ? 'ERR_CONSENT_MISSING' : releaseRefusal(record, exchangeId, clock.nowMs());
      if (code !== undefined) return { ok: false as const, code };
      return { ok: true as const, value: await release() };
    });
  }

  return { give, decline, list, get, withdraw, checkForExchange, claim, guardRelease };
}

/**
 * Why a consent no longer covers the release of an exchange that relied on it, or undefined if it does: withdrawn
 * or declined since, or past its end date. A single-use consent used by this very exchange still covers it.
 */
function releaseRefusal(record: ConsentRecord, exchangeId: string, nowMs: number): ErrorCode | undefined {
  const state = consentState(record, nowMs);
  if (state === 'active') return undefined;
  if (state === 'withdrawn' || state === 'declined') return 'ERR_CONSENT_WITHDRAWN';
  if (state === 'used') {
    const usedBy = record.events.find((e) => e.type === 'used')?.exchangeId;
    if (usedBy !== exchangeId) return 'ERR_CONSENT_EXPIRED';
    const ended = record.events.some((e) => e.type === 'expired');
    return ended || (record.validUntil !== null && nowMs >= record.validUntil)
      ? 'ERR_CONSENT_EXPIRED'
      : undefined;
  }
  return 'ERR_CONSENT_EXPIRED';
}

function validateInput(
  input: GiveConsentInput,
  now: number,
): {
  consumer: string;
  evidenceTypes: string[];
  purpose: string;
  validUntil: number | null;
  singleUse: boolean;
} {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new GatewayError('ERR_SCHEMA', 'the consent must be an object');
  }
  for (const key of Object.keys(input)) {
    if (!INPUT_MEMBERS.has(key)) throw new GatewayError('ERR_SCHEMA', `unknown member '${key.slice(0, 40)}'`);
  }
  const { consumer, evidenceTypes, purpose, validUntil, singleUse } = input as unknown as Partial<
    Record<string, unknown>
  >;
  if (!isParticipantId(consumer))
    throw new GatewayError('ERR_IDENTIFIER', 'consumer is not a participant id');
  if (
    !Array.isArray(evidenceTypes) ||
    evidenceTypes.length === 0 ||
    evidenceTypes.length > MAX_EVIDENCE_TYPES ||
    !evidenceTypes.every(isCode) ||
    new Set(evidenceTypes).size !== evidenceTypes.length
  ) {
    throw new GatewayError(
      'ERR_SCHEMA',
      'evidenceTypes must be a non-empty list of distinct evidence type codes',
    );
  }
  if (!isCode(purpose)) throw new GatewayError('ERR_SCHEMA', 'purpose must be a purpose code');
  if (singleUse !== undefined && typeof singleUse !== 'boolean') {
    throw new GatewayError('ERR_SCHEMA', 'singleUse must be a boolean');
  }
  let until: number | null = null;
  if (validUntil !== undefined) {
    const parsed = parseDateTime(validUntil);
    if (parsed === undefined)
      throw new GatewayError('ERR_SCHEMA', 'validUntil must be an RFC 3339 date-time');
    until = parsed;
    if (until <= now) throw new GatewayError('ERR_SCHEMA', 'validUntil must be in the future');
  }
  return {
    consumer,
    evidenceTypes: [...evidenceTypes],
    purpose,
    validUntil: until,
    singleUse: singleUse ?? false,
  };
}

/** RFC 3339 §5.6 date-time with an explicit offset, calendar-checked (no 30 February), to ms since epoch. */
function parseDateTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  const offset = m[8]!;
  if (offset !== 'Z' && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59))
    return undefined;
  const ms = Date.parse(value);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
