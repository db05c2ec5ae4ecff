/**
 * Composition root (STYLE.md, docs/architecture.md): builds the stores (bootstrap/open-storage.ts), the core and
 * the application services from the validated configuration, starts the background jobs and HTTP. Wiring only:
 * what the gateway does lives in core/ and app/; how things start in bootstrap/ (storage, the transfer log's
 * start, the exchange's ports, demo mode, background jobs, the portal).
 */
import { randomUUID } from 'node:crypto';
import { exportJWK } from 'jose';
import type { Logger } from 'pino';
import type { RequestHandler } from 'express';
import { EXAMPLE_CALLBACK_SECRETS_FILE, type Config } from './config.js';
import { GatewayError } from './core/errors.js';
import type { CallbackNotifier, Clock, Signer } from './core/ports.js';
import { createTrustStore } from './core/trust/index.js';
import type { TrustMaterial } from './core/trust/index.js';
import type { Policy } from './core/policy/index.js';
import { createConsentService } from './core/consent/index.js';
import { createEvidenceSealer, createPreviewService } from './core/preview/index.js';
import { createSubjectHasher } from './core/subject.js';
import type { createTransferLog } from './core/transfer-log/index.js';
import { createAgencyAuthVerifier } from './core/envelope/index.js';
import { createExchange, createOrphanSettlement } from './core/exchange/index.js';
import {
  composeAudit,
  composeConsents,
  createCitizenConsents,
  createCitizenPreviews,
  createExchangeApp,
  toPreviewItem,
  toWireConsent,
  toWirePreview,
} from './app/index.js';
import type { HttpServices } from './app/index.js';
import { systemClock } from './adapters/system-clock.js';
import {
  createFileCheckpointAnchor,
  loadSecretKey,
  loadSignerFromFiles,
  loadTrustMaterial,
} from './adapters/files/index.js';
import { loadPolicies } from './adapters/files/load-policies.js';
import { loadXoevSchemas } from './adapters/files/load-xoev-schemas.js';
import { startCallbacks } from './adapters/callbacks/index.js';
import { createBearerVerifier } from './adapters/idp/create-bearer-verifier.js';
import type { DemoIdpKey } from './adapters/idp/demo-identity-provider.js';
import type { DemoOpenIdProvider } from './adapters/idp/demo-openid-provider.js';
import { createApp, createMetricsRegistry, registerDroppedLogLines, startServer } from './http/index.js';
import { createLogger, droppedLogLines } from './log.js';
import type { LogStore, Storage } from './bootstrap/open-storage.js';
import { startOrphanSettlement, startPreviewSweep, type Closer } from './bootstrap/background-jobs.js';
import {
  seedDemoConsent,
  startDemoIdentityProvider,
  startDemoRegisters,
  type DemoPorts,
} from './bootstrap/demo.js';
import { exchangeDeps } from './bootstrap/exchange.js';
import { startPortal } from './bootstrap/portal.js';
import { openGuardedStorage, startTransferLog } from './bootstrap/transfer-log.js';

export interface StartOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Replace providers' endpoint URLs (tests point a provider at a fake). */
  readonly endpointOverrides?: Readonly<Record<string, string>>;
  /** Ports of the demo services; 0 picks free ones (tests). */
  readonly demoPorts?: DemoPorts;
}

export interface RunningGateway {
  readonly url: string;
  readonly config: Config;
  readonly idp: { readonly issuer: string; readonly audience: string; readonly key?: DemoIdpKey };
  readonly trust: ReturnType<typeof createTrustStore>;
  readonly signer: Signer;
  readonly logStore: LogStore;
  /** The database every store shares (operations, fault tests). */
  readonly backend: Storage['backend'];
  readonly transferLog: ReturnType<typeof createTransferLog>;
  readonly subjectRef: (idnr: string) => string;
  /** Tells a consumer that its exchange or consent request finished (docs/callbacks.md). */
  readonly callbacks: CallbackNotifier;
  close(): Promise<void>;
}

function withEndpoints(material: TrustMaterial, overrides: Readonly<Record<string, string>>): TrustMaterial {
  return {
    ...material,
    participants: material.participants.map((p) =>
      overrides[p.id] && p.endpoint ? { ...p, endpoint: { ...p.endpoint, url: overrides[p.id]! } } : p,
    ),
  };
}

/** Builds and starts the gateway; resolves once it listens. Throws with a clear message on bad set-up. */
export async function startGateway(config: Config, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? systemClock;
  const closers: Closer[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn();
  };

  try {
    // Keys, policies, schemas and the participant registry, all checked before anything starts.
    // The gateway's own secrets: every instance on one database needs the same ones (the storage checks).
    const secrets = {
      OOG_SUBJECT_KEY_FILE: loadSecretKey(config.subjectKeyFile),
      OOG_PREVIEW_KEY_FILE: loadSecretKey(config.previewKeyFile),
      OOG_REQUEST_TOKEN_KEY_FILE: loadSecretKey(config.requestTokenKeyFile),
    };
    const subjectRef = createSubjectHasher(secrets.OOG_SUBJECT_KEY_FILE);
    const signer = loadSignerFromFiles(
      config.gatewayKeyFile.replace(/\.key\.pem$/, '.cert.pem'),
      config.gatewayKeyFile,
    );
    if (signer.participantId !== config.gatewayId) {
      throw new Error(
        `the gateway key belongs to ${signer.participantId}, not to OOG_GATEWAY_ID ${config.gatewayId}`,
      );
    }
    const policies: Policy[] = loadPolicies(config.policiesDir);
    const xoevSchemas = loadXoevSchemas();
    const { material } = loadTrustMaterial(config.participantsFile);

    // Storage, refused where the anchor shows a log existed but the store is missing (bootstrap/transfer-log.ts).
    const anchor = createFileCheckpointAnchor(config.logAnchorFile);
    const opened = await openGuardedStorage(config, clock, anchor, secrets);
    const storage = opened.storage;
    closers.push(() => storage.close());

    // Demo services first, so their real addresses can replace the example endpoints.
    let endpoints: Readonly<Record<string, string>> = { ...options.endpointOverrides };
    if (config.demo) {
      endpoints = await startDemoRegisters({
        config,
        material,
        signer,
        schemas: xoevSchemas,
        overrides: endpoints,
        ports: options.demoPorts,
        closers,
      });
    }
    let idp: RunningGateway['idp'];
    let demoOp: DemoOpenIdProvider | undefined;
    if (config.idp.issuer && config.idp.jwksUrl && config.idp.audience) {
      idp = { issuer: config.idp.issuer, audience: config.idp.audience };
    } else if (config.demo) {
      const demo = await startDemoIdentityProvider(config, options.demoPorts, closers);
      demoOp = demo.op;
      idp = { issuer: demo.issuer, audience: config.gatewayId, key: demo.key };
    } else {
      throw new Error(
        'no identity provider: set OOG_IDP_ISSUER, OOG_IDP_JWKS_URL and OOG_IDP_AUDIENCE, or OOG_DEMO=true',
      );
    }
    const trust = createTrustStore(withEndpoints(material, endpoints), clock);

    // Before serving: the store matches its anchor and a checkpoint covers every leaf; then the log's jobs.
    const { transferLog, verificationRuns } = await startTransferLog({
      config,
      storage,
      anchor,
      storeExisted: opened.existed,
      signer,
      clock,
      logger,
      closers,
    });

    // Callbacks to consumers (docs/callbacks.md): the storage's bounded outbox, delivered in the background.
    const metrics = createMetricsRegistry();
    registerDroppedLogLines(metrics, droppedLogLines);
    const callbacks = startCallbacks({
      settings: config.callbacks,
      outbox: storage.outbox,
      trust,
      clock,
      logger,
      registry: metrics,
      demo: config.demo,
      exampleSecretsFile: EXAMPLE_CALLBACK_SECRETS_FILE,
    });
    closers.push(() => callbacks.close());
    // The result is logged already; a callback that cannot be stored costs the consumer only a poll.
    const notifyConsumer = (event: Omit<Parameters<CallbackNotifier['notify']>[0], 'at'>) => {
      callbacks
        .notify({ ...event, at: new Date(clock.nowMs()).toISOString() })
        .catch((error: unknown) =>
          logger.error(
            { event: 'callback.enqueue_failed', err: error, id: event.id },
            'callback.enqueue_failed',
          ),
        );
    };

    const consents = createConsentService({
      store: storage.consents,
      clock,
      newId: randomUUID,
      lock: storage.lock('consents'),
    });
    // Once, by the instance that runs the demo services (a second one would race it).
    if (config.demo && config.demoServices.mode === 'embedded') await seedDemoConsent(consents, subjectRef);

    // Preview before use: evidence waits sealed under its own key; a sweep expires overdue previews.
    const previews = createPreviewService({
      store: storage.previews,
      sealer: createEvidenceSealer(secrets.OOG_PREVIEW_KEY_FILE.subarray(0, 32)),
      clock,
      log: transferLog,
      guardRelease: consents.guardRelease,
      lock: storage.lock('previews'),
      collectWindowMs: config.previewCollectS * 1000,
      onFinished: (event) => {
        logger.info({ event: `transfer.${event.status}`, ...event }, 'preview.finished');
        notifyConsumer({
          consumer: event.consumer,
          type: 'exchange.finished',
          id: event.exchangeId,
          status:
            event.status === 'released'
              ? 'released'
              : event.code === 'ERR_PREVIEW_REJECTED'
                ? 'preview-rejected'
                : 'refused',
          ...(event.code === undefined ? {} : { code: event.code }),
        });
      },
    });
    closers.push(await startPreviewSweep(previews, logger, config.previewSweepS));

    let publicUrl = `http://${config.host}:${config.port}`;
    const citizen = composeConsents({
      config,
      clock,
      trust,
      policies,
      signer,
      consents,
      replay: storage.replay,
      store: storage.consentRequests,
      subjectRef,
      tokenKey: secrets.OOG_REQUEST_TOKEN_KEY_FILE,
      lock: storage.lock('consent-requests'),
      publicUrl: () => publicUrl,
      onRequestFinished: (request) => {
        logger.info(
          { event: `consent-request.${request.state}`, id: request.id, consumer: request.consumer },
          'consent-request.finished',
        );
        if (request.state !== 'requested') {
          notifyConsumer({
            consumer: request.consumer,
            type: 'consent-request.finished',
            id: request.id,
            status: request.state,
          });
        }
      },
    });
    const logReaders = composeAudit({
      store: storage.log,
      log: transferLog,
      trust,
      policies,
      gatewayId: config.gatewayId,
      subjectRef,
      clock,
      citizenExtras: async (idnr) => ({
        consents: (await consents.list(subjectRef(idnr))).map(toWireConsent),
        consentRequests: await citizen.http.listMine(idnr),
        previews: (await previews.list(subjectRef(idnr))).map((view) =>
          toWirePreview(toPreviewItem(view, trust)),
        ),
      }),
    });

    const exchange = createExchange(
      exchangeDeps({
        config,
        clock,
        trust,
        policies,
        signer,
        storage,
        consents,
        previews,
        transferLog,
        subjectRef,
        closers,
        schemas: xoevSchemas,
      }),
    );

    // Exchanges a crash left forwarded and unanswered get their final record before serving, and a sweep settles
    // those of a store failure or of the last seconds before the crash once the provider timeout has passed.
    const orphans = createOrphanSettlement({
      store: storage.log,
      log: transferLog,
      clock,
      providerTimeoutMs: config.providerTimeoutMs,
      running: exchange.running,
      onSettled: (record) => {
        logger.warn(
          {
            event: 'transfer.refused',
            exchangeId: record.exchangeId,
            consumer: record.consumer,
            code: record.code,
          },
          'transfer.refused: an exchange the gateway stopped during has no known outcome',
        );
        if (record.consumer !== undefined) {
          notifyConsumer({
            consumer: record.consumer,
            type: 'exchange.finished',
            id: record.exchangeId,
            status: 'refused',
            code: 'ERR_OUTCOME_UNKNOWN',
          });
        }
      },
    });
    closers.push(await startOrphanSettlement(orphans, logger, config.providerTimeoutMs));

    const bearer = createBearerVerifier({
      issuer: idp.issuer,
      audience: idp.audience,
      jwks: new URL(config.idp.jwksUrl ?? `${idp.issuer}/jwks`),
    });
    const agencyAuth = createAgencyAuthVerifier({
      trust,
      clock,
      gatewayId: config.gatewayId,
      algorithms: [...config.jwsAlgs],
    });
    const jwk = {
      ...(await exportJWK(signer.certificate.publicKey)),
      kid: signer.kid,
      alg: signer.alg,
      use: 'sig',
    };
    const citizenApp = { consents, previews, subjectRef, trust, receiptOf: citizen.receiptOf };
    const services: HttpServices = {
      exchange: createExchangeApp({
        exchange,
        store: storage.log,
        log: transferLog,
        previews,
        trust,
        signer,
        clock,
        gatewayId: config.gatewayId,
        logger,
      }),
      consents: createCitizenConsents(citizenApp),
      consentRequests: citizen.http,
      audit: logReaders.audit,
      citizenAccess: logReaders.citizen,
      previews: createCitizenPreviews(citizenApp),
      auth: {
        citizen: (token) => bearer.citizen(token),
        dpo: (token) => bearer.dpo(token),
        async agency(token) {
          const auth = await agencyAuth(token);
          if (!(await storage.replay.remember(`agency-auth:${auth.agency}`, auth.jti, auth.exp * 1000))) {
            throw new GatewayError('ERR_AUTH', 'this token was already used');
          }
          return { agency: auth.agency };
        },
      },
      health: {
        async ready() {
          const store = await storage.health.ready();
          return { ok: store, checks: { store, keys: true, policies: policies.length > 0 } };
        },
      },
      jwks: () => ({ keys: [jwk] }),
      metrics,
    };

    // The portal's router is built once the server listens: its redirect URI defaults to the server's own URL.
    const portal: { router?: RequestHandler } = {};
    const web: RequestHandler = (req, res, next) => (portal.router ? portal.router(req, res, next) : next());
    const app = createApp({ services, config, logger, web });
    const server = await startServer(app, { port: config.port, host: config.host });
    publicUrl = config.publicUrl ?? server.url;
    closers.push(() => server.close());
    portal.router = await startPortal({
      config,
      serverUrl: server.url,
      issuer: idp.issuer,
      demoOp,
      services,
      receiptOf: citizen.receiptOf,
      consents,
      subjectRef,
      store: storage.log,
      sessionStore: storage.webSessions,
      verification: verificationRuns,
      signer,
      trust,
      policies,
      clock,
      logger,
    });
    logger.info({ event: 'gateway.started', url: server.url, demo: config.demo }, 'gateway.started');
    return {
      url: server.url,
      config,
      idp,
      trust,
      signer,
      logStore: storage.log,
      backend: storage.backend,
      transferLog,
      subjectRef,
      callbacks,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
