export { createExchange } from './run-exchange.js';
export { createRefusalBudget, type BudgetAnswer, type RefusalBudget } from './refusal-budget.js';
export type { Exchange } from './run-exchange.js';
export type {
  AwaitingExchange,
  ClaimedRequest,
  ConsentVerdict,
  EvidenceRequest,
  ExchangeDeps,
  ForwardedRequestInput,
  MessageFormat,
  PolicyVerdict,
  ReleasedExchange,
  RequestReader,
  VerifiedEvidence,
} from './types.js';
export {
  createOrphanSettlement,
  ORPHAN_GRACE_MS,
  type OrphanSettlement,
  type OrphanSettlementDeps,
} from './settle-orphans.js';
