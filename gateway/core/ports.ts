/**
 * Ports: what the core needs from the outside world, named by role (STYLE.md). Adapters in gateway/adapters and
 * connectors/ implement them; the composition root (gateway/main.ts) wires them. Every store method is async so
 * that SQLite and PostgreSQL adapters fit the same port; a resolved promise from a writing method means the
 * write is durable.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { ErrorCode } from './errors.js';

/** Time comes through a Clock so the core never reads the system time itself. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

// ---------------------------------------------------------------------------------------------------------
// Trust

export type Role = 'consumer' | 'provider' | 'gateway';

/** How the gateway reaches a provider: the connector kind and its address. */
export interface Endpoint {
  readonly kind: 'http-json' | 'http-xoev';
  readonly url: string;
}

export interface Participant {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly Role[];
  /** For providers: the evidence types they hold. */
  readonly evidenceTypes: readonly string[];
  readonly endpoint?: Endpoint;
  /** Return URLs this agency may use (consent requests, issue 5). */
  readonly returnUrls?: readonly string[];
  /**
   * For consumers: where the gateway says "done" when an exchange or consent request of theirs finishes
   * (docs/callbacks.md). https, or http to localhost/127.0.0.1/[::1] (then only called in demo mode).
   */
  readonly callbackUrl?: string;
}

/** A participant's key as the trust store resolved it: chain, validity and revocation already checked. */
export interface ResolvedKey {
  /** base64url SHA-256 of the certificate's DER (`x5t#S256`). */
  readonly kid: string;
  readonly participantId: string;
  readonly publicKey: KeyObject;
  readonly certificate: X509Certificate;
}

export interface TrustStore {
  /** The registered participant, or undefined. */
  participant(id: string): Participant | undefined;
  participants(): readonly Participant[];
  /**
   * The key with this kid, valid now. Throws GatewayError ERR_TRUST_UNKNOWN_SENDER if no participant holds it,
   * ERR_TRUST_CERT if its certificate is expired, not yet valid, revoked or not chained to an anchor.
   */
  keyByKid(kid: string): ResolvedKey;
  /** All currently valid keys of a participant (several during rotation); empty if none. */
  keysOf(participantId: string): readonly ResolvedKey[];
  /** The provider registered for an evidence type, if exactly one is. */
  providerFor(evidenceType: string): Participant | undefined;
}

/**
 * The capability to sign for one participant (the gateway, or a demo participant in tests and the CLI): it names
 * its key and signs bytes, and never hands out private key material (issue 12). The local implementation is
 * gateway/adapters/keys/local-signer.ts; an HSM or KMS could implement the same port.
 *
 * Signature encoding: `sign` returns exactly the JWS signature bytes for `alg` over `data` (RFC 7518 §3):
 * - ES256: ECDSA P-256 / SHA-256 as r ‖ s, 64 bytes (IEEE P1363, RFC 7518 §3.4), never DER;
 * - PS256: RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 7518 §3.5);
 * - EdDSA: Ed25519, 64 bytes (RFC 8037 §3.1).
 * These are also the XMLDSig SignatureValue bytes of the algorithm the signer writes (xmlAlgorithmOf):
 * ecdsa-sha256 is r ‖ s as well (XMLDSig 1.1 §6.4.3), sha256-rsa-MGF1 is the same PSS (RFC 6931 §2.3.10).
 */
export interface Signer {
  readonly participantId: string;
  readonly kid: string;
  readonly alg: 'ES256' | 'PS256' | 'EdDSA';
  readonly certificate: X509Certificate;
  /** The public half of the signing key (the certificate's key): what verifies the signatures. */
  readonly publicKey: KeyObject;
  /** Signs `data` under `alg`; resolves to the signature bytes in the encoding above. */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /**
   * The same signature, synchronously. Optional, and used only for XMLDSig (signXoev): xml-crypto's signing
   * runs synchronously there, and signXoev with its callers (the XÖV message builders, the forwarder, the CLI
   * and main.ts) is synchronous today. A signer that can only sign asynchronously (a remote HSM) leaves it out
   * and can then sign JWS but not XÖV; making signXoev async (xml-crypto's callback form) would lift that.
   */
  readonly signSync?: (data: Uint8Array) => Uint8Array;
}

// ---------------------------------------------------------------------------------------------------------
// Replay

export interface ReplayStore {
  /**
   * Durably records (issuer, messageId). Resolves true the first time, false if it was recorded before (also
   * concurrently: of 50 simultaneous calls exactly one resolves true). `expiresAtMs` lets old entries be pruned
   * once a message with that id could no longer pass the freshness check anyway.
   */
  remember(issuer: string, messageId: string, expiresAtMs: number): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------------------
// Policy

export interface PolicyRef {
  readonly id: string;
  readonly version: string;
  /** base64url SHA-256 of the policy's canonical JSON. */
  readonly hash: string;
}

// ---------------------------------------------------------------------------------------------------------
// Consent (PROTOCOL.md §3; ISO/IEC TS 27560: a record header plus append-only events)

export type ConsentEventType = 'given' | 'used' | 'withdrawn' | 'expired' | 'declined';

export interface ConsentEvent {
  readonly type: ConsentEventType;
  /** ms since epoch */
  readonly at: number;
  /** Who caused it: 'citizen', 'gateway', or an exchange id for 'used'. */
  readonly by: string;
  readonly exchangeId?: string;
}

export interface ConsentRecord {
  readonly id: string;
  /** Keyed hash of the citizen's IDNr (the raw IDNr is never stored). */
  readonly subjectRef: string;
  readonly consumer: string;
  readonly evidenceTypes: readonly string[];
  readonly purpose: string;
  /** ms since epoch, or null for no end. */
  readonly validUntil: number | null;
  readonly singleUse: boolean;
  readonly createdAt: number;
  readonly events: readonly ConsentEvent[];
  /** Given through a consent request: its id, and base64url SHA-256 of the exact notice the citizen saw. */
  readonly requestId?: string;
  readonly noticeHash?: string;
}

export interface ConsentStore {
  /** Stores a new consent with its 'given' event. */
  create(record: ConsentRecord): Promise<void>;
  /** The consent, or undefined. Callers check subjectRef themselves. */
  get(id: string): Promise<ConsentRecord | undefined>;
  /** All consents of one citizen, newest first. */
  listBySubject(subjectRef: string): Promise<ConsentRecord[]>;
  /**
   * Appends an event if the consent's last event still is `expectedLast` (compare-and-set, so two exchanges
   * cannot both use a single-use consent). Resolves false if the consent changed in between.
   */
  appendEvent(id: string, event: ConsentEvent, expectedLastCount: number): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------------------
// Consent requests (explicit request: an agency asks, the citizen approves or declines; issue 5)

export type ConsentRequestState = 'requested' | 'approved' | 'declined' | 'expired';

export interface ConsentRequestRecord {
  readonly id: string;
  readonly consumer: string;
  /** Keyed hash of the citizen's IDNr: only this citizen can see and answer the request. */
  readonly subjectRef: string;
  readonly evidenceTypes: readonly string[];
  readonly purpose: string;
  readonly procedure: { readonly reference: string; readonly service?: string };
  readonly notice: { readonly de: string; readonly en?: string };
  /** base64url SHA-256 of the canonical JSON of `notice`. */
  readonly noticeHash: string;
  readonly returnUrl: string;
  readonly singleUse: boolean;
  /** How long the consent holds once given (days); null: until withdrawn. */
  readonly consentValidDays: number | null;
  /** ms since epoch */
  readonly createdAt: number;
  /** The citizen must answer before this (ms since epoch). */
  readonly respondBy: number;
  readonly state: ConsentRequestState;
  readonly decidedAt?: number;
  readonly consentId?: string;
}

export interface ConsentRequestStore {
  create(record: ConsentRequestRecord): Promise<void>;
  get(id: string): Promise<ConsentRequestRecord | undefined>;
  /** One citizen's requests, newest first. */
  listBySubject(subjectRef: string): Promise<ConsentRequestRecord[]>;
  /** Compare-and-set from 'requested'; false if it was no longer requested. */
  decide(
    id: string,
    state: Exclude<ConsentRequestState, 'requested'>,
    at: number,
    consentId?: string,
  ): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------------------
// Web sessions (the portal's server-side sessions and logins in progress)

/** A stored session. The store holds only a hash of the cookie's session id, never the id itself. */
export interface WebSessionRecord {
  readonly idHash: string;
  /** What the web layer keeps about the session (JSON); opaque to the store. */
  readonly data: string;
  /** ms since epoch */
  readonly createdAt: number;
  /** ms since epoch of the last request seen (idle timeout) */
  readonly lastSeenAt: number;
  /** ms since epoch: the absolute end, whatever the use */
  readonly expiresAt: number;
}

export interface WebSessionStore {
  create(record: WebSessionRecord): Promise<void>;
  get(idHash: string): Promise<WebSessionRecord | undefined>;
  /** Moves lastSeenAt forward. */
  touch(idHash: string, lastSeenAt: number): Promise<void>;
  /** Deletes the session; true if it existed (so a login in progress is consumed exactly once). */
  delete(idHash: string): Promise<boolean>;
  /** Deletes sessions past their absolute end or idle since before `idleBefore`; returns how many. */
  purge(nowMs: number, idleBefore: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------------
// Transfer log (DESIGN.md "Transfer log record"; RFC 9162 §2.1 hashing)

/**
 * 'refused' carries the code, whose catalogue entry says whose fault it was (a provider failure is ERR_PROVIDER_*).
 * 'awaiting-citizen': the provider's evidence is verified and held, encrypted, for the citizen's preview;
 * 'withheld': the citizen rejected it, the preview timed out, or the consent was withdrawn meanwhile (code says
 * which) — the held evidence is destroyed.
 * 'retention-extended' is not a transfer: it records that the exchange's records are kept until its
 * `retentionUntil`, for its `reason` (DESIGN.md "Retention"; `oog log retain`).
 * 'purged' is not a transfer either: a purge logs which leaves it erased (`purged`), under an exchange id of its
 * own and with no subject or retention end, so it is never purged itself (verify-purges.ts).
 */
export type TransferOutcome =
  'intent' | 'awaiting-citizen' | 'released' | 'refused' | 'withheld' | 'retention-extended' | 'purged';

/** What a 'purged' record says it erased, in the write transaction that erased it. */
export interface PurgedLeaves {
  /** The erased leaves as [first index, count] ranges: sorted, disjoint, all before the purge record. */
  readonly leaves: readonly (readonly [first: number, count: number])[];
  /**
   * The latest `retentionUntil` of the erased records, as they stated it; not after the purge record's `time`.
   * Absent only in the record of the erasures a store held when it began to log purges (verify-purges.ts).
   */
  readonly retainedUntil?: string;
}

/** One transfer log record. Serialised as canonical JSON (sorted keys); its bytes are the Merkle leaf input. */
export interface TransferRecord {
  readonly v: 1;
  /** ISO 8601 UTC with milliseconds. */
  readonly time: string;
  readonly exchangeId: string;
  readonly outcome: TransferOutcome;
  readonly code?: ErrorCode;
  /** The consumer's message id (jti / nachrichtenUUID). */
  readonly messageId?: string;
  /** Claimed consumer; `authenticated` says whether its signature was verified. */
  readonly consumer?: string;
  readonly authenticated: boolean;
  readonly provider?: string;
  readonly evidenceType?: string;
  readonly purpose?: string;
  readonly legalBasis?: string;
  readonly procedure?: { readonly reference: string; readonly service?: string };
  readonly actor?: string;
  /** Keyed hash of the IDNr; the IDNr itself is never logged. */
  readonly subjectRef?: string;
  /** True if an IDNr was used to find the evidence (§ 9 IDNrG). */
  readonly idnrUsed?: boolean;
  readonly consentId?: string;
  readonly policy?: PolicyRef;
  readonly fields?: readonly string[];
  /** base64url SHA-256 of the evidence as released. */
  readonly evidenceDigest?: string;
  readonly format?: 'json' | 'xoev';
  readonly preview?: 'not-required' | 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
  /** ISO date after which the record content may be purged (leaf hash stays). */
  readonly retentionUntil?: string;
  /**
   * Why the retention was extended (outcome 'retention-extended'); in the one purge record of the erasures a store
   * held when it began to log purges, that they were erased before.
   */
  readonly reason?: string;
  /** Which leaves a purge erased (outcome 'purged' only). */
  readonly purged?: PurgedLeaves;
}

export interface AppendedLeaf {
  /** 0-based, gap-free. */
  readonly index: number;
  /** base64url SHA-256(0x00 ‖ record bytes). */
  readonly leafHash: string;
}

export interface Checkpoint {
  readonly treeSize: number;
  /** base64url root hash (RFC 9162 MTH) */
  readonly rootHash: string;
  /** ms since epoch */
  readonly time: number;
}

export interface SignedCheckpoint extends Checkpoint {
  /** compact JWS, typ `checkpoint+jwt`, signed by the gateway. */
  readonly jws: string;
}

export interface StoredLeaf {
  readonly index: number;
  readonly leafHash: string;
  /** The canonical record bytes as text; null once purged. */
  readonly record: string | null;
}

/** A stored leaf as raw bytes: index, 32-byte leaf hash, record bytes exactly as stored (null once purged). */
export type RawLeaf = readonly [index: number, leafHash: Uint8Array, record: Uint8Array | null];

/** Storage behind the transfer log. Merkle nodes of complete subtrees are kept so proofs are O(log n). */
export interface TransferLogStore {
  /** Appends records durably under one writer lock; indexes are gap-free and in argument order. */
  append(records: readonly TransferRecord[]): Promise<AppendedLeaf[]>;
  size(): Promise<number>;
  leaf(index: number): Promise<StoredLeaf | undefined>;
  /**
   * Hashes of complete, aligned subtrees: node (level, i) covers leaves [i·2^level, (i+1)·2^level). Level 0 is
   * the leaf hashes. Raw 32-byte hashes, in argument order; throws if one is missing.
   */
  nodes(refs: readonly { level: number; index: number }[]): Promise<Uint8Array[]>;
  saveCheckpoint(checkpoint: SignedCheckpoint): Promise<void>;
  latestCheckpoint(): Promise<SignedCheckpoint | undefined>;
  /**
   * The stored leaves with index ≥ `from`, in index order, read page by page so the whole log is never held in
   * memory (verifying the stored tree). Yields what is stored: a deleted row shows up as a gap in the indexes.
   */
  iterateLeaves(from: number): AsyncIterable<StoredLeaf>;
  /**
   * Optional fast path of iterateLeaves for verifying the whole log: the same leaves, a page at a time, as raw
   * bytes (no text decoding, no base64url), so a million leaves are read in seconds.
   */
  iterateLeafPages?(from: number): AsyncIterable<readonly RawLeaf[]>;
}

// The read side of the transfer log: what the DPO's list and charts ask the store.

/** Exact-match filters of the DPO's transfer list (PROTOCOL.md §4); all optional, combined with AND. */
export interface TransferFilter {
  /** ISO 8601 UTC, inclusive / exclusive. */
  readonly from?: string;
  readonly to?: string;
  readonly consumer?: string;
  readonly provider?: string;
  readonly evidenceType?: string;
  readonly purpose?: string;
  /** Outcomes to list; default the final ones (released, refused, withheld). */
  readonly outcomes?: readonly string[];
  readonly subjectRef?: string;
  /** A DPO limited to participants sees records where one of them is consumer or provider. */
  readonly participants?: readonly string[];
  /** Only records with a lower index (the cursor of the previous page). */
  readonly beforeIndex?: number;
  readonly limit: number;
}

/** One group of countTransfers: final records in one UTC hour with the same outcome, purpose and code. */
export interface TransferCount {
  /** `YYYY-MM-DDTHH`, UTC. */
  readonly hour: string;
  readonly outcome: string;
  readonly purpose: string | null;
  readonly code: string | null;
  readonly count: number;
}

/**
 * The exchanges whose intent is in the log and whose outcome is not (issue 11: orphaned exchanges). An exchange
 * that was forwarded when the gateway stopped (a crash, `kill -9`, a lost store) never gets an outcome from its
 * own run; the start and a periodic sweep settle these (exchange/settle-orphans.ts).
 */
export interface OpenIntents {
  /** Open intents recorded before `before` (ISO 8601 UTC), oldest first, at most `limit`. */
  openIntents(before: string, limit: number): Promise<StoredLeaf[]>;
}

/** The transfer log's queries beyond the Merkle tree: the DPO's list and charts, the consumer's and citizen's views. */
export interface TransferLogQueries {
  /** Records matching the filter, newest first; purged records match no filter. */
  findRecords(filter: TransferFilter): Promise<StoredLeaf[]>;
  /** Final records with `from` ≤ time < `to`, counted per hour, outcome, purpose and code. */
  countTransfers(range: {
    readonly from: string;
    readonly to: string;
    readonly participants?: readonly string[];
  }): Promise<TransferCount[]>;
  /** Every leaf whose record names this exchange, in log order. */
  recordsByExchange(exchangeId: string): Promise<StoredLeaf[]>;
  /** Leaves whose record carries this subject reference, newest first, `limit` at most 1000. */
  recordsBySubject(
    subjectRef: string,
    options?: { readonly limit?: number; readonly beforeIndex?: number },
  ): Promise<StoredLeaf[]>;
}

/**
 * Retention (DESIGN.md "Retention"): the content of every record whose exchange's retention ended before `now`
 * (ISO 8601) is removed, leaf hashes and tree nodes stay, and a purge record names what was erased. Resolves
 * with the number of records purged (with `dryRun`, would be purged).
 */
export interface TransferLogRetention {
  purgeRecords(now: string, options?: { readonly dryRun?: boolean }): Promise<number>;
}

/** Whether the storage can take writes now: the readiness probe (`/health/ready`). */
export interface StoreHealth {
  ready(): Promise<boolean>;
}

/**
 * Where the log's latest signed checkpoint is kept outside its own store (issue 11: a log nobody can roll back):
 * a restore of the store from an older backup does not reach it, so the start can tell a store that is behind
 * what the gateway already published. Every checkpoint is recorded here before it is saved in the store or
 * handed out; the anchored tree only grows.
 */
export interface CheckpointAnchor {
  /** Where it is kept, for messages (a file path, a URL). */
  readonly location: string;
  /** Whether the anchor exists at all: once created, a log has existed. */
  exists(): Promise<boolean>;
  /** Creates an empty anchor (first start); fails if one exists. */
  create(): Promise<void>;
  /** The latest recorded checkpoint, undefined for an empty anchor. Throws if the anchor is damaged. */
  latest(): Promise<SignedCheckpoint | undefined>;
  /** Durably records a checkpoint; resolves once it is on disk. Refuses a smaller tree than the latest. */
  record(checkpoint: SignedCheckpoint): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Preview before use (§ 5 Abs. 2 EGovG; issue 5)

export type HeldEvidenceState = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

/**
 * Evidence held for the citizen's preview. The evidence itself and what the citizen is shown are sealed
 * (AES-256-GCM under a gateway key) and removed once the evidence is rejected, expired, cancelled or, after
 * approval, no longer collectable. Everything else is what a list needs without decrypting.
 */
export interface HeldEvidence {
  readonly exchangeId: string;
  readonly subjectRef: string;
  readonly consumer: string;
  readonly provider: string;
  readonly evidenceType: string;
  readonly purpose: string;
  readonly legalBasis: string;
  readonly procedure: { readonly reference: string; readonly service?: string };
  readonly consentId?: string;
  readonly format: 'json' | 'xoev';
  /** ms since epoch */
  readonly heldAt: number;
  /** The citizen's decision is due before this (ms since epoch); after it the evidence is destroyed. */
  readonly decideBy: number;
  readonly state: HeldEvidenceState;
  /** ms since epoch of the decision (or expiry / cancellation). */
  readonly decidedAt?: number;
  /** After approval: until when the consumer can collect the evidence (ms since epoch). */
  readonly collectUntil?: number;
  /** The 'awaiting-citizen' record as logged; the decision's record is derived from it. */
  readonly record: TransferRecord;
  /** The sealed evidence; null once destroyed. */
  readonly sealed: Uint8Array | null;
}

export interface PreviewStore {
  hold(entry: HeldEvidence): Promise<void>;
  get(exchangeId: string): Promise<HeldEvidence | undefined>;
  /** One citizen's held evidence, newest first, pending and decided. */
  listBySubject(subjectRef: string): Promise<HeldEvidence[]>;
  /** Pending entries relying on this consent. */
  listPendingByConsent(consentId: string): Promise<HeldEvidence[]>;
  /** Pending entries whose decideBy ≤ nowMs, and approved ones whose collectUntil ≤ nowMs. */
  listDue(nowMs: number, limit: number): Promise<HeldEvidence[]>;
  /**
   * Moves a pending entry to `state` (compare-and-set on 'pending'); destroys the sealed evidence unless the
   * new state is 'approved'. Resolves false if the entry was not pending.
   */
  decide(
    exchangeId: string,
    state: Exclude<HeldEvidenceState, 'pending'>,
    at: number,
    collectUntil?: number,
  ): Promise<boolean>;
  /** Removes the sealed evidence (collection window over). */
  destroy(exchangeId: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Connectors

/** What the gateway hands a connector: the message it signed for the provider (PROTOCOL.md §2). */
export interface ForwardedMessage {
  readonly exchangeId: string;
  readonly provider: Participant;
  readonly format: 'json' | 'xoev';
  /** compact JWS (json) or signed XÖV document (xoev) */
  readonly body: string;
}

/** The provider's raw answer; the core verifies it (signature, binding, schema, fields). */
export interface ProviderAnswer {
  readonly contentType: string;
  readonly body: string;
}

/**
 * One interface for every way of reaching a provider. A connector only transports: it throws GatewayError
 * ERR_PROVIDER_UNAVAILABLE (status 502, or 504 on timeout) when the provider cannot be reached or answers with
 * an error status, and never interprets the evidence.
 */
export interface Connector {
  readonly kind: Endpoint['kind'];
  send(message: ForwardedMessage, signal: AbortSignal): Promise<ProviderAnswer>;
}

// ---------------------------------------------------------------------------------------------------------
// Callbacks (docs/callbacks.md; the FIT-Connect callback scheme: HMAC-SHA-512 over timestamp and body)

export type CallbackEventType = 'exchange.finished' | 'consent-request.finished';

export type CallbackStatus =
  'released' | 'refused' | 'preview-rejected' | 'approved' | 'declined' | 'expired';

/**
 * What a consumer's callback says: which of its exchanges or consent requests finished, and how. It is sent as
 * the JSON body of the callback; it never carries evidence or an IDNr (the consumer fetches the result by
 * polling, e.g. GET /v1/evidence-requests/{id}).
 */
export interface CallbackEvent {
  /** The consumer's participant id; the callback goes to the URL registered for it. */
  readonly consumer: string;
  readonly type: CallbackEventType;
  /** The exchange id (exchange.finished) or the consent request id (consent-request.finished). */
  readonly id: string;
  readonly status: CallbackStatus;
  /** The error code of a refusal. */
  readonly code?: ErrorCode;
  /** When it finished: ISO 8601 UTC. */
  readonly at: string;
}

/** Tells consumers that something of theirs finished (issue 5 item 4). */
export interface CallbackNotifier {
  /**
   * Durably enqueues the callback: resolves once it is stored (or was recorded as dropped because the queue is
   * full). A consumer without a registered callback URL or secret is not an error: nothing is queued and the
   * log says so. Rejects with ERR_INTERNAL for a malformed event and ERR_LOG_UNAVAILABLE if the store cannot be
   * written — callers that must not fail because of a callback catch and log it (the consumer can still poll).
   */
  notify(event: CallbackEvent): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// The callback outbox (docs/callbacks.md "Delivery")

export type OutboxState = 'pending' | 'delivered' | 'failed' | 'dropped';

export interface OutboxRow {
  readonly id: number;
  readonly consumer: string;
  readonly eventType: string;
  readonly eventId: string;
  readonly body: string;
  readonly state: OutboxState;
  /** Attempts finished so far (an attempt cut off by a stop or a crash is not counted; it is simply repeated). */
  readonly attempts: number;
  /** When the row is due: its next attempt, or while it is leased, when the lease ends. */
  readonly nextAttemptAt: number;
  readonly createdAt: number;
  readonly finishedAt: number | null;
  readonly lastError: string | null;
}

/**
 * Durable, bounded queue of signed callbacks. A dispatcher leases the rows it attempts: a leased row is due again
 * only when its lease ends, so gateways sharing one store never attempt the same row at once, and a row whose
 * dispatcher died is attempted again after the lease instead of never. Delivery is at least once.
 */
export interface CallbackOutbox {
  /** Stores a callback as pending, due at `nowMs`, or as 'dropped' when a bound is reached. */
  enqueue(
    item: { consumer: string; eventType: string; eventId: string; body: string },
    nowMs: number,
  ): Promise<'queued' | 'dropped'>;
  /** Leases up to `limit` pending rows due at `nowMs`, earliest first, until `nowMs + leaseMs`. */
  lease(nowMs: number, limit: number, leaseMs: number): Promise<OutboxRow[]>;
  /** Ends a pending row delivered or failed; `attempted` false when it failed without an attempt. */
  finish(
    id: number,
    state: 'delivered' | 'failed',
    nowMs: number,
    error?: string,
    attempted?: boolean,
  ): Promise<void>;
  /** Counts a failed attempt and makes the row due at `nextAttemptAtMs` (ending its lease). */
  reschedule(id: number, nextAttemptAtMs: number, error: string): Promise<void>;
  /** Gives leases back uncounted (attempts cut off by a stop): due again at `nowMs`. */
  release(ids: readonly number[], nowMs: number): Promise<void>;
  /** The earliest time a pending row is due (leased ones when their lease ends), or undefined if none is. */
  nextDueAt(): Promise<number | undefined>;
  /** Pending rows in all (the metrics gauge). */
  pendingCount(): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------------
// Mutual exclusion

/**
 * Mutual exclusion per key: calls for the same key run one after another, calls for different keys run freely.
 * The exchange and the consent service share one so that a release and a withdrawal of the same consent never
 * interleave (the log never shows a release after the withdrawal it relied on). One process serialises in memory
 * (core/keyed-lock.ts); gateways sharing one database need the database's lock behind this same interface.
 */
export interface KeyedLock {
  /** Runs `fn` once every earlier call for `key` has settled; resolves or rejects with `fn`'s result. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}
