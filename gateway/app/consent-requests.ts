/**
 * Composition of the citizen's consent features for gateway/main.ts: consent requests (explicit request), the
 * signed consent receipts of every consent and withdrawal, and their wire forms for the HTTP layer. Kept beside
 * main.ts so the composition root stays readable; it builds nothing main.ts does not hand it.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { GatewayError } from '../core/errors.js';
import type { KeyedLock } from '../core/ports.js';
import type { ConsentRecord, ConsentRequestRecord, ReplayStore, Signer, TrustStore } from '../core/ports.js';
import {
  CONSENT_REQUEST_TYP,
  createConsentRequestService,
  signConsentReceipt,
  type ConsentRequestClaims,
  type createConsentService,
  type ReceiptPurpose,
} from '../core/consent/index.js';
import { createConsumerMessageVerifier } from '../core/envelope/verify-evidence-request.js';
import type { Policy } from '../core/policy/index.js';
import type { ConsentRequestStore, Clock } from '../core/ports.js';
import consentRequestSchema from '../../schemas/consent-request.claims.schema.json' with { type: 'json' };
import { toWireConsent } from './wire.js';
import type { CitizenConsentRequest, ConsentRequestService } from './contracts.js';

type Consents = ReturnType<typeof createConsentService>;

export interface ConsentCompositionDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly trust: TrustStore;
  readonly policies: readonly Policy[];
  readonly signer: Signer;
  readonly consents: Consents;
  readonly replay: ReplayStore;
  readonly store: ConsentRequestStore;
  readonly subjectRef: (idnr: string) => string;
  readonly tokenKey: Uint8Array;
  readonly lock: KeyedLock;
  /** The base URL citizens reach the gateway's portal under. */
  readonly publicUrl: () => string;
  readonly onRequestFinished?: (record: ConsentRequestRecord) => void;
}

/** Policies that let `consumer` get `evidenceType` for `purpose`. */
function policiesFor(policies: readonly Policy[], consumer: string, evidenceType: string, purpose: string) {
  return policies.filter(
    (p) => p.consumer === consumer && p.evidenceType === evidenceType && p.purposes.includes(purpose),
  );
}

export function composeConsents(deps: ConsentCompositionDeps) {
  const { config, trust, policies, signer, consents, clock } = deps;
  const named = (id: string) => {
    const name = trust.participant(id)?.name;
    return name === undefined ? { id } : { id, name };
  };
  const iso = (ms: number) => new Date(ms).toISOString();

  /** The gateway's signed receipt of the consent's latest event (given, declined or withdrawn). */
  function receiptOf(consent: ConsentRecord): Promise<string> {
    const purposes: ReceiptPurpose[] = consent.evidenceTypes.flatMap((evidenceType) =>
      policiesFor(policies, consent.consumer, evidenceType, consent.purpose).map((p) => ({
        evidenceType,
        legalBasis: p.legalBasis,
        dataCategories: [...p.dataCategories],
        provider: named(p.provider),
      })),
    );
    const policy = policies.find((p) => p.consumer === consent.consumer);
    const consumer = named(consent.consumer);
    return signConsentReceipt(signer, consent, {
      gatewayId: config.gatewayId,
      controller: policy ? { ...consumer, contact: policy.controller.contact } : consumer,
      purposes,
      withdraw: {
        api: `POST /v1/me/consents/${consent.id}/withdraw`,
        portal: `${deps.publicUrl()}/portal/consents`,
      },
      receiptId: randomUUID(),
      issuedAt: clock.nowMs(),
    });
  }

  const requests = createConsentRequestService({
    store: deps.store,
    consents,
    trust,
    clock,
    newId: randomUUID,
    permits: (consumer, evidenceType, purpose) =>
      policiesFor(policies, consumer, evidenceType, purpose).some((p) => p.consent.required),
    tokenKey: deps.tokenKey,
    lock: deps.lock,
    onFinished: deps.onRequestFinished,
  });
  const verify = createConsumerMessageVerifier<ConsentRequestClaims>(
    {
      trust,
      clock,
      gatewayId: config.gatewayId,
      algorithms: [...config.jwsAlgs],
      maxAgeSeconds: config.maxAgeS,
      skewSeconds: config.skewS,
    },
    CONSENT_REQUEST_TYP,
    consentRequestSchema,
  );

  function citizenView(record: ConsentRequestRecord, token?: string): CitizenConsentRequest {
    return {
      id: record.id,
      status: record.state,
      consumer: named(record.consumer),
      evidenceTypes: [...record.evidenceTypes],
      purpose: record.purpose,
      procedure: { ...record.procedure },
      notice: { ...record.notice },
      noticeHash: record.noticeHash,
      returnUrl: record.returnUrl,
      singleUse: record.singleUse,
      ...(record.consentValidDays === null ? {} : { consentValidDays: record.consentValidDays }),
      createdAt: iso(record.createdAt),
      respondBy: iso(record.respondBy),
      ...(record.decidedAt === undefined ? {} : { decidedAt: iso(record.decidedAt) }),
      ...(record.consentId === undefined || record.state !== 'approved'
        ? {}
        : { consentId: record.consentId }),
      ...(token === undefined ? {} : { token }),
    };
  }

  const http: ConsentRequestService = {
    async submit(body) {
      const { claims, replayUntilMs } = await verify(body.toString('utf8'));
      if (!(await deps.replay.remember(claims.iss, claims.jti, replayUntilMs))) {
        throw new GatewayError('ERR_REPLAY', 'this message id was already used by this sender');
      }
      const record = await requests.create(claims, deps.subjectRef(claims.subject.idnr));
      return {
        id: record.id,
        status: record.state,
        approvalUrl: `${deps.publicUrl()}/portal/consent-requests/${record.id}`,
        respondBy: iso(record.respondBy),
      };
    },
    async status(agency, id) {
      const record = await requests.forAgency(agency, id);
      if (record === undefined) return undefined;
      return {
        id: record.id,
        status: record.state,
        ...(record.state === 'approved' && record.consentId ? { consentId: record.consentId } : {}),
        createdAt: iso(record.createdAt),
        respondBy: iso(record.respondBy),
        ...(record.decidedAt === undefined ? {} : { decidedAt: iso(record.decidedAt) }),
      };
    },
    async listMine(idnr) {
      return (await requests.listForCitizen(deps.subjectRef(idnr))).map((v) =>
        citizenView(v.request, v.token),
      );
    },
    async getMine(idnr, id) {
      const view = await requests.forCitizen(deps.subjectRef(idnr), id);
      return view === undefined ? undefined : citizenView(view.request, view.token);
    },
    async answer(idnr, id, decision, token) {
      const answered = await requests.answer(deps.subjectRef(idnr), id, decision, token);
      return {
        request: citizenView(answered.request),
        consent: toWireConsent(answered.consent),
        ...(decision === 'approve' ? { receipt: await receiptOf(answered.consent) } : {}),
        redirectTo: answered.redirectTo,
      };
    },
  };

  return { requests, http, receiptOf };
}
