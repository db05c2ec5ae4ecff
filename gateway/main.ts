/**
 * Composition root (STYLE.md): builds the adapters from the validated configuration, hands them to the core, and
 * starts HTTP. In demo mode it also starts the demo providers and the demo identity provider in this process
 * and seeds Erika's standing consent (PROTOCOL.md §7).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportJWK } from 'jose';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { EXAMPLE_CALLBACK_SECRETS_FILE, type Config } from './config.js';
import { GatewayError } from './core/errors.js';
import { isoTime } from './core/time.js';
import type { CallbackNotifier, Clock, Signer } from './core/ports.js';
import { createTrustStore } from './core/trust/index.js';
import type { TrustMaterial } from './core/trust/index.js';
import { evaluatePolicy } from './core/policy/index.js';
import type { Policy } from './core/policy/index.js';
import { createConsentService } from './core/consent/index.js';
import { createKeyedLock } from './core/keyed-lock.js';
import { createEvidenceSealer, createPreviewService } from './core/preview/index.js';
import type { PreviewService as CorePreviewService } from './core/preview/index.js';
import { createSubjectHasher } from './core/subject.js';
import {
  checkAnchor,
  createTransferLog,
  createVerificationRuns,
  verifyCheckpoint,
} from './core/transfer-log/index.js';
import {
  claimedOfXoev,
  createAgencyAuthVerifier,
  createJsonWireFormat,
  createXoevWireFormat,
} from './core/envelope/index.js';
import { signXoevRejection } from './core/envelope/xoev/index.js';
import {
  createExchange,
  createOrphanSettlement,
  createRefusalBudget,
  ExchangeRefusal,
  ORPHAN_GRACE_MS,
  type OrphanSettlement,
} from './core/exchange/index.js';
import type { ExchangeDeps, MessageFormat, PolicyVerdict } from './core/exchange/index.js';
import { systemClock } from './adapters/system-clock.js';
import { SqliteDatabase } from './adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from './adapters/sqlite/sqlite-transfer-log-store.js';
import { SqliteReplayStore } from './adapters/sqlite/sqlite-replay-store.js';
import { SqliteConsentStore } from './adapters/sqlite/sqlite-consent-store.js';
import { SqlitePreviewStore } from './adapters/sqlite/sqlite-preview-store.js';
import { SqliteConsentRequestStore } from './adapters/sqlite/sqlite-consent-request-store.js';
import { composeConsents } from './compose-consents.js';
import { composeAudit } from './compose-audit.js';
import {
  createFileCheckpointAnchor,
  loadSignerFromFiles,
  loadTrustMaterial,
} from './adapters/files/index.js';
import { LogAnchorError } from './describe-anchor-failure.js';
import { loadPolicies } from './adapters/files/load-policies.js';
import { loadXoevSchemas } from './adapters/files/load-xoev-schemas.js';
import { startCallbacks } from './adapters/callbacks/index.js';
import { createBearerVerifier } from './adapters/idp/create-bearer-verifier.js';
import type { DemoIdpKey } from './adapters/idp/demo-identity-provider.js';
import type { DemoOpenIdProvider } from './adapters/idp/demo-openid-provider.js';
import { SqliteWebSessionStore } from './adapters/sqlite/sqlite-web-session-store.js';
import { SqliteVerificationRunStore } from './adapters/sqlite/sqlite-verification-run-store.js';
import { createHttpJsonConnector } from '../connectors/index.js';
import { createHttpXoevConnector } from '../connectors/http-xoev/index.js';
import { startDemoMeldebehoerde, startDemoStandesamt } from '../demo-registers/index.js';
import { createApp, createMetricsRegistry, registerDroppedLogLines, startServer } from './http/index.js';
import { toWireConsent, toWirePreview } from './http/index.js';
import type { HttpServices, PreviewItem } from './http/index.js';
import { createOidcLogin, createSessionManager, createWebRouter } from './web/index.js';
import type { ConsentOption, WebServices } from './web/index.js';
import type { RequestHandler } from 'express';
import { isValidIdnr } from './core/ids.js';
import { createLogger, droppedLogLines } from './log.js';
import { fromRoot } from './paths.js';

/** The demo citizen who holds a standing consent for the Wohngeldstelle (PROTOCOL.md §7). */
const DEMO_CONSENT = {
  idnr: '93141705862',
  consumer: 'ags:09999001',
  evidenceTypes: ['meldebescheinigung'],
  purpose: 'wohngeld-antrag',
} as const;

export interface StartOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Replace providers' endpoint URLs (tests point a provider at a fake). */
  readonly endpointOverrides?: Readonly<Record<string, string>>;
  /** Ports of the demo services; 0 picks free ones (tests). */
  readonly demoPorts?: {
    readonly meldebehoerde?: number;
    readonly standesamt?: number;
    readonly idp?: number;
  };
}

export interface RunningGateway {
  readonly url: string;
  readonly config: Config;
  readonly idp: { readonly issuer: string; readonly audience: string; readonly key?: DemoIdpKey };
  readonly trust: ReturnType<typeof createTrustStore>;
  readonly signer: Signer;
  readonly logStore: SqliteTransferLogStore;
  /** The SQLite file every store shares (operations, fault tests). */
  readonly database: SqliteDatabase;
  readonly transferLog: ReturnType<typeof createTransferLog>;
  readonly subjectRef: (idnr: string) => string;
  /** Tells a consumer that its exchange or consent request finished (docs/callbacks.md). */
  readonly callbacks: CallbackNotifier;
  close(): Promise<void>;
}

export const DEMO_IDP_PORT = 8090;
/** The portal's client id at the demo OpenID Provider (its secret is made fresh at every start). */
export const DEMO_PORTAL_CLIENT_ID = 'oog-portal';

/** Loads the demo identity provider's example key from certs-example/demo-idp/. */
export async function loadDemoIdpKey(): Promise<DemoIdpKey> {
  const jwk = JSON.parse(readFileSync(fromRoot('certs-example/demo-idp/public.jwk.json'), 'utf8')) as JWK;
  const privateKey = createPrivateKey(readFileSync(fromRoot('certs-example/demo-idp/private.key.pem')));
  return { privateKey, publicKey: createPublicKey(privateKey), kid: String(jwk.kid) };
}

/** Reads a 32-byte gateway secret (subject references, preview sealing), creating it (0600) on first start. */
function loadSecretKey(file: string): Buffer {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length < 32) throw new Error(`${file}: the key must be at least 32 bytes (base64)`);
  chmodSync(file, 0o600);
  return key;
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
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn();
  };

  try {
    if (config.databaseUrl) {
      throw new Error(
        'DATABASE_URL is set, but this version stores only in embedded SQLite (OOG_DATA_DIR); unset it',
      );
    }
    mkdirSync(config.dataDir, { recursive: true });
    const subjectRef = createSubjectHasher(loadSecretKey(config.subjectKeyFile));
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

    // Demo services first, so their real addresses can replace the example endpoints.
    const overrides: Record<string, string> = { ...options.endpointOverrides };
    let idp: RunningGateway['idp'];
    let demoOp: DemoOpenIdProvider | undefined;
    if (config.demo) {
      const gatewayCert = { id: config.gatewayId, certificates: [signer.certificate] };
      const participants = material.participants;
      const signerOf = (id: string) => {
        const file = fromRoot(`certs-example/participants/${id.replace(':', '-')}`);
        if (!participants.some((p) => p.id === id))
          throw new Error(`demo participant ${id} is not registered`);
        return loadSignerFromFiles(`${file}.cert.pem`, `${file}.key.pem`);
      };
      if (!overrides['mld:09999001']) {
        const mld = await startDemoMeldebehoerde({
          dbPath: join(config.dataDir, 'demo-meldebehoerde.db'),
          signer: signerOf('mld:09999001'),
          gateway: gatewayCert,
          port: options.demoPorts?.meldebehoerde ?? 8081,
        });
        closers.push(() => mld.close());
        overrides['mld:09999001'] = mld.url;
      }
      if (!overrides['psw:09999001']) {
        const psw = await startDemoStandesamt({
          dbPath: join(config.dataDir, 'demo-standesamt.db'),
          signer: signerOf('psw:09999001'),
          gateway: gatewayCert,
          schemas: xoevSchemas,
          port: options.demoPorts?.standesamt ?? 8082,
        });
        closers.push(() => psw.close());
        overrides['psw:09999001'] = psw.url;
      }
    }
    if (config.idp.issuer && config.idp.jwksUrl && config.idp.audience) {
      idp = { issuer: config.idp.issuer, audience: config.idp.audience };
    } else if (config.demo) {
      const key = await loadDemoIdpKey();
      // Loaded only in demo mode: a production gateway never loads the OpenID Provider library.
      const { startDemoOpenIdProvider } = await import('./adapters/idp/demo-openid-provider.js');
      const op = await startDemoOpenIdProvider({ key, port: options.demoPorts?.idp ?? DEMO_IDP_PORT });
      closers.push(() => op.close());
      demoOp = op;
      idp = { issuer: op.issuer, audience: config.gatewayId, key };
    } else {
      throw new Error(
        'no identity provider: set OOG_IDP_ISSUER, OOG_IDP_JWKS_URL and OOG_IDP_AUDIENCE, or OOG_DEMO=true',
      );
    }
    const jwksUrl = config.idp.jwksUrl ?? `${idp.issuer}/jwks`;

    const trust = createTrustStore(withEndpoints(material, overrides), clock);

    // Storage: one SQLite file, WAL + synchronous=FULL, group-committed. Its checkpoints are also kept in the
    // anchor, outside the store: a missing store where the anchor shows a log existed is refused before a new,
    // empty one is created in its place.
    const storeFile = join(config.dataDir, 'gateway.db');
    const anchor = createFileCheckpointAnchor(config.logAnchorFile);
    const storeExisted = existsSync(storeFile);
    if (!storeExisted && (await anchor.exists())) {
      const anchored = await anchor.latest().catch(() => undefined);
      throw new LogAnchorError(
        { ok: false, reason: 'store-missing', ...(anchored ? { anchorSize: anchored.treeSize } : {}) },
        { storeFile, anchorFile: anchor.location },
      );
    }
    const db = new SqliteDatabase(storeFile);
    closers.push(() => db.close());
    const logStore = new SqliteTransferLogStore(db);
    const replay = new SqliteReplayStore(db, clock);
    const consentStore = new SqliteConsentStore(db);
    const transferLog = createTransferLog({
      store: logStore,
      signer,
      clock,
      gatewayId: config.gatewayId,
      anchor,
    });

    // Before serving: the store is not behind, short of, or other than its anchor (a restored backup would
    // otherwise release again what was released after the backup: the replay store is in the same file), and
    // the leaves a crash left after the last checkpoint verify. Then a checkpoint covers them.
    const anchorStarted = Date.now();
    const anchorCheck = await checkAnchor({
      store: logStore,
      anchor,
      storeExisted,
      issuer: config.gatewayId,
      checkpointKey: (kid) => (kid === signer.kid ? createPublicKey(signer.privateKey) : undefined),
    });
    if (!anchorCheck.ok) {
      throw new LogAnchorError(anchorCheck, { storeFile, anchorFile: anchor.location });
    }
    if (anchorCheck.caughtUp) {
      logger.warn(
        { event: 'log.anchor_caught_up', treeSize: anchorCheck.trusted?.treeSize, anchor: anchor.location },
        'log.anchor_caught_up: the store held a newer signed checkpoint than the anchor; it is anchored now',
      );
    }
    const head = await transferLog.checkpoint();
    logger.info(
      {
        event: 'log.anchor_checked',
        size: anchorCheck.size,
        anchoredSize: anchorCheck.trusted?.treeSize ?? 0,
        checkpointSize: head.treeSize,
        created: anchorCheck.created,
        ms: Date.now() - anchorStarted,
      },
      'log.anchor_checked',
    );

    // Every record is covered by a signed, anchored checkpoint within checkpointIntervalS, and at shutdown
    // (this closer runs after the HTTP server and the background work have stopped, before the store closes).
    closers.push(scheduleCheckpoints(transferLog, logger, config.checkpointIntervalS));

    // The full verification (every leaf recomputed) runs in the background, so a restart on a large log serves
    // within seconds; a mismatch is an incident (log.verify_mismatch) and is recorded for the DPO.
    const verificationRuns = createVerificationRuns({
      verify: () => transferLog.verifyStored(),
      store: new SqliteVerificationRunStore(db),
      clock,
      onRun: (run) => {
        if (run.ok) {
          logger.info(
            {
              event: 'log.verified',
              trigger: run.trigger,
              size: run.size,
              ms: run.finishedAt - run.startedAt,
            },
            'log.verified',
          );
        } else {
          // The log does not match its signed checkpoint: an incident for operators, not only a line for the DPO.
          logger.error(
            {
              event: 'log.verify_mismatch',
              trigger: run.trigger,
              reason: run.reason,
              firstBadIndex: run.firstBadIndex,
            },
            'log.verify_mismatch: the stored transfer log does not verify',
          );
        }
      },
    });
    const startupRun = verificationRuns
      .run('startup')
      .catch((error: unknown) =>
        logger.error({ event: 'log.verify_failed', err: error }, 'log.verify_failed'),
      );
    closers.push(() => startupRun.then(() => undefined));

    if (config.verifyIntervalS > 0) {
      const timer = setInterval(() => {
        verificationRuns
          .run('schedule')
          .catch((error: unknown) =>
            logger.error({ event: 'log.verify_failed', err: error }, 'log.verify_failed'),
          );
      }, config.verifyIntervalS * 1000);
      timer.unref();
      closers.push(() => clearInterval(timer));
    }

    if (config.purgeIntervalS > 0) {
      closers.push(schedulePurge(logStore, clock, logger, config.purgeIntervalS));
    }

    // Callbacks to consumers (docs/callbacks.md): a bounded outbox in this database, delivered in the background.
    const metrics = createMetricsRegistry();
    registerDroppedLogLines(metrics, droppedLogLines);
    const callbacks = startCallbacks({
      settings: config.callbacks,
      database: db,
      trust,
      clock,
      logger,
      registry: metrics,
      demo: config.demo,
      exampleSecretsFile: EXAMPLE_CALLBACK_SECRETS_FILE,
    });
    closers.push(() => callbacks.close());

    const consents = createConsentService({
      store: consentStore,
      clock,
      newId: randomUUID,
      lock: createKeyedLock(),
    });
    if (config.demo) await seedDemoConsent(consents, subjectRef);

    // The result is logged already; a callback that cannot be stored costs the consumer only a poll.
    const notifyConsumer = (event: Omit<Parameters<CallbackNotifier['notify']>[0], 'at'>) => {
      callbacks
        .notify({ ...event, at: new Date(clock.nowMs()).toISOString() })
        .catch((error: unknown) => logger.error({ err: error, id: event.id }, 'callback.enqueue_failed'));
    };

    // Preview before use: evidence waits sealed under its own key; a sweep expires overdue previews.
    const previews = createPreviewService({
      store: new SqlitePreviewStore(db),
      sealer: createEvidenceSealer(loadSecretKey(config.previewKeyFile).subarray(0, 32)),
      clock,
      log: transferLog,
      guardRelease: consents.guardRelease,
      lock: createKeyedLock(),
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
    let publicUrl = `http://${config.host}:${config.port}`;
    const citizen = composeConsents({
      config,
      clock,
      trust,
      policies,
      signer,
      consents,
      replay,
      store: new SqliteConsentRequestStore(db),
      subjectRef,
      tokenKey: loadSecretKey(join(config.dataDir, 'request-token.key')),
      lock: createKeyedLock(),
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
      store: logStore,
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
    const sweep = setInterval(() => {
      previews.sweep().catch((error: unknown) => logger.error({ err: error }, 'preview.sweep_failed'));
    }, config.previewSweepS * 1000);
    sweep.unref();
    closers.push(() => clearInterval(sweep));

    const algorithms = [...config.jwsAlgs];
    // The wire formats (gateway/core/envelope/json/, xoev/): what is read from consumers, forwarded, checked.
    const formats: ExchangeDeps['formats'] = {
      json: createJsonWireFormat({
        trust,
        clock,
        gatewayId: config.gatewayId,
        signer,
        algorithms,
        maxAgeSeconds: config.maxAgeS,
        skewSeconds: config.skewS,
      }),
      xoev: createXoevWireFormat({ trust, clock, gatewayId: config.gatewayId, schemas: xoevSchemas, signer }),
    };
    const httpJson = createHttpJsonConnector({ timeoutMs: config.providerTimeoutMs });
    const httpXoev = createHttpXoevConnector({ timeoutMs: config.providerTimeoutMs });
    closers.push(() => httpJson.close());

    const deps: ExchangeDeps = {
      clock,
      trust,
      replay,
      formats,
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
        const consent = await consentStore.get(consentId);
        return consent !== undefined && (await consents.claim(consent, exchangeId));
      },
      subjectRef,
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
    const exchange = createExchange(deps);

    // Exchanges a crash left forwarded and unanswered get their final record before serving, and a sweep settles
    // those of a store failure or of the last seconds before the crash once the provider timeout has passed.
    const orphans = createOrphanSettlement({
      store: logStore,
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
    closers.push(await scheduleOrphanSettlement(orphans, logger, config.providerTimeoutMs));

    const bearer = createBearerVerifier({
      issuer: idp.issuer,
      audience: idp.audience,
      jwks: new URL(jwksUrl),
    });
    const agencyAuth = createAgencyAuthVerifier({ trust, clock, gatewayId: config.gatewayId, algorithms });
    const jwk = {
      ...(await exportJWK(signer.certificate.publicKey)),
      kid: signer.kid,
      alg: signer.alg,
      use: 'sig',
    };

    const services: HttpServices = {
      exchange: {
        async submit({ body, contentType, requestId, source }) {
          const format: MessageFormat = contentType === 'application/xml' ? 'xoev' : 'json';
          let released;
          try {
            released = await exchange.submit(format, body.toString('utf8'), source);
          } catch (error) {
            const refusal = error instanceof ExchangeRefusal ? error : undefined;
            logger.info(
              { event: 'transfer.refused', exchangeId: refusal?.exchangeId, requestId, code: refusal?.code },
              'transfer.refused',
            );
            throw error;
          }
          if (released.status === 'awaiting-citizen') {
            logger.info(
              { event: 'transfer.held', exchangeId: released.exchangeId, requestId },
              'transfer.held',
            );
            return { status: 202, body: released };
          }
          logger.info(
            { event: 'transfer.released', exchangeId: released.exchangeId, requestId },
            'transfer.released',
          );
          return { status: 200, body: released };
        },
        async get({ exchangeId, agency }) {
          return describeExchange(logStore, transferLog, previews, exchangeId, agency);
        },
        renderRefusal(thrown, problem) {
          // Refused before anyone was authenticated or logged, like a too-large body: problem+json (docs/xoev.md).
          if (problem.code === 'ERR_RATE_LIMITED') return undefined;
          // The refusal names the sender its message named (verified, or only claimed before the signature).
          const sender = thrown instanceof ExchangeRefusal ? thrown.sender : undefined;
          if (sender === undefined) return undefined;
          try {
            const text = signXoevRejection(
              { signer, clock, name: trust.participant(config.gatewayId)?.name },
              { to: { id: sender.id, name: trust.participant(sender.id)?.name ?? sender.id } },
              {
                code: problem.code,
                description: `${problem.instance}${problem.detail ? ` ${problem.detail}` : ''}`,
                refersTo: sender.messageId,
              },
            );
            return { contentType: 'application/xml; charset=utf-8', text };
          } catch {
            return undefined; // a claimed id XML cannot carry: the problem document it is
          }
        },
      },
      consents: {
        list: (idnr) => consents.list(subjectRef(idnr)),
        async give(idnr, request) {
          const consent = await consents.give(subjectRef(idnr), {
            consumer: request.consumer,
            evidenceTypes: request.evidenceTypes,
            purpose: request.purpose,
            validUntil:
              request.validUntil === undefined ? undefined : new Date(request.validUntil).toISOString(),
            singleUse: request.singleUse,
          });
          return { consent, receipt: await citizen.receiptOf(consent) };
        },
        async withdraw(idnr, id) {
          const consent = await consents.withdraw(subjectRef(idnr), id);
          if (consent === undefined) return undefined;
          // For the future (DSGVO Art. 7(3)): evidence still waiting for preview under it is withheld now.
          if (consent.events.some((e) => e.type === 'withdrawn')) {
            await previews.cancelForConsent(consent.id, 'ERR_CONSENT_WITHDRAWN');
          }
          return { consent, receipt: await citizen.receiptOf(consent) };
        },
      },
      consentRequests: citizen.http,
      audit: logReaders.audit,
      citizenAccess: logReaders.citizen,
      previews: {
        list: async (idnr) =>
          (await previews.list(subjectRef(idnr))).map((view) => toPreviewItem(view, trust)),
        decide: async (idnr, exchangeId, decision) =>
          toPreviewItem(await previews.decide(subjectRef(idnr), exchangeId, decision), trust),
      },
      auth: {
        citizen: (token) => bearer.citizen(token),
        dpo: (token) => bearer.dpo(token),
        async agency(token) {
          const auth = await agencyAuth(token);
          if (!(await replay.remember(`agency-auth:${auth.agency}`, auth.jti, auth.exp * 1000))) {
            throw new GatewayError('ERR_AUTH', 'this token was already used');
          }
          return { agency: auth.agency };
        },
      },
      health: {
        async ready() {
          const store = await db.ready();
          return { ok: store, checks: { store, keys: true, policies: policies.length > 0 } };
        },
      },
      jwks: () => ({ keys: [jwk] }),
      metrics,
    };

    // The portal's router is built once the server listens: its redirect URI defaults to the server's own URL.
    let portal: RequestHandler | undefined;
    const web: RequestHandler = (req, res, next) => (portal ? portal(req, res, next) : next());
    const app = createApp({ services, config, logger, web });
    const server = await startServer(app, { port: config.port, host: config.host });
    publicUrl = config.publicUrl ?? server.url;
    closers.push(() => server.close());
    const clientId = config.web.clientId ?? (config.demo ? DEMO_PORTAL_CLIENT_ID : undefined);
    if (clientId === undefined) {
      logger.info({ event: 'web.disabled' }, 'web.disabled: set OOG_OIDC_CLIENT_ID for the portal');
    } else {
      const redirectUri = new URL(config.web.redirectUri ?? `${server.url}/auth/callback`);
      const secure = redirectUri.protocol === 'https:';
      if (!secure && !/^(127\.[0-9.]+|localhost|\[::1\])$/.test(redirectUri.hostname)) {
        throw new Error('OOG_OIDC_REDIRECT_URI must be https:// unless the portal runs on localhost');
      }
      const postLogoutRedirectUri = `${redirectUri.origin}/auth/logged-out`;
      let clientSecret = config.web.clientSecret;
      if (demoOp !== undefined) {
        clientSecret ??= randomBytes(32).toString('base64url');
        await demoOp.configureClient({
          clientId,
          clientSecret,
          redirectUri: redirectUri.href,
          postLogoutRedirectUri,
        });
      }
      const sessionStore = new SqliteWebSessionStore(db);
      const consentOptions = consentOptionsOf(policies);
      const webServices: WebServices = {
        consents: services.consents,
        consentRequests: citizen.http,
        previews: services.previews,
        citizenAccess: logReaders.citizen,
        audit: logReaders.audit,
        transferCounts: (range, scope) =>
          logStore.countTransfers({
            ...range,
            ...(scope.participants === undefined ? {} : { participants: scope.participants }),
          }),
        verification: verificationRuns,
        async openCheckpoint(jws) {
          const verified = await verifyCheckpoint(jws, signer.certificate.publicKey, {
            issuer: config.gatewayId,
          });
          return verified.ok ? verified.checkpoint : undefined;
        },
        async consentReceipt(idnr, id) {
          const consent = (await consents.list(subjectRef(idnr))).find((c) => c.id === id);
          if (consent === undefined) return undefined;
          return citizen.receiptOf(consent);
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
          const checkpoint = await logStore.latestCheckpoint();
          return {
            size: await logStore.size(),
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
      portal = createWebRouter({
        services: webServices,
        sessions: createSessionManager({
          store: sessionStore,
          clock,
          idleMs: config.web.sessionIdleS * 1000,
          maxMs: config.web.sessionMaxS * 1000,
          secure,
        }),
        login: createOidcLogin(
          {
            issuer: idp.issuer,
            clientId,
            ...(clientSecret === undefined ? {} : { clientSecret }),
            redirectUri: redirectUri.href,
            postLogoutRedirectUri,
          },
          isValidIdnr,
        ),
        clock,
        logger,
        origin: redirectUri.origin,
        issuerOrigin: new URL(idp.issuer).origin,
      });
    }
    logger.info({ event: 'gateway.started', url: server.url, demo: config.demo }, 'gateway.started');
    return {
      url: server.url,
      config,
      idp,
      trust,
      signer,
      logStore,
      database: db,
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

/**
 * The scheduled retention purge (DESIGN.md "Retention"): every `intervalS` seconds, the content of records whose
 * exchange's retention has ended is removed (leaf hashes stay). A failure is logged and the next tick tries
 * again; it never stops the gateway. The timer does not keep the process alive; the returned closer stops it
 * and waits for a purge under way, so the store is not closed beneath it.
 */
function schedulePurge(
  store: SqliteTransferLogStore,
  clock: Clock,
  logger: Logger,
  intervalS: number,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const run = () => {
    if (running) return;
    const started = Date.now();
    running = store
      .purgeRecords(isoTime(clock.nowMs()))
      .then(
        (purged) => {
          const level = purged > 0 ? 'info' : 'debug';
          logger[level]({ event: 'log.purged', purged, ms: Date.now() - started }, 'log.purged');
        },
        (error: unknown) => logger.error({ event: 'log.purge_failed', err: error }, 'log.purge_failed'),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(run, intervalS * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/**
 * Settles orphaned exchanges (core/exchange/settle-orphans.ts) once before the gateway serves, then on a timer as
 * often as an intent can become due (the provider timeout plus the grace, at most every 10 s). A failure is
 * logged and the next tick tries again. The returned closer stops the timer and waits for a run under way.
 */
async function scheduleOrphanSettlement(
  orphans: OrphanSettlement,
  logger: Logger,
  providerTimeoutMs: number,
): Promise<() => Promise<void>> {
  let running: Promise<void> | undefined;
  const run = () =>
    (running ??= orphans
      .settle()
      .then(
        (settled) => {
          if (settled > 0)
            logger.warn({ event: 'exchange.orphans_settled', settled }, 'exchange.orphans_settled');
        },
        (error: unknown) =>
          logger.error({ event: 'exchange.orphans_failed', err: error }, 'exchange.orphans_failed'),
      )
      .finally(() => {
        running = undefined;
      }));
  await run();
  const timer = setInterval(run, Math.min(providerTimeoutMs + ORPHAN_GRACE_MS, 10_000));
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/**
 * Signs a checkpoint every `intervalS` seconds if the log grew (TransferLog.checkpoint signs only then), so no
 * record stays unsigned for longer, whatever else asks for checkpoints. A failure is logged and retried at the
 * next tick. The returned closer stops the timer, waits for a checkpoint under way and signs the last one.
 */
function scheduleCheckpoints(
  log: ReturnType<typeof createTransferLog>,
  logger: Logger,
  intervalS: number,
): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const sign = () =>
    log.checkpoint().catch((error: unknown) => {
      logger.error({ event: 'log.checkpoint_failed', err: error }, 'log.checkpoint_failed');
    });
  const timer = setInterval(() => {
    running ??= sign().finally(() => {
      running = undefined;
    });
  }, intervalS * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
    await sign();
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

async function seedDemoConsent(
  consents: ReturnType<typeof createConsentService>,
  subjectRef: (idnr: string) => string,
): Promise<void> {
  const ref = subjectRef(DEMO_CONSENT.idnr);
  const existing = await consents.list(ref);
  if (existing.some((c) => c.consumer === DEMO_CONSENT.consumer && c.purpose === DEMO_CONSENT.purpose))
    return;
  await consents.give(ref, {
    consumer: DEMO_CONSENT.consumer,
    evidenceTypes: [...DEMO_CONSENT.evidenceTypes],
    purpose: DEMO_CONSENT.purpose,
  });
}

/** A held exchange as the citizen's preview list shows it, with the participants' names. */
function toPreviewItem(
  view: Awaited<ReturnType<CorePreviewService['list']>>[number],
  trust: ReturnType<typeof createTrustStore>,
): PreviewItem {
  const { entry, content } = view;
  const named = (id: string) => ({
    id,
    ...(trust.participant(id) ? { name: trust.participant(id)!.name } : {}),
  });
  return {
    exchangeId: entry.exchangeId,
    state: entry.state,
    consumer: named(entry.consumer),
    provider: named(entry.provider),
    evidenceType: entry.evidenceType,
    purpose: entry.purpose,
    legalBasis: entry.legalBasis,
    procedure: entry.procedure,
    heldAt: entry.heldAt,
    decideBy: entry.decideBy,
    ...(entry.decidedAt === undefined ? {} : { decidedAt: entry.decidedAt }),
    ...(content === undefined ? {} : { fields: content.fields, data: content.data }),
  };
}

/** The consumer's view of one of its exchanges, read from the transfer log (PROTOCOL.md §1c, polling). */
async function describeExchange(
  store: SqliteTransferLogStore,
  log: ReturnType<typeof createTransferLog>,
  previews: CorePreviewService,
  exchangeId: string,
  agency: string,
): Promise<object | undefined> {
  const leaves = await store.recordsByExchange(exchangeId);
  // A retention extension is about the exchange, not a step of it: the consumer's view shows the transfer.
  const records = leaves
    .filter((l) => l.record !== null)
    .map((l) => ({ leaf: l, record: JSON.parse(l.record!) as Record<string, unknown> }))
    .filter((r) => r.record['outcome'] !== 'retention-extended');
  if (
    records.length === 0 ||
    records.some((r) => r.record['consumer'] !== agency || r.record['authenticated'] !== true)
  ) {
    return undefined;
  }
  const last = records[records.length - 1]!;
  const outcome = last.record['outcome'];
  const body: Record<string, unknown> = {
    exchangeId,
    status: outcome === 'intent' ? 'pending' : outcome,
    evidenceType: last.record['evidenceType'],
    purpose: last.record['purpose'],
    time: last.record['time'],
  };
  if (outcome === 'refused' || outcome === 'withheld') body['code'] = last.record['code'];
  if (outcome === 'released' && last.record['preview'] === 'approved') {
    // Approved after preview: the evidence was held for collection; absent once the window has passed.
    const held = await previews.collect(exchangeId, agency);
    if (held !== undefined) body['evidence'] = held.evidence;
  }
  if (outcome === 'released') {
    body['receipt'] = await log.issueReceipt({
      exchangeId,
      leaf: { index: last.leaf.index, leafHash: last.leaf.leafHash },
    });
  }
  return body;
}
