/**
 * The exchange's own vocabulary: a format-neutral evidence request (what the JSON claims of PROTOCOL.md §1a and
 * the XÖV message of §1b both carry) and the narrow, function-typed dependencies the pipeline needs. The
 * composition root adapts the envelope, policy, consent and transfer-log modules to these shapes.
 */
import type { ErrorCode } from '../errors.js';
import type {
  AppendedLeaf,
  Clock,
  Connector,
  Endpoint,
  Participant,
  PolicyRef,
  ProviderAnswer,
  ReplayStore,
  TransferRecord,
  TrustStore,
} from '../ports.js';
import type { ConsentGuard, SealedContent } from '../preview/index.js';
import type { RefusalBudget } from './refusal-budget.js';

export type MessageFormat = 'json' | 'xoev';

/** An evidence request whose signature, sender, freshness, schema and identifiers were already verified. */
export interface EvidenceRequest {
  readonly format: MessageFormat;
  /** Sender participant id, bound to the signing key. */
  readonly consumer: string;
  /** jti / nachrichtenUUID */
  readonly messageId: string;
  /** seconds since epoch */
  readonly issuedAt: number;
  /** seconds since epoch: after this the message id may be forgotten by the replay store */
  readonly replayUntil: number;
  readonly evidenceType: string;
  readonly provider?: string;
  readonly subjectIdnr: string;
  readonly purpose: string;
  readonly procedure: { readonly reference: string; readonly service?: string };
  readonly actor: string;
  readonly consentId?: string;
  readonly fields?: readonly string[];
  /** XÖV `test` attribute: a test message is never answered from a production register. */
  readonly test?: boolean;
}

/** What a reader could make out of a message it then refused: enough to log the refusal, marked unverified. */
export interface ClaimedRequest {
  readonly consumer?: string;
  readonly messageId?: string;
  readonly evidenceType?: string;
  readonly purpose?: string;
}

export type PolicyVerdict =
  | {
      readonly permit: true;
      readonly policy: PolicyRef;
      readonly provider: string;
      readonly legalBasis: string;
      readonly fields: readonly string[];
      readonly consentRequired: boolean;
      readonly previewRequired: boolean;
      /** How long the citizen has to decide on a preview. */
      readonly previewTimeoutMinutes: number;
      /** ISO 8601 duration, e.g. P2Y */
      readonly retention: string;
    }
  | {
      readonly permit: false;
      readonly code: 'ERR_POLICY_DENIED' | 'ERR_POLICY_FIELDS';
      readonly reason: string;
    };

export type ConsentVerdict =
  | { readonly ok: true; readonly consentId: string; readonly singleUse: boolean }
  | {
      readonly ok: false;
      readonly code: 'ERR_CONSENT_MISSING' | 'ERR_CONSENT_WITHDRAWN' | 'ERR_CONSENT_EXPIRED';
    };

export interface VerifiedEvidence {
  /** The provider's own signed evidence, passed on unchanged (JWS or signed XÖV document). */
  readonly token: string;
  /** base64url SHA-256 of `token`. */
  readonly digest: string;
  readonly fields: readonly string[];
  /** The evidence data in its JSON shape, for the citizen's preview. */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface ForwardedRequestInput {
  readonly exchangeId: string;
  readonly request: EvidenceRequest;
  readonly provider: Participant;
  readonly verdict: Extract<PolicyVerdict, { permit: true }>;
}

/** Verifies a consumer's message in one wire format and returns the request (throws GatewayError). */
export type RequestReader = (body: string) => Promise<EvidenceRequest>;

/** What the exchange expects of a provider's answer: the request it forwarded, exactly as sent, and why. */
export interface ExpectedAnswer {
  readonly forwarded: string;
  readonly input: ForwardedRequestInput;
}

/**
 * One wire format (JSON: PROTOCOL.md §1a; XÖV: §1b) as the exchange uses it: the consumer's side (read) and the
 * provider's side (signForwarded, verifyAnswer). The formats live in gateway/core/envelope/json/ and
 * gateway/core/envelope/xoev/ (createJsonWireFormat, createXoevWireFormat).
 */
export interface WireFormat {
  /** Stages 2–5: verifies the envelope and returns the request; throws GatewayError (EnvelopeError with claims). */
  readonly read: RequestReader;
  /** Stage 9: signs the minimised request for a provider of this format (PROTOCOL.md §2). */
  readonly signForwarded: (input: ForwardedRequestInput) => Promise<string>;
  /** Stage 10: verifies the provider's answer against the forwarded request; throws ERR_PROVIDER_RESPONSE. */
  readonly verifyAnswer: (answer: ProviderAnswer, expected: ExpectedAnswer) => Promise<VerifiedEvidence>;
}

export interface ExchangeDeps {
  readonly clock: Clock;
  readonly trust: TrustStore;
  readonly replay: ReplayStore;
  /** Every wire format the gateway speaks, to consumers and to providers alike. */
  readonly formats: Readonly<Record<MessageFormat, WireFormat>>;
  /** Reads what can be read of a refused message, for the log entry; never throws. */
  readonly claimedOf: (error: unknown) => ClaimedRequest | undefined;
  readonly evaluatePolicy: (request: EvidenceRequest) => PolicyVerdict;
  readonly checkConsent: (request: EvidenceRequest, subjectRef: string) => Promise<ConsentVerdict>;
  /** Uses up a single-use consent; false if another exchange used it first. */
  readonly claimConsent: (consentId: string, exchangeId: string) => Promise<boolean>;
  readonly subjectRef: (idnr: string) => string;
  readonly connectors: Readonly<Partial<Record<Endpoint['kind'], Connector>>>;
  readonly log: {
    append(record: TransferRecord): Promise<AppendedLeaf>;
    /** A receipt (PROTOCOL.md §1c) proving the leaf in a signed checkpoint. */
    receipt(exchangeId: string, leaf: AppendedLeaf): Promise<string>;
  };
  /** Runs a release (or a hold for preview) only while the consent still holds, under the consent's lock. */
  readonly guardRelease: ConsentGuard;
  /** Holds verified evidence for the citizen's preview and logs the 'awaiting-citizen' record. */
  readonly holdForPreview: (
    record: TransferRecord,
    content: SealedContent,
    decideBy: number,
  ) => Promise<void>;
  readonly newId: () => string;
  readonly providerTimeoutMs: number;
  /** True if this gateway serves production registers (a test message is then never released). */
  readonly production: boolean;
  /** How many refusals of unauthenticated messages are logged per source address; absent: all of them. */
  readonly refusalBudget?: RefusalBudget;
}

export interface ReleasedExchange {
  readonly exchangeId: string;
  readonly status: 'released';
  readonly evidence: string;
  readonly receipt: string;
}

/** PROTOCOL.md §1c 202: the evidence waits for the citizen's preview; the consumer polls or gets a callback. */
export interface AwaitingExchange {
  readonly exchangeId: string;
  readonly status: 'awaiting-citizen';
}

export type RefusalCode = ErrorCode;
