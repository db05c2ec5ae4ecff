export { consentState } from './consent-state.js';
export type { ConsentState } from './consent-state.js';
export { createConsentService } from './create-consent-service.js';
export type {
  ConsentCheck,
  ConsentCheckRequest,
  ConsentRefusalCode,
  ConsentService,
  ConsentOrigin,
  ConsentServiceDeps,
  GiveConsentInput,
} from './create-consent-service.js';
export {
  CONSENT_REQUEST_TYP,
  createConsentRequestService,
  noticeHash,
  type ConsentRequestAnswer,
  type ConsentRequestClaims,
  type ConsentRequestService,
  type ConsentRequestServiceDeps,
} from './create-consent-request-service.js';
export {
  CONSENT_RECEIPT_TYP,
  signConsentReceipt,
  verifyConsentReceipt,
  type ConsentReceipt,
  type ConsentReceiptContext,
  type ConsentReceiptVerification,
  type ReceiptPurpose,
} from './consent-receipt.js';
