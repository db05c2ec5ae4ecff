/**
 * The application's services, named by role: what the HTTP API and the portal both call. gateway/app/ builds them
 * from the core and the stores' ports; the HTTP layer and the web layer import only these contracts (tests pass
 * fakes).
 * Every method may throw a GatewayError; anything else thrown becomes ERR_INTERNAL with no detail.
 */
import type { JWK } from 'jose';
import type { Registry } from 'prom-client';
import type { ConsentRecord, ErrorCode, TransferFilter, TransferRecord } from '../core/index.js';
import type { ConsentRequestRecord } from '../core/ports.js';
import type { Policy } from '../core/policy/index.js';
import type { AwaitingExchange, ReleasedExchange } from '../core/exchange/index.js';

/** A consent on the wire (openapi.yaml `Consent`). */
export type WireConsent = {
  readonly id: string;
  readonly consumer: string;
  readonly evidenceTypes: readonly string[];
  readonly purpose: string;
  readonly validUntil?: string;
  readonly singleUse: boolean;
  readonly createdAt: string;
  readonly events: readonly {
    readonly type: string;
    readonly at: string;
    readonly by: string;
    readonly exchangeId?: string;
  }[];
  readonly requestId?: string;
  readonly noticeHash?: string;
};

/** The read models (openapi.yaml schemas). Types, not interfaces, so each is also an HTTP answer's JSON object. */

/** A participant as the read models name it: its id, and its display name if the trust store has one. */
export type Party = { readonly id: string; readonly name?: string };

/** A record in the DPO's transfer list (openapi.yaml `Transfer`): the record with its leaf and named parties. */
export type AuditTransfer = Omit<TransferRecord, 'consumer' | 'provider'> & {
  readonly index: number;
  readonly leafHash: string;
  readonly consumer?: Party;
  readonly provider?: Party;
};

/** One exchange's records with leaf, checkpoint and inclusion proofs (openapi.yaml `TransferDetail`). */
export type AuditTransferDetail = {
  readonly exchangeId: string;
  readonly checkpoint: {
    readonly treeSize: number;
    readonly rootHash: string;
    readonly time: string;
    readonly jws: string;
  };
  readonly records: readonly {
    readonly index: number;
    readonly leafHash: string;
    readonly record: TransferRecord | null;
    readonly inclusionProof: readonly string[];
  }[];
};

/** The records of processing (DSGVO Art. 30), one activity per policy. */
export type ProcessingRecords = {
  readonly gateway: string;
  readonly generatedAt: string;
  readonly basis: string;
  readonly activities: readonly {
    readonly policy: { readonly id: string; readonly version: string; readonly hash: string };
    readonly description: string;
    readonly controller: Policy['controller'];
    readonly recipient?: Party;
    readonly recipients: string;
    readonly provider?: Party;
    readonly evidenceType: string;
    readonly purposes: readonly string[];
    readonly legalBasis: string;
    readonly dataCategories: readonly string[];
    readonly dataSubjects?: readonly string[];
    readonly fields: readonly string[];
    readonly retention: string;
    readonly consentRequired: boolean;
    readonly previewRequired: boolean;
  }[];
};

/** A transfer as its citizen sees it (openapi.yaml `MyTransfer`). */
export type CitizenTransfer = {
  readonly exchangeId: string;
  readonly time: string;
  readonly outcome: TransferRecord['outcome'];
  readonly code?: TransferRecord['code'];
  readonly consumer?: Party;
  readonly provider?: Party;
  readonly evidenceType?: string;
  readonly purpose?: string;
  readonly legalBasis?: string;
  readonly procedure?: TransferRecord['procedure'];
  readonly fields?: readonly string[];
  readonly preview?: TransferRecord['preview'];
  readonly logIndex: number;
};

/**
 * A consent request as its citizen sees it (openapi.yaml `MyConsentRequest`). A type, not an interface, so it is
 * also the HTTP layer's wire object (Readonly<Record<string, unknown>>).
 */
export type CitizenConsentRequest = {
  readonly id: string;
  readonly status: ConsentRequestRecord['state'];
  readonly consumer: { readonly id: string; readonly name?: string };
  readonly evidenceTypes: readonly string[];
  readonly purpose: string;
  readonly procedure: ConsentRequestRecord['procedure'];
  readonly notice: ConsentRequestRecord['notice'];
  readonly noticeHash: string;
  readonly returnUrl: string;
  readonly singleUse: boolean;
  readonly consentValidDays?: number;
  readonly createdAt: string;
  readonly respondBy: string;
  readonly decidedAt?: string;
  readonly consentId?: string;
  /** The request's anti-forgery token, while the citizen may still answer. */
  readonly token?: string;
};

/** `ConsentRequestAnswered`. */
export type ConsentRequestAnswered = {
  readonly request: CitizenConsentRequest;
  readonly consent: WireConsent;
  readonly receipt?: string;
  readonly redirectTo: string;
};

/** `ConsentRequestCreated`: the agency's answer to a consent request. */
export type ConsentRequestCreated = {
  readonly id: string;
  readonly status: ConsentRequestRecord['state'];
  readonly approvalUrl: string;
  readonly respondBy: string;
};

/** `ConsentRequestStatus`, for the asking agency. */
export type ConsentRequestStatus = {
  readonly id: string;
  readonly status: ConsentRequestRecord['state'];
  readonly consentId?: string;
  readonly createdAt: string;
  readonly respondBy: string;
  readonly decidedAt?: string;
};

/** The log's signed head (openapi.yaml `Checkpoint`), time as ISO 8601. */
export type CheckpointView = {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly time: string;
  readonly jws: string;
};

/** One leaf: its hash and its record (null once purged). */
export type LeafView = {
  readonly index: number;
  readonly leafHash: string;
  readonly record: TransferRecord | null;
};

export type InclusionProofView = {
  readonly index: number;
  readonly treeSize: number;
  readonly proof: readonly string[];
};

export type ConsistencyProofView = {
  readonly first: number;
  readonly second: number;
  readonly proof: readonly string[];
};

/** DSGVO Art. 15: everything about the citizen as one document. */
export type CitizenExport = {
  readonly generatedAt: string;
  readonly controller?: Party;
  readonly basis: string;
  readonly subject: { readonly idnr: string };
  readonly transfers: readonly CitizenTransfer[];
  readonly [more: string]: unknown;
};

/** What a refusal's rendering needs of the problem document (RFC 9457) the HTTP layer made of it. */
export interface RefusalProblem {
  readonly code: ErrorCode;
  readonly instance: string;
  readonly detail?: string;
}

export type EvidenceMediaType = 'application/jose' | 'application/xml';

export interface EvidenceSubmission {
  /** The request body exactly as received: the signature is verified over these bytes. */
  readonly body: Buffer;
  readonly contentType: EvidenceMediaType;
  /** The HTTP request id, also in the access log line (not an exchange or message id). */
  readonly requestId: string;
  /** The sender's network address (the TCP peer). */
  readonly source: string;
}

/** A poll's answer (openapi.yaml `ExchangeState`): the exchange's last step in the transfer log. */
export interface ExchangeView {
  readonly exchangeId: string;
  readonly status: 'pending' | 'awaiting-citizen' | 'released' | 'refused' | 'withheld';
  readonly evidenceType?: string;
  readonly purpose?: string;
  /** ISO 8601 UTC of the last record. */
  readonly time: string;
  /** With `released`: the provider's signed evidence, unchanged (after a preview only while collectable). */
  readonly evidence?: string;
  readonly receipt?: string;
  /** With `refused` and `withheld`. */
  readonly code?: string;
}

export interface ExchangeService {
  /**
   * Runs one evidence request (PROTOCOL.md §1). 200 with `{ exchangeId, status: 'released', evidence, receipt }`
   * or 202 with `{ exchangeId, status: 'awaiting-citizen' }`; a refusal throws GatewayError.
   */
  submit(
    submission: EvidenceSubmission,
  ): Promise<
    | { readonly status: 200; readonly body: ReleasedExchange }
    | { readonly status: 202; readonly body: AwaitingExchange }
  >;
  /** The exchange as its consumer sees it (PROTOCOL.md §1c), or undefined if unknown or another agency's. */
  get(query: { readonly exchangeId: string; readonly agency: string }): Promise<ExchangeView | undefined>;
  /**
   * The refusal of an XÖV submission as a signed `rueckweisung` to its (claimed) sender (docs/xoev.md), given
   * what `submit` threw and the problem document; undefined if the sender is unknown (problem+json then).
   */
  renderRefusal?(
    thrown: unknown,
    problem: RefusalProblem,
  ): { readonly contentType: string; readonly text: string } | undefined;
}

/** A consent as the citizen asks for it (PROTOCOL.md §3); the citizen is the authenticated subject. */
export interface ConsentRequest {
  readonly consumer: string;
  readonly evidenceTypes: readonly string[];
  readonly purpose: string;
  /** ms since epoch; absent for no end */
  readonly validUntil?: number;
  readonly singleUse: boolean;
}

export interface ConsentService {
  /** All consents of this citizen, newest first. */
  list(subjectIdnr: string): Promise<readonly ConsentRecord[]>;
  /** Records a consent and returns it with the gateway's signed receipt (compact JWS). */
  give(
    subjectIdnr: string,
    request: ConsentRequest,
  ): Promise<{ readonly consent: ConsentRecord; readonly receipt: string }>;
  /**
   * Appends a `withdrawn` event and returns the consent with the gateway's signed receipt of the withdrawal;
   * undefined if no such consent exists for THIS citizen (unknown and someone else's must be indistinguishable).
   */
  withdraw(
    subjectIdnr: string,
    id: string,
  ): Promise<{ readonly consent: ConsentRecord; readonly receipt: string } | undefined>;
}

/**
 * Consent requests (explicit request, docs/citizen.md). Answers are wire objects (openapi.yaml schemas named per
 * method); every method may throw GatewayError.
 */
export interface ConsentRequestService {
  /** An agency's signed request (compact JWS bytes) → `ConsentRequestCreated`. */
  submit(body: Buffer): Promise<ConsentRequestCreated>;
  /** `ConsentRequestStatus` for the asking agency; undefined if unknown or another agency's. */
  status(agency: string, id: string): Promise<ConsentRequestStatus | undefined>;
  /** The citizen's requests (`MyConsentRequest`), newest first. */
  listMine(subjectIdnr: string): Promise<readonly CitizenConsentRequest[]>;
  getMine(subjectIdnr: string, id: string): Promise<CitizenConsentRequest | undefined>;
  /** `ConsentRequestAnswered`. */
  answer(
    subjectIdnr: string,
    id: string,
    decision: 'approve' | 'decline',
    token: string,
  ): Promise<ConsentRequestAnswered>;
}

/** Evidence held for the citizen's preview (PROTOCOL.md §3), as the citizen sees it. Times in ms since epoch. */
export interface PreviewItem {
  readonly exchangeId: string;
  readonly state: 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
  readonly consumer: { readonly id: string; readonly name?: string };
  readonly provider: { readonly id: string; readonly name?: string };
  readonly evidenceType: string;
  readonly purpose: string;
  readonly legalBasis: string;
  readonly procedure: { readonly reference: string; readonly service?: string };
  readonly heldAt: number;
  readonly decideBy: number;
  readonly decidedAt?: number;
  /** While pending: exactly what would be released. */
  readonly fields?: readonly string[];
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface PreviewService {
  /** This citizen's previews, newest first. */
  list(subjectIdnr: string): Promise<readonly PreviewItem[]>;
  /**
   * The citizen's decision. Throws GatewayError ERR_NOT_FOUND (unknown or another citizen's), ERR_CONFLICT
   * (already decided, expired or cancelled), ERR_LOG_UNAVAILABLE.
   */
  decide(subjectIdnr: string, exchangeId: string, decision: 'approve' | 'reject'): Promise<PreviewItem>;
}

/** The names of the DPO's transfer filters (PROTOCOL.md §4), as query parameters of the API and the portal. */
export const TRANSFER_FILTERS = [
  'from',
  'to',
  'consumer',
  'provider',
  'evidenceType',
  'purpose',
  'outcome',
  'subject',
] as const;

/** The DPO's transfer filters (PROTOCOL.md §4), already validated against the OpenAPI document. */
export interface TransferQuery extends Pick<
  TransferFilter,
  'from' | 'to' | 'consumer' | 'provider' | 'evidenceType' | 'purpose'
> {
  readonly outcome?: string;
  /** An IDNr, matched through the keyed hash. */
  readonly subject?: string;
  readonly cursor?: string;
  readonly limit?: number;
}

/** What a DPO token allows: all participants, or only these. */
export interface DpoScope {
  readonly participants?: readonly string[];
}

/** DPO and auditor reads of the transfer log (PROTOCOL.md §4). Answers are wire objects; may throw GatewayError. */
export interface AuditService {
  list(
    query: TransferQuery,
    scope: DpoScope,
  ): Promise<{ readonly transfers: readonly AuditTransfer[]; readonly next?: string }>;
  /** One exchange's records with leaf, checkpoint and inclusion proofs; undefined if unknown or not visible. */
  get(exchangeId: string, scope: DpoScope): Promise<AuditTransferDetail | undefined>;
  /** The filtered records as CSV rows or JSON lines, produced page by page. */
  export(query: TransferQuery, scope: DpoScope, format: 'csv' | 'jsonl'): AsyncIterable<string>;
  checkpoint(): Promise<CheckpointView>;
  leaf(index: number, scope: DpoScope): Promise<LeafView | undefined>;
  inclusion(index: number, treeSize: number): Promise<InclusionProofView>;
  consistency(first: number, second: number): Promise<ConsistencyProofView>;
  /** Records of processing (DSGVO Art. 30) from the policies. */
  processing(): ProcessingRecords;
}

/** The citizen's view of the log (PROTOCOL.md §3). */
export interface CitizenAccessService {
  transfers(subjectIdnr: string): Promise<readonly CitizenTransfer[]>;
  /** DSGVO Art. 15: everything about the citizen as one document. */
  export(subjectIdnr: string): Promise<CitizenExport>;
}

/** Bearer checks per audience. Each throws GatewayError ERR_AUTH (no or bad token) or ERR_FORBIDDEN (wrong role). */
export interface Authenticator {
  /** An OIDC token naming a citizen (claim `idnr` or `sub`). */
  citizen(bearer: string): Promise<{ readonly idnr: string }>;
  /** An OIDC token with role `dpo`, optionally limited to participant ids. */
  dpo(bearer: string): Promise<{ readonly participants?: readonly string[] }>;
  /** An `agency-auth+jwt` signed by a registered agency's own key. */
  agency(bearer: string): Promise<{ readonly agency: string }>;
}

export interface HealthService {
  /** Stores reachable, keys loaded; `checks` names each check (no details: /readyz is public). */
  ready(): Promise<{ readonly ok: boolean; readonly checks: Readonly<Record<string, boolean>> }>;
}

export interface HttpServices {
  readonly exchange: ExchangeService;
  readonly consents: ConsentService;
  readonly previews: PreviewService;
  readonly consentRequests: ConsentRequestService;
  readonly audit: AuditService;
  readonly citizenAccess: CitizenAccessService;
  readonly auth: Authenticator;
  readonly health: HealthService;
  /** The gateway's public signing keys (current and, during rotation, previous). */
  readonly jwks: () => { readonly keys: readonly JWK[] };
  /** Where /metrics reads from; other parts register their metrics on it. A fresh registry if absent. */
  readonly metrics?: Registry;
}
