/**
 * Builds the gateway's Express 5 app (DESIGN.md "http", SECURITY.md "HTTP"). The request lifecycle:
 *
 *   1. access log (pino-http: method, route, status, ms, requestId — no URL, headers or body)
 *   2. security headers (helmet, CSP default-src 'none'), Cache-Control: no-store
 *   3. metrics
 *   4. Content-Encoding other than identity → 415 ERR_MEDIA_TYPE (nothing is decompressed)
 *   4a. the web portal's pages, if configured (gateway/web/create-web-router.ts); everything else falls through
 *   5. openapi-backend (gateway/http/openapi-adapter.ts): route; media type checked against the operation
 *      (415); body read by the parser of that media type, with limits — application/jose and application/xml
 *      as raw bytes (the JWS/XMLDSig is verified over them), application/json parsed; bearer check;
 *      validation; handler
 *   6. any error → problem+json (gateway/http/problem.ts)
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Application, NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { GatewayError } from '../core/index.js';
import type { Config } from '../config.js';
import { createAuditHandlers } from './handlers/audit-handlers.js';
import { createConsentHandlers } from './handlers/consent-handlers.js';
import { createConsentRequestHandlers } from './handlers/consent-request-handlers.js';
import { createExchangeHandlers } from './handlers/exchange-handlers.js';
import { createOperationsHandlers } from './handlers/operations-handlers.js';
import { createPreviewHandlers } from './handlers/preview-handlers.js';
import { createHttpMetrics, observeRequests, routeOf } from './metrics.js';
import { closeAfterAnswer, jsonBody, rawBody } from './read-body.js';
import { createOpenApiAdapter } from './openapi-adapter.js';
import { createProblemResponder } from './problem.js';
import type { HttpServices } from '../app/index.js';

export interface CreateAppOptions {
  readonly services: HttpServices;
  /** Only the HTTP limits are read; pass the whole Config. */
  readonly config: Pick<Config, 'http'>;
  readonly logger: Logger;
  /** The web portal's routes (gateway/web), mounted before the OpenAPI adapter; absent: no portal. */
  readonly web?: RequestHandler;
}

/** body-parser's error `type` → the gateway's code (PROTOCOL.md §6); the portal's form parser is body-parser. */
function fromBodyParser(error: unknown): GatewayError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  switch ((error as { type: unknown }).type) {
    case 'entity.too.large':
      return new GatewayError('ERR_TOO_LARGE', 'the request body is over the limit', { cause: error });
    case 'entity.parse.failed':
      return new GatewayError('ERR_REQUEST_MALFORMED', 'the body is not parseable JSON', { cause: error });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new GatewayError('ERR_MEDIA_TYPE', 'unsupported content encoding or charset', { cause: error });
    case 'request.aborted':
    case 'request.size.invalid':
    case 'entity.verify.failed':
      return new GatewayError('ERR_REQUEST_MALFORMED', 'the request body was not received intact', {
        cause: error,
      });
    default:
      return undefined;
  }
}

/** In a regular expression with the u flag, a surrogate range matches only surrogates that are not paired. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * JSON.parse's reviver for plain JSON bodies: an escaped lone surrogate (`"\ud800"`) is grammatical JSON but no
 * Unicode text, so it is refused like the signed envelopes' parser does (gateway/core/envelope/strict-json.ts).
 * What it throws is a malformed body, hence 400 ERR_REQUEST_MALFORMED (gateway/http/read-body.ts).
 */
function refuseLoneSurrogates(key: string, value: unknown): unknown {
  if (LONE_SURROGATE.test(key) || (typeof value === 'string' && LONE_SURROGATE.test(value)))
    throw new SyntaxError('unpaired surrogate in a JSON string');
  return value;
}

/** Refuses compressed bodies: decompression would let a small request become a large one (a zip bomb). */
function refuseContentEncoding(req: Request, _res: Response, next: NextFunction): void {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    next(new GatewayError('ERR_MEDIA_TYPE', 'Content-Encoding is not supported; send the body uncompressed'));
    return;
  }
  next();
}

/**
 * The app, ready to hand to startServer. `app.locals.ready` settles once the OpenAPI document is compiled
 * (startServer awaits it). Throws at once if the document is invalid or an operation has no handler.
 */
export function createApp({ services, config, logger, web }: CreateAppOptions): Application {
  const registry = services.metrics ?? new Registry();
  const metrics = createHttpMetrics(registry);
  const respondProblem = createProblemResponder(logger);

  // `type: () => true`: the adapter has already matched the media type against the operation's declared ones.
  const rawParser = rawBody(config.http.evidenceLimitBytes);
  const adapter = createOpenApiAdapter({
    handlers: {
      ...createExchangeHandlers(services.exchange),
      ...createConsentHandlers(services.consents),
      ...createPreviewHandlers(services.previews),
      ...createConsentRequestHandlers(services.consentRequests),
      ...createAuditHandlers(services.audit, services.citizenAccess),
      ...createOperationsHandlers({ health: services.health, jwks: services.jwks, registry }),
    },
    securityHandlers: {
      citizenBearer: (bearer) => services.auth.citizen(bearer),
      agencyBearer: (bearer) => services.auth.agency(bearer),
      dpoBearer: (bearer) => services.auth.dpo(bearer),
    },
    respondProblem,
    bodyParsers: {
      'application/jose': rawParser,
      'application/xml': rawParser,
      'application/json': jsonBody(config.http.jsonLimitBytes, refuseLoneSurrogates),
    },
  });

  const app = express();
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  app.set('x-powered-by', false);
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.set('trust proxy', false);
  app.locals['ready'] = adapter.ready;

  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => {
        const id = randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      quietReqLogger: true,
      quietResLogger: true,
      customAttributeKeys: { reqId: 'requestId' },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      customSuccessMessage: () => 'http.request',
      customErrorMessage: () => 'http.request',
      customSuccessObject: (req, res, value: { responseTime: number }) => ({
        event: 'http.request',
        method: req.method,
        route: routeOf(res as Response),
        status: res.statusCode,
        ms: value.responseTime,
        ...(res.writableFinished ? {} : { aborted: true }),
      }),
      customErrorObject: (req, res, _error, value: { responseTime: number }) => ({
        event: 'http.request',
        method: req.method,
        route: routeOf(res as Response),
        status: res.statusCode,
        ms: value.responseTime,
      }),
      serializers: {
        req: (req: { method?: string }) => ({ method: req.method }),
        res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
      },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'none'"],
          'base-uri': ["'none'"],
          'form-action': ["'none'"],
          'frame-ancestors': ["'none'"],
        },
      },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  app.use((_req: Request, res: Response, next: NextFunction) => {
    // Answers carry personal data; handlers that serve public material (JWKS) relax this.
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use(observeRequests(metrics));
  app.use(refuseContentEncoding);
  // The portal's pages set their own Content-Security-Policy (one style sheet, forms to this origin).
  if (web !== undefined) app.use(web);
  app.use(adapter.middleware);

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // A refusal given before the body was read closes the connection: the rest is not read to be thrown away.
    closeAfterAnswer(req, res);
    respondProblem(req, res, fromBodyParser(error) ?? error);
  });
  return app;
}
