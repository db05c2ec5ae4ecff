/**
 * The citizen and DPO portal's set-up (docs/citizen.md, docs/dpo.md): the OIDC client (at the demo OpenID
 * Provider in demo mode), the session manager on the storage's session store, and the web views over the same
 * application services the API uses. Without an OIDC client id the portal is off (web.disabled).
 */
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { ConsentService as CoreConsentService } from '../core/consent/index.js';
import { isValidIdnr } from '../core/ids.js';
import type {
  Clock,
  ConsentRecord,
  Signer,
  TransferLogQueries,
  TransferLogStore,
  TrustStore,
  WebSessionStore,
} from '../core/ports.js';
import type { Policy } from '../core/policy/index.js';
import { verifyCheckpoint, type VerificationRuns } from '../core/transfer-log/index.js';
import type { HttpServices } from '../app/index.js';
import type { DemoOpenIdProvider } from '../adapters/idp/demo-openid-provider.js';
import { createOidcLogin, createSessionManager, createWebRouter } from '../web/index.js';
import type { ConsentOption, WebServices } from '../web/index.js';
import { DEMO_PORTAL_CLIENT_ID } from './demo.js';

export interface PortalDeps {
  readonly config: Config;
  /** The HTTP server's own URL (the redirect URI's default). */
  readonly serverUrl: string;
  readonly issuer: string;
  readonly demoOp?: DemoOpenIdProvider;
  readonly services: HttpServices;
  readonly receiptOf: (consent: ConsentRecord) => Promise<string>;
  readonly consents: Pick<CoreConsentService, 'list'>;
  readonly subjectRef: (idnr: string) => string;
  readonly store: TransferLogQueries & Pick<TransferLogStore, 'latestCheckpoint' | 'size'>;
  readonly sessionStore: WebSessionStore;
  readonly verification: VerificationRuns;
  readonly signer: Signer;
  readonly trust: TrustStore;
  readonly policies: readonly Policy[];
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The portal's router, or undefined when no OIDC client is configured (the API runs on without it). */
export async function startPortal(deps: PortalDeps): Promise<RequestHandler | undefined> {
  const { config, logger } = deps;
  // A second demo instance (OOG_DEMO_SERVICES=external) cannot register its redirect URI at the first one's
  // OpenID Provider: it serves the API only, unless an OIDC client is configured for it.
  const clientId = config.web.clientId ?? (deps.demoOp !== undefined ? DEMO_PORTAL_CLIENT_ID : undefined);
  if (clientId === undefined) {
    logger.info({ event: 'web.disabled' }, 'web.disabled: set OOG_OIDC_CLIENT_ID for the portal');
    return undefined;
  }
  const redirectUri = new URL(config.web.redirectUri ?? `${deps.serverUrl}/auth/callback`);
  const secure = redirectUri.protocol === 'https:';
  if (!secure && !/^(127\.[0-9.]+|localhost|\[::1\])$/.test(redirectUri.hostname)) {
    throw new Error('OOG_OIDC_REDIRECT_URI must be https:// unless the portal runs on localhost');
  }
  const postLogoutRedirectUri = `${redirectUri.origin}/auth/logged-out`;
  let clientSecret = config.web.clientSecret;
  if (deps.demoOp !== undefined) {
    clientSecret ??= randomBytes(32).toString('base64url');
    await deps.demoOp.configureClient({
      clientId,
      clientSecret,
      redirectUri: redirectUri.href,
      postLogoutRedirectUri,
    });
  }
  return createWebRouter({
    services: webServices(deps),
    sessions: createSessionManager({
      store: deps.sessionStore,
      clock: deps.clock,
      idleMs: config.web.sessionIdleS * 1000,
      maxMs: config.web.sessionMaxS * 1000,
      secure,
    }),
    login: createOidcLogin(
      {
        issuer: deps.issuer,
        clientId,
        ...(clientSecret === undefined ? {} : { clientSecret }),
        redirectUri: redirectUri.href,
        postLogoutRedirectUri,
      },
      isValidIdnr,
    ),
    clock: deps.clock,
    logger,
    origin: redirectUri.origin,
    issuerOrigin: new URL(deps.issuer).origin,
  });
}

/** The portal's views: the API's services plus what only pages show (charts, filter choices, the log's state). */
function webServices(deps: PortalDeps): WebServices {
  const { services, store, trust, policies, signer } = deps;
  const consentOptions = consentOptionsOf(policies);
  return {
    consents: services.consents,
    consentRequests: services.consentRequests,
    previews: services.previews,
    citizenAccess: services.citizenAccess,
    audit: services.audit,
    transferCounts: (range, scope) =>
      store.countTransfers({
        ...range,
        ...(scope.participants === undefined ? {} : { participants: scope.participants }),
      }),
    verification: deps.verification,
    async openCheckpoint(jws) {
      const verified = await verifyCheckpoint(jws, signer.certificate.publicKey, {
        issuer: deps.config.gatewayId,
      });
      return verified.ok ? verified.checkpoint : undefined;
    },
    async consentReceipt(idnr, id) {
      const consent = (await deps.consents.list(deps.subjectRef(idnr))).find((c) => c.id === id);
      if (consent === undefined) return undefined;
      return deps.receiptOf(consent);
    },
    consentOptions: () => consentOptions,
    participantName: (id) => trust.participant(id)?.name,
    filterChoices: () => ({
      participants: trust
        .participants()
        .map((p) => ({ id: p.id, name: p.name }))
        .sort((a, b) => a.id.localeCompare(b.id)),
      evidenceTypes: [...new Set(policies.map((p) => p.evidenceType))].sort(),
      purposes: [...new Set(policies.flatMap((p) => p.purposes))].sort(),
    }),
    async logState() {
      const checkpoint = await store.latestCheckpoint();
      return {
        size: await store.size(),
        ...(checkpoint === undefined
          ? {}
          : {
              checkpoint: {
                treeSize: checkpoint.treeSize,
                rootHash: checkpoint.rootHash,
                time: checkpoint.time,
              },
            }),
      };
    },
  };
}

/** What a citizen may consent to: every (consumer, evidence type, purpose) of a policy that requires consent. */
function consentOptionsOf(policies: readonly Policy[]): readonly ConsentOption[] {
  const seen = new Map<string, ConsentOption>();
  for (const policy of policies) {
    if (!policy.consent.required) continue;
    for (const purpose of policy.purposes) {
      const key = `${policy.consumer}|${policy.evidenceType}|${purpose}`;
      if (!seen.has(key)) {
        seen.set(key, {
          consumer: policy.consumer,
          evidenceType: policy.evidenceType,
          purpose,
          singleUseAllowed: policy.consent.singleUseAllowed ?? false,
        });
      }
    }
  }
  return [...seen.values()];
}
