/**
 * What the portal needs from the rest of the gateway, named by role: the application services the API uses
 * (gateway/app/), plus the views only pages show, built in bootstrap/portal.ts. The view types below are what the
 * pages read of the app layer's read models, so a page never shows or changes more than the API would.
 */
import type { TransferCount } from '../core/index.js';
import type { VerificationRuns } from '../core/transfer-log/index.js';
import type {
  AuditService,
  CitizenAccessService,
  ConsentRequestService,
  ConsentService,
  DpoScope,
  PreviewService,
} from '../app/index.js';

/** A participant as the read models name it: its id, and its display name if the trust store has one. */
export interface Party {
  readonly id: string;
  readonly name?: string;
}

/** A consent request as the citizen's list gives it (openapi.yaml `MyConsentRequest`). */
export interface MyConsentRequestView {
  readonly id: string;
  readonly status: string;
  readonly consumer: Party;
  readonly evidenceTypes: readonly string[];
  readonly purpose: string;
  readonly procedure: { readonly reference: string };
  readonly respondBy: string;
}

/** One request as its citizen reviews it: the agency's notice, where the answer leads, and, while open, its token. */
export interface ConsentRequestView extends MyConsentRequestView {
  readonly notice: { readonly de: string; readonly en?: string };
  /** The agency's registered return URL: the answer's redirect goes there. */
  readonly returnUrl: string;
  readonly token?: string;
}

/** A transfer about the citizen as the API gives it (openapi.yaml `MyTransfer`). */
export interface MyTransferView {
  readonly exchangeId: string;
  readonly time: string;
  readonly outcome: string;
  readonly code?: string;
  readonly consumer?: Party;
  readonly provider?: Party;
  readonly evidenceType?: string;
  readonly purpose?: string;
  readonly legalBasis?: string;
  readonly procedure?: { readonly reference?: string; readonly service?: string };
  readonly fields?: readonly string[];
}

/** A transfer in the DPO's list, as AuditService.list answers (openapi.yaml `Transfer`). */
export interface TransferRow {
  readonly index: number;
  readonly time: string;
  readonly exchangeId: string;
  readonly outcome: string;
  readonly code?: string;
  readonly consumer?: Party;
  readonly provider?: Party;
  readonly evidenceType?: string;
  readonly purpose?: string;
  readonly procedure?: { readonly reference?: string };
}

/** One activity of the Art. 30 records, as AuditService.processing answers. */
export interface ProcessingActivity {
  readonly policy: { readonly id: string; readonly version: string | number; readonly hash?: string };
  readonly description?: string;
  readonly controller?: unknown;
  readonly recipient?: Party;
  readonly recipients?: unknown;
  readonly provider?: Party;
  readonly evidenceType: string;
  readonly purposes: readonly string[];
  readonly legalBasis: string;
  readonly dataCategories: readonly string[];
  readonly dataSubjects?: readonly string[];
  readonly fields: readonly string[];
  readonly retention?: unknown;
  readonly consentRequired: boolean;
  readonly previewRequired: boolean;
}

/** The records of processing (DSGVO Art. 30) from the loaded policies. */
export interface ProcessingRecords {
  readonly gateway: string;
  readonly generatedAt: string;
  readonly activities: readonly ProcessingActivity[];
}

/** One thing a citizen may consent to: a policy that requires consent permits exactly this. */
export interface ConsentOption {
  readonly consumer: string;
  readonly evidenceType: string;
  readonly purpose: string;
  readonly singleUseAllowed: boolean;
}

export interface FilterChoices {
  readonly participants: readonly { readonly id: string; readonly name: string }[];
  readonly evidenceTypes: readonly string[];
  readonly purposes: readonly string[];
}

export interface LogState {
  /** Leaves in the transfer log. */
  readonly size: number;
  readonly checkpoint?: { readonly treeSize: number; readonly rootHash: string; readonly time: number };
}

export interface WebServices {
  readonly consents: ConsentService;
  /** Consent requests addressed to the citizen (docs/citizen.md). */
  readonly consentRequests: Pick<ConsentRequestService, 'listMine' | 'getMine' | 'answer'>;
  /** Evidence held for the citizen's preview. */
  readonly previews: PreviewService;
  /** Transfers about the citizen and the Art. 15 export. */
  readonly citizenAccess: CitizenAccessService;
  /** The DPO's reads of the transfer log. */
  readonly audit: Pick<AuditService, 'list' | 'get' | 'export' | 'processing'>;
  /** Final transfers from `from` to `to` (ISO 8601) counted per UTC hour, outcome, purpose and code. */
  transferCounts(
    range: { readonly from: string; readonly to: string },
    scope: DpoScope,
  ): Promise<TransferCount[]>;
  /** Full verifications of the stored log: the last one, and a new one on request. */
  readonly verification: VerificationRuns;
  /** A checkpoint JWS's payload if it is signed by this gateway's key and names this gateway, else undefined. */
  openCheckpoint(jws: string): Promise<{ readonly treeSize: number; readonly rootHash: string } | undefined>;
  /** A receipt (compact JWS) for this citizen's consent; undefined if unknown or someone else's. */
  consentReceipt(subjectIdnr: string, id: string): Promise<string | undefined>;
  /** What a citizen may consent to, from the loaded policies. */
  consentOptions(): readonly ConsentOption[];
  /** What the DPO's filters offer: registered participants, and evidence types and purposes from the policies. */
  filterChoices(): FilterChoices;
  /** A participant's display name from the trust store. */
  participantName(id: string): string | undefined;
  /** Size and latest signed checkpoint of the transfer log (read only: signs nothing). */
  logState(): Promise<LogState>;
}
