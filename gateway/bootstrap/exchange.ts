/**
 * The exchange pipeline's ports (core/exchange, docs/pipeline.md): the wire formats, the connectors to providers,
 * the policy, consent, log and preview, wired from the configuration.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import type { Clock, Signer } from '../core/ports.js';
import type { createTrustStore } from '../core/trust/index.js';
import { evaluatePolicy, type Policy } from '../core/policy/index.js';
import type { createConsentService } from '../core/consent/index.js';
import type { createPreviewService } from '../core/preview/index.js';
import type { createTransferLog } from '../core/transfer-log/index.js';
import { claimedOfXoev, createJsonWireFormat, createXoevWireFormat } from '../core/envelope/index.js';
import { createRefusalBudget, type ExchangeDeps, type PolicyVerdict } from '../core/exchange/index.js';
import type { loadXoevSchemas } from '../adapters/files/load-xoev-schemas.js';
import { createHttpJsonConnector } from '../../connectors/index.js';
import { createHttpXoevConnector } from '../../connectors/http-xoev/index.js';
import type { Closer } from './background-jobs.js';
import type { Storage } from './storage.js';

/** The exchange pipeline's ports (core/exchange): wire formats, connectors, policy, consent, log and preview. */
export function exchangeDeps(deps: {
  readonly config: Config;
  readonly clock: Clock;
  readonly trust: ReturnType<typeof createTrustStore>;
  readonly policies: readonly Policy[];
  readonly signer: Signer;
  readonly storage: Storage;
  readonly consents: ReturnType<typeof createConsentService>;
  readonly previews: ReturnType<typeof createPreviewService>;
  readonly transferLog: ReturnType<typeof createTransferLog>;
  readonly subjectRef: (idnr: string) => string;
  readonly schemas: ReturnType<typeof loadXoevSchemas>;
  readonly closers: Closer[];
}): ExchangeDeps {
  const { config, clock, trust, policies, signer, storage, consents, previews, transferLog } = deps;
  const httpJson = createHttpJsonConnector({ timeoutMs: config.providerTimeoutMs });
  const httpXoev = createHttpXoevConnector({ timeoutMs: config.providerTimeoutMs });
  deps.closers.push(() => httpJson.close());
  return {
    clock,
    trust,
    replay: storage.replay,
    // The wire formats (gateway/core/envelope/json/, xoev/): what is read from consumers, forwarded, checked.
    formats: {
      json: createJsonWireFormat({
        trust,
        clock,
        gatewayId: config.gatewayId,
        signer,
        algorithms: [...config.jwsAlgs],
        maxAgeSeconds: config.maxAgeS,
        skewSeconds: config.skewS,
      }),
      xoev: createXoevWireFormat({
        trust,
        clock,
        gatewayId: config.gatewayId,
        schemas: deps.schemas,
        signer,
      }),
    },
    claimedOf: claimedOfXoev,
    evaluatePolicy: (request): PolicyVerdict =>
      evaluatePolicy(policies, {
        consumer: request.consumer,
        provider: request.provider,
        evidenceType: request.evidenceType,
        purpose: request.purpose,
        fields: request.fields ? [...request.fields] : undefined,
      }),
    checkConsent: async (request, ref) => {
      const result = await consents.checkForExchange({
        subjectRef: ref,
        consumer: request.consumer,
        evidenceType: request.evidenceType,
        purpose: request.purpose,
        consentId: request.consentId,
      });
      return result.ok
        ? { ok: true, consentId: result.consent.id, singleUse: result.consent.singleUse }
        : { ok: false, code: result.code };
    },
    claimConsent: async (consentId, exchangeId) => {
      const consent = await storage.consents.get(consentId);
      return consent !== undefined && (await consents.claim(consent, exchangeId));
    },
    subjectRef: deps.subjectRef,
    connectors: { 'http-json': httpJson, 'http-xoev': httpXoev },
    log: {
      append: (record) => transferLog.append(record),
      receipt: (exchangeId, leaf) => transferLog.issueReceipt({ exchangeId, leaf }),
    },
    guardRelease: consents.guardRelease,
    holdForPreview: previews.hold,
    newId: randomUUID,
    providerTimeoutMs: config.providerTimeoutMs,
    production: !config.demo,
    ...(config.unauthRefusalsPerMin > 0
      ? { refusalBudget: createRefusalBudget({ perMinute: config.unauthRefusalsPerMin, clock }) }
      : {}),
  };
}
