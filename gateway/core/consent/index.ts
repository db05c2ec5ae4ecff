export { consentState } from './consent-state.js';
export type { ConsentState } from './consent-state.js';
export { createConsentService } from './create-consent-service.js';
export type {
  ConsentCheck,
  ConsentCheckRequest,
  ConsentRefusalCode,
  ConsentService,
  ConsentServiceDeps,
  GiveConsentInput,
} from './create-consent-service.js';
