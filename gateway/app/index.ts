/** The application layer: the services the HTTP API and the portal call, and how they are built. */
export type {
  AuditService,
  AuditTransfer,
  AuditTransferDetail,
  CheckpointView,
  CitizenConsentRequest,
  CitizenExport,
  CitizenTransfer,
  ConsentRequestAnswered,
  ConsentRequestCreated,
  ConsentRequestStatus,
  ConsistencyProofView,
  InclusionProofView,
  LeafView,
  Party,
  WireConsent,
  ProcessingRecords,
  Authenticator,
  CitizenAccessService,
  ConsentRequest,
  ConsentRequestService,
  ConsentService,
  DpoScope,
  EvidenceMediaType,
  EvidenceSubmission,
  ExchangeService,
  ExchangeView,
  HealthService,
  HttpServices,
  PreviewItem,
  PreviewService,
  RefusalProblem,
  TransferQuery,
} from './contracts.js';
export { TRANSFER_FILTERS } from './contracts.js';
export { toWireConsent, toWirePreview } from './wire.js';
export { composeAudit, csvCell } from './audit.js';
export type { AuditCompositionDeps } from './audit.js';
export { createExchangeApp } from './exchange.js';
export type { ExchangeAppDeps } from './exchange.js';
export { createCitizenConsents, createCitizenPreviews, toPreviewItem } from './citizen.js';
export type { CitizenAppDeps } from './citizen.js';
export { composeConsents } from './consent-requests.js';
export type { ConsentCompositionDeps } from './consent-requests.js';
