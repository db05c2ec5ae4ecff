/**
 * Consent requests — the explicit request of the EU Once-Only Technical System and § 5 EGovG: an agency asks a
 * citizen, in a signed message, for consent to fetch named evidence for one purpose and procedure; the citizen
 * reads the agency's notice and approves or declines after logging in; the agency learns the result through the
 * return redirect, a status call and (if registered) a callback. States follow Estonia's consent service:
 * requested → approved | declined | expired.
 *
 * The citizen's answer carries an anti-forgery token the gateway issued with the request it showed: an HMAC over
 * the request id, the citizen and the notice hash, valid for a short time. So an answer is refused unless it comes
 * from the citizen the request names, for exactly the notice that citizen was shown, recently.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';
import { GatewayError } from '../errors.js';
import type { KeyedLock } from '../ports.js';
import type {
  Clock,
  ConsentRecord,
  ConsentRequestRecord,
  ConsentRequestStore,
  TrustStore,
} from '../ports.js';
import type { ConsentService } from './create-consent-service.js';

export const CONSENT_REQUEST_TYP = 'consent-request+jwt';

/** schemas/consent-request.claims.schema.json, after the envelope checks. */
export interface ConsentRequestClaims {
  readonly iss: string;
  readonly jti: string;
  readonly subject: { readonly idnr: string };
  readonly evidenceTypes: readonly string[];
  readonly purpose: string;
  readonly procedure: { readonly reference: string; readonly service?: string };
  readonly notice: { readonly de: string; readonly en?: string };
  readonly returnUrl: string;
  readonly singleUse?: boolean;
  readonly consentValidDays?: number;
  readonly respondWithinHours?: number;
}

export interface ConsentRequestServiceDeps {
  readonly store: ConsentRequestStore;
  readonly consents: Pick<ConsentService, 'give' | 'decline'>;
  readonly trust: Pick<TrustStore, 'participant'>;
  readonly clock: Clock;
  readonly newId: () => string;
  /** True if a policy lets this consumer get this evidence type for this purpose. */
  readonly permits: (consumer: string, evidenceType: string, purpose: string) => boolean;
  /** Secret for the anti-forgery tokens (≥ 32 bytes). */
  readonly tokenKey: Uint8Array;
  readonly lock: KeyedLock;
  /** How long an anti-forgery token is valid (ms); default 30 minutes. */
  readonly tokenTtlMs?: number;
  readonly onFinished?: (record: ConsentRequestRecord) => void;
}

/** The outcome of the citizen's answer: where to send the citizen back, and the consent if one was given. */
export interface ConsentRequestAnswer {
  readonly request: ConsentRequestRecord;
  readonly consent: ConsentRecord;
  readonly redirectTo: string;
}

export interface ConsentRequestService {
  /**
   * Registers a verified request for the citizen `subjectRef`. Throws ERR_FORBIDDEN (return URL not registered
   * for the agency), ERR_POLICY_DENIED (no policy permits an evidence type for the purpose).
   */
  create(claims: ConsentRequestClaims, subjectRef: string): Promise<ConsentRequestRecord>;
  /** The request as its agency sees it; undefined if unknown or another agency's. */
  forAgency(agency: string, id: string): Promise<ConsentRequestRecord | undefined>;
  /** The request with a fresh anti-forgery token, if it names this citizen; undefined otherwise. */
  forCitizen(
    subjectRef: string,
    id: string,
  ): Promise<{ request: ConsentRequestRecord; token?: string } | undefined>;
  /** This citizen's requests, newest first, open ones with a token. */
  listForCitizen(subjectRef: string): Promise<{ request: ConsentRequestRecord; token?: string }[]>;
  /**
   * The citizen's answer. Throws ERR_NOT_FOUND (unknown or another citizen's), ERR_FORBIDDEN (token forged,
   * stale or for another notice), ERR_CONFLICT (already answered or expired).
   */
  answer(
    subjectRef: string,
    id: string,
    decision: 'approve' | 'decline',
    token: string,
  ): Promise<ConsentRequestAnswer>;
}

const DEFAULT_RESPOND_HOURS = 72;
const DAY_MS = 86_400_000;

/** base64url SHA-256 of the notice's canonical JSON: what the consent record keeps of the text shown. */
export function noticeHash(notice: { readonly de: string; readonly en?: string }): string {
  return createHash('sha256').update(canonicalJson(notice)).digest('base64url');
}

/** Builds the consent-request service. Spec: § 5 Abs. 2 EGovG, EU OOTS explicit request, ISO/IEC TS 27560. */
export function createConsentRequestService(deps: ConsentRequestServiceDeps): ConsentRequestService {
  const { store, clock } = deps;
  if (deps.tokenKey.length < 32) throw new TypeError('tokenKey: at least 32 bytes');
  const ttl = deps.tokenTtlMs ?? 30 * 60_000;

  function mac(record: ConsentRequestRecord, subjectRef: string, until: number): Buffer {
    return createHmac('sha256', deps.tokenKey)
      .update(`consent-request-token/1|${record.id}|${subjectRef}|${record.noticeHash}|${until}`)
      .digest();
  }

  function issueToken(record: ConsentRequestRecord, subjectRef: string): string {
    const until = Math.floor((clock.nowMs() + ttl) / 1000);
    return `${until}.${mac(record, subjectRef, until).toString('base64url')}`;
  }

  function tokenValid(record: ConsentRequestRecord, subjectRef: string, token: unknown): boolean {
    if (typeof token !== 'string' || token.length > 128) return false;
    const m = /^([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return false;
    const until = Number(m[1]);
    const expected = mac(record, subjectRef, until);
    const given = Buffer.from(m[2]!, 'base64url');
    return (
      given.length === expected.length && timingSafeEqual(given, expected) && clock.nowMs() < until * 1000
    );
  }

  /** Expires an unanswered request past its deadline (lazily, when it is looked at). */
  async function current(id: string): Promise<ConsentRequestRecord | undefined> {
    const record = await store.get(id);
    if (record?.state === 'requested' && clock.nowMs() >= record.respondBy) {
      if (await store.decide(id, 'expired', clock.nowMs())) {
        const expired = await store.get(id);
        if (expired) deps.onFinished?.(expired);
        return expired;
      }
      return store.get(id);
    }
    return record;
  }

  async function create(claims: ConsentRequestClaims, subjectRef: string): Promise<ConsentRequestRecord> {
    const agency = deps.trust.participant(claims.iss);
    if (!agency?.returnUrls?.includes(claims.returnUrl)) {
      throw new GatewayError('ERR_FORBIDDEN', 'the return URL is not registered for this agency');
    }
    for (const evidenceType of claims.evidenceTypes) {
      if (!deps.permits(claims.iss, evidenceType, claims.purpose)) {
        throw new GatewayError('ERR_POLICY_DENIED', `no policy permits ${evidenceType} for this purpose`);
      }
    }
    const now = clock.nowMs();
    const record: ConsentRequestRecord = {
      id: deps.newId(),
      consumer: claims.iss,
      subjectRef,
      evidenceTypes: [...claims.evidenceTypes],
      purpose: claims.purpose,
      procedure: { ...claims.procedure },
      notice: { ...claims.notice },
      noticeHash: noticeHash(claims.notice),
      returnUrl: claims.returnUrl,
      singleUse: claims.singleUse ?? false,
      consentValidDays: claims.consentValidDays ?? null,
      createdAt: now,
      respondBy: now + (claims.respondWithinHours ?? DEFAULT_RESPOND_HOURS) * 3_600_000,
      state: 'requested',
    };
    await store.create(record);
    return record;
  }

  async function forAgency(agency: string, id: string) {
    const record = await current(id);
    return record?.consumer === agency ? record : undefined;
  }

  async function forCitizen(subjectRef: string, id: string) {
    const record = await current(id);
    if (record === undefined || record.subjectRef !== subjectRef) return undefined;
    return record.state === 'requested'
      ? { request: record, token: issueToken(record, subjectRef) }
      : { request: record };
  }

  async function listForCitizen(subjectRef: string) {
    const out: { request: ConsentRequestRecord; token?: string }[] = [];
    for (const listed of await store.listBySubject(subjectRef)) {
      const view = await forCitizen(subjectRef, listed.id);
      if (view) out.push(view);
    }
    return out;
  }

  function redirectOf(record: ConsentRequestRecord): string {
    const url = new URL(record.returnUrl);
    url.searchParams.set('consentRequest', record.id);
    url.searchParams.set('status', record.state);
    if (record.state === 'approved' && record.consentId) url.searchParams.set('consentId', record.consentId);
    return url.toString();
  }

  async function answer(
    subjectRef: string,
    id: string,
    decision: 'approve' | 'decline',
    token: string,
  ): Promise<ConsentRequestAnswer> {
    if (decision !== 'approve' && decision !== 'decline') {
      throw new GatewayError('ERR_SCHEMA', "decision must be 'approve' or 'decline'");
    }
    return deps.lock.run(`consent-request:${id}`, async () => {
      const record = await current(id);
      if (record === undefined || record.subjectRef !== subjectRef) {
        throw new GatewayError('ERR_NOT_FOUND', 'no such consent request');
      }
      if (!tokenValid(record, subjectRef, token)) {
        throw new GatewayError('ERR_FORBIDDEN', 'the anti-forgery token is missing, forged or stale');
      }
      if (record.state !== 'requested') {
        throw new GatewayError('ERR_CONFLICT', `this consent request is ${record.state}`);
      }
      const now = clock.nowMs();
      const input = {
        consumer: record.consumer,
        evidenceTypes: record.evidenceTypes,
        purpose: record.purpose,
        singleUse: record.singleUse,
        ...(record.consentValidDays === null
          ? {}
          : { validUntil: new Date(now + record.consentValidDays * DAY_MS).toISOString() }),
      };
      const origin = { requestId: record.id, noticeHash: record.noticeHash };
      const consent =
        decision === 'approve'
          ? await deps.consents.give(subjectRef, input, origin)
          : await deps.consents.decline(subjectRef, input, origin);
      const state = decision === 'approve' ? 'approved' : 'declined';
      if (!(await store.decide(id, state, now, consent.id))) {
        throw new GatewayError('ERR_CONFLICT', 'this consent request was answered meanwhile');
      }
      const decided = (await store.get(id))!;
      deps.onFinished?.(decided);
      return { request: decided, consent, redirectTo: redirectOf(decided) };
    });
  }

  return { create, forAgency, forCitizen, listForCitizen, answer };
}
