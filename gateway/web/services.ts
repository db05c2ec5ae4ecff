/**
 * What the portal needs from the rest of the gateway, named by role; gateway/main.ts adapts the consent
 * service, policies, trust store and transfer log to it. Later rounds add transfers about me, previews and
 * consent requests (citizens) and the transfer list (DPOs) here, as their services land.
 */
import type { ConsentRequestService, ConsentService } from '../http/index.js';

/** One thing a citizen may consent to: a policy that requires consent permits exactly this. */
export interface ConsentOption {
  readonly consumer: string;
  readonly evidenceType: string;
  readonly purpose: string;
  readonly singleUseAllowed: boolean;
}

export interface LogState {
  /** Leaves in the transfer log. */
  readonly size: number;
  readonly checkpoint?: { readonly treeSize: number; readonly rootHash: string; readonly time: number };
}

export interface WebServices {
  readonly consents: ConsentService;
  /** Consent requests addressed to the citizen (docs/citizen.md). */
  readonly consentRequests: Pick<ConsentRequestService, 'getMine' | 'answer'>;
  /** A receipt (compact JWS) for this citizen's consent; undefined if unknown or someone else's. */
  consentReceipt(subjectIdnr: string, id: string): Promise<string | undefined>;
  /** What a citizen may consent to, from the loaded policies. */
  consentOptions(): readonly ConsentOption[];
  /** A participant's display name from the trust store. */
  participantName(id: string): string | undefined;
  /** Size and latest signed checkpoint of the transfer log (read only: signs nothing). */
  logState(): Promise<LogState>;
}
