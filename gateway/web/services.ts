/**
 * What the portal needs from the rest of the gateway, named by role; gateway/main.ts adapts the consent and
 * preview services, consent requests, the log readers of PROTOCOL.md §3/§4, policies and trust store to it. The
 * pages use the same services as the API, so a page never shows or changes more than the API would.
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
  readonly audit: AuditService;
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
