/**
 * Consent receipts: what the citizen keeps of each consent and each withdrawal, signed by the gateway
 * (`consent-receipt+jwt`, canonical JSON payload). Fields in the spirit of the Kantara Consent Receipt v1.1 and
 * ISO/IEC TS 27560: who is responsible (controller), for which purpose under which legal basis, which data
 * categories go to which recipients, from when until when, and how to withdraw. The citizen's IDNr is not in it:
 * the receipt names the consent, and the consent names the citizen only by keyed hash.
 */
import type { KeyObject } from 'node:crypto';
import type { ConsentEventType, ConsentRecord } from '../ports.js';
import { openLogToken, signLogToken, type LogSigner, type TokenFailure } from '../transfer-log/log-token.js';

export const CONSENT_RECEIPT_TYP = 'consent-receipt+jwt';
export const CONSENT_RECEIPT_VERSION = 'oog-consent-receipt/1';

/** What the policies say about one evidence type the consent covers. */
export interface ReceiptPurpose {
  readonly evidenceType: string;
  readonly legalBasis: string;
  readonly dataCategories: readonly string[];
  readonly provider: { readonly id: string; readonly name?: string };
}

export interface ConsentReceiptContext {
  readonly gatewayId: string;
  /** The controller responsible for the processing the consent allows: the receiving agency. */
  readonly controller: { readonly id: string; readonly name?: string; readonly contact?: string };
  readonly purposes: readonly ReceiptPurpose[];
  /** How the citizen withdraws: the API call and, if there is one, the portal page. */
  readonly withdraw: { readonly api: string; readonly portal?: string };
  readonly receiptId: string;
  /** ms since epoch */
  readonly issuedAt: number;
}

export interface ConsentReceipt {
  readonly version: string;
  readonly iss: string;
  readonly receiptId: string;
  readonly iat: number;
  readonly jurisdiction: 'DE';
  readonly consentId: string;
  readonly event: { readonly type: ConsentEventType; readonly at: string };
  readonly controller: ConsentReceiptContext['controller'];
  readonly purpose: string;
  readonly purposes: readonly ReceiptPurpose[];
  readonly recipients: readonly { readonly id: string; readonly name?: string }[];
  readonly consentType: 'explicit';
  readonly singleUse: boolean;
  readonly validFrom: string;
  readonly validUntil?: string;
  readonly noticeHash?: string;
  readonly requestId?: string;
  readonly withdraw: ConsentReceiptContext['withdraw'];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The receipt of `consent`'s latest event, signed by the gateway. Throws only if signing fails. */
export async function signConsentReceipt(
  signer: LogSigner,
  consent: ConsentRecord,
  context: ConsentReceiptContext,
): Promise<string> {
  const event = consent.events[consent.events.length - 1]!;
  const receipt: ConsentReceipt = {
    version: CONSENT_RECEIPT_VERSION,
    iss: context.gatewayId,
    receiptId: context.receiptId,
    iat: Math.floor(context.issuedAt / 1000),
    jurisdiction: 'DE',
    consentId: consent.id,
    event: { type: event.type, at: iso(event.at) },
    controller: context.controller,
    purpose: consent.purpose,
    purposes: context.purposes,
    recipients: [
      { id: context.controller.id, ...(context.controller.name ? { name: context.controller.name } : {}) },
    ],
    consentType: 'explicit',
    singleUse: consent.singleUse,
    validFrom: iso(consent.createdAt),
    ...(consent.validUntil === null ? {} : { validUntil: iso(consent.validUntil) }),
    ...(consent.noticeHash === undefined ? {} : { noticeHash: consent.noticeHash }),
    ...(consent.requestId === undefined ? {} : { requestId: consent.requestId }),
    withdraw: context.withdraw,
  };
  return signLogToken(signer, CONSENT_RECEIPT_TYP, receipt);
}

export type ConsentReceiptVerification =
  | { readonly ok: true; readonly receipt: ConsentReceipt }
  | { readonly ok: false; readonly reason: TokenFailure };

const REQUIRED = [
  'version',
  'iss',
  'receiptId',
  'iat',
  'consentId',
  'event',
  'controller',
  'purpose',
  'withdraw',
];

/**
 * Verifies a consent receipt offline with the gateway's public key (RFC 7515 §5.2; `typ` consent-receipt+jwt,
 * canonical payload, the members a receipt must have, and the expected issuer if given). Never throws.
 */
export async function verifyConsentReceipt(
  jws: string,
  publicKey: KeyObject,
  options: { readonly issuer?: string } = {},
): Promise<ConsentReceiptVerification> {
  const opened = await openLogToken(jws, publicKey, CONSENT_RECEIPT_TYP);
  if (!opened.ok) return opened;
  const p = opened.payload;
  if (p['version'] !== CONSENT_RECEIPT_VERSION || REQUIRED.some((m) => p[m] === undefined)) {
    return { ok: false, reason: 'payload' };
  }
  if (options.issuer !== undefined && p['iss'] !== options.issuer) return { ok: false, reason: 'issuer' };
  return { ok: true, receipt: p as unknown as ConsentReceipt };
}
