export { createApp } from './create-app.js';
export type { CreateAppOptions } from './create-app.js';
export { startServer, SERVER_TIMEOUTS } from './start-server.js';
export type { RunningServer } from './start-server.js';
export { createProblemResponder, PROBLEM_MEDIA_TYPE, toProblem } from './problem.js';
export type { Problem, ProblemOptions, ProblemResponder } from './problem.js';
export { createHttpMetrics, createMetricsRegistry, registerDroppedLogLines } from './metrics.js';
export type { HttpMetrics } from './metrics.js';
export { bearerOf, createOpenApiAdapter, readOpenApiDocument } from './openapi-adapter.js';
export type { OperationContext, OperationHandler, Reply, SecurityHandler } from './openapi-adapter.js';
export type {
  AuditService,
  Authenticator,
  CitizenAccessService,
  DpoScope,
  TransferQuery,
  ConsentRequest,
  ConsentRequestService,
  ConsentService,
  EvidenceMediaType,
  EvidenceSubmission,
  ExchangeService,
  HealthService,
  HttpServices,
  PreviewItem,
  PreviewService,
} from './services.js';
export { TRANSFER_FILTERS } from './services.js';
export { toWireConsent } from './handlers/consent-handlers.js';
export { toWirePreview } from './handlers/preview-handlers.js';
