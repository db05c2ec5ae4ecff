export { createExchange } from './run-exchange.js';
export { ExchangeRefusal, type ClaimedSender } from './refusal.js';
export { forwardedContentOf, type ForwardedContent } from './forwarded-content.js';
export { createRefusalBudget, type BudgetAnswer, type RefusalBudget } from './refusal-budget.js';
export type { Exchange } from './run-exchange.js';
export type {
  AwaitingExchange,
  ClaimedRequest,
  ConsentVerdict,
  EvidenceRequest,
  ExchangeDeps,
  ExpectedAnswer,
  ForwardedRequestInput,
  MessageFormat,
  PolicyVerdict,
  ReleasedExchange,
  RequestReader,
  VerifiedEvidence,
  WireFormat,
} from './types.js';
export {
  createOrphanSettlement,
  ORPHAN_GRACE_MS,
  type OrphanSettlement,
  type OrphanSettlementDeps,
} from './settle-orphans.js';
