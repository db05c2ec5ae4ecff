/**
 * The thin adapter between Express and openapi-backend: schemas/openapi.yaml decides routing (case-sensitive,
 * no trailing-slash folding), bearer checks (`security`), parameter and JSON body validation, and which handler
 * runs (`operationId`). Handlers get a small context and return a Reply; every refusal on the way becomes a
 * GatewayError and then a problem+json answer.
 */
import { readFileSync } from 'node:fs';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { OpenAPIBackend } from 'openapi-backend';
import type { Context, Document, Operation, Request as OpenApiRequest } from 'openapi-backend';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { GatewayError } from '../core/index.js';
import { fromRoot } from '../paths.js';
import type { ProblemOptions } from './problem.js';

export interface OperationContext {
  readonly req: Request;
  readonly res: Response;
  /** Path parameters, decoded and validated against the document. */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed JSON body (validated) or, for application/jose and application/xml, the raw bytes. */
  readonly body: unknown;
  /** What each security handler of the operation returned, by scheme name (e.g. `citizenBearer`). */
  readonly principals: Readonly<Record<string, unknown>>;
}

export type Reply =
  | {
      readonly status: number;
      readonly json?: unknown;
      readonly text?: string;
      readonly contentType?: string;
      readonly headers?: Readonly<Record<string, string>>;
      /** A body produced piece by piece (exports): written with back-pressure, never held whole. */
      readonly stream?: AsyncIterable<string>;
    }
  | { readonly problem: unknown; readonly options?: ProblemOptions };

export type OperationHandler = (context: OperationContext) => Promise<Reply> | Reply;

/** Checks a bearer token for one security scheme; returns the principal or throws GatewayError. */
export type SecurityHandler = (bearer: string) => Promise<unknown>;

export interface OpenApiAdapterOptions {
  readonly handlers: Readonly<Record<string, OperationHandler>>;
  readonly securityHandlers: Readonly<Record<string, SecurityHandler>>;
  readonly respondProblem: (req: Request, res: Response, error: unknown, options?: ProblemOptions) => void;
  /**
   * Body parser per media type. A body is read only after routing, and only by the parser of a media type the
   * operation declares: nothing is parsed for an unknown route or an unsupported type.
   */
  readonly bodyParsers: Readonly<Record<string, RequestHandler>>;
  /** The document; schemas/openapi.yaml by default. */
  readonly document?: Document;
}

export interface OpenApiAdapter {
  readonly middleware: RequestHandler;
  /** Settles when the document is dereferenced and the validators are compiled; rejects if it is broken. */
  readonly ready: Promise<void>;
}

let cachedDocument: Document | undefined;

/** Reads schemas/openapi.yaml once per process. */
export function readOpenApiDocument(): Document {
  cachedDocument ??= parseYaml(readFileSync(fromRoot('schemas/openapi.yaml'), 'utf8')) as Document;
  return structuredClone(cachedDocument);
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

function operationIdsOf(document: Document): string[] {
  const ids: string[] = [];
  for (const item of Object.values(document.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const id = (item as Record<string, { operationId?: string } | undefined> | undefined)?.[method]
        ?.operationId;
      if (id) ids.push(id);
    }
  }
  return ids;
}

/** The same matching openapi-backend uses: `{param}` stands for one non-empty path segment. */
function templateMatches(template: string, path: string): boolean {
  const pattern = template
    .split(/\{[^}]+\}/)
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${pattern}$`).test(path);
}

/** The media type of a request without parameters, lower-cased; '' if none. */
export function mediaTypeOf(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** 415 unless the request's media type is one the operation declares (PROTOCOL.md §6 ERR_MEDIA_TYPE). */
function checkMediaType(operation: Operation, req: Request): void {
  const requestBody = operation.requestBody as
    { required?: boolean; content?: Record<string, unknown> } | undefined;
  if (!requestBody?.content) return;
  const declared = Object.keys(requestBody.content);
  const mediaType = mediaTypeOf(req);
  if (mediaType === '' && !hasBody(req) && !requestBody.required) return;
  if (!declared.includes(mediaType)) {
    throw new GatewayError('ERR_MEDIA_TYPE', `Content-Type must be one of: ${declared.join(', ')}`);
  }
  const charset = charsetOf(req);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new GatewayError('ERR_MEDIA_TYPE', 'bodies are UTF-8: a charset parameter, if sent, must be utf-8');
  }
}

/**
 * The `charset` parameter of Content-Type (RFC 9110 §8.3.1: names and values case-insensitive, the value a
 * token or a quoted string), lower-cased; undefined if there is none. Every body the gateway reads is UTF-8,
 * so any other charset is refused rather than ignored: a receiver that honoured it would read other text.
 */
function charsetOf(req: Request): string | undefined {
  const parameters = (req.headers['content-type'] ?? '').split(';').slice(1);
  for (const parameter of parameters) {
    const at = parameter.indexOf('=');
    if (at < 0 || parameter.slice(0, at).trim().toLowerCase() !== 'charset') continue;
    const value = parameter.slice(at + 1).trim();
    return (value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value).toLowerCase();
  }
  return undefined;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_AUTHORIZATION = 8 * 1024;

/** The bearer token of `Authorization` (RFC 6750 §2.1); ERR_AUTH if absent or malformed. */
export function bearerOf(req: Request): string {
  const header = req.headers.authorization;
  const match = header !== undefined && header.length <= MAX_AUTHORIZATION ? BEARER.exec(header) : null;
  if (!match?.[1]) throw new GatewayError('ERR_AUTH', 'a bearer token is required');
  return match[1];
}

interface AjvError {
  readonly keyword: string;
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: { readonly additionalProperty?: string };
}

/** A validation failure in words: where, and what the schema wanted. No input values are echoed. */
function describeValidation(errors: readonly AjvError[]): GatewayError {
  if (errors.some((e) => e.keyword === 'parse')) {
    return new GatewayError('ERR_REQUEST_MALFORMED', 'the body is not parseable');
  }
  const first = errors[0];
  const where = (first?.instancePath ?? '').replace(/^\/requestBody/, '/body') || '/body';
  const member = first?.params?.additionalProperty;
  const what =
    first?.keyword === 'additionalProperties' && member && /^[A-Za-z0-9_-]{1,64}$/.test(member)
      ? `unknown member "${member}"`
      : (first?.message ?? 'is invalid');
  return new GatewayError('ERR_SCHEMA', `${where}: ${what}`);
}

function send(
  req: Request,
  res: Response,
  reply: Reply,
  respondProblem: OpenApiAdapterOptions['respondProblem'],
) {
  if ('problem' in reply) {
    respondProblem(req, res, reply.problem, reply.options);
    return;
  }
  res.status(reply.status);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.set(name, value);
  if (reply.stream !== undefined) {
    res.type(reply.contentType ?? 'text/plain; charset=utf-8');
    void pipeStream(res, reply.stream);
  } else if (reply.text !== undefined) {
    res.type(reply.contentType ?? 'text/plain; charset=utf-8').send(reply.text);
  } else if (reply.json !== undefined) {
    if (reply.contentType) res.type(reply.contentType);
    res.json(reply.json);
  } else {
    res.end();
  }
}

/** Writes the pieces as they come; a failure half-way aborts the response (the client sees a cut body). */
async function pipeStream(res: Response, pieces: AsyncIterable<string>): Promise<void> {
  try {
    for await (const piece of pieces) {
      if (res.destroyed) return;
      if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  } catch (error) {
    res.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}

function runMiddleware(middleware: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    void middleware(req, res, (error?: unknown) => (error ? reject(error) : resolve()));
  });
}

/**
 * Builds the OpenAPI middleware. Throws at once if the document is not valid OpenAPI or an operation has no
 * handler: a documented route that does not exist is a defect, not a 404.
 */
export function createOpenApiAdapter(options: OpenApiAdapterOptions): OpenApiAdapter {
  const document = options.document ?? readOpenApiDocument();
  const missing = operationIdsOf(document).filter((id) => !Object.hasOwn(options.handlers, id));
  if (missing.length > 0) throw new Error(`openapi: no handler for operation(s) ${missing.join(', ')}`);

  const api = new OpenAPIBackend({
    definition: document,
    strict: true,
    validate: true,
    ignoreTrailingSlashes: false,
    ajvOpts: { allErrors: false },
    customizeAjv: (ajv) => {
      addFormats.default(ajv);
      return ajv;
    },
  });
  // Check the document now, synchronously, so a broken one stops createApp instead of the first request.
  api.document = document;
  api.validateDefinition();

  const { respondProblem } = options;

  for (const [operationId, handler] of Object.entries(options.handlers)) {
    api.register(operationId, async (context: Context, req: Request, res: Response) => {
      const reply = await handler({
        req,
        res,
        params: context.request.params as Record<string, string>,
        body: req.body,
        principals: context.security ?? {},
      });
      send(req, res, reply, respondProblem);
    });
  }
  for (const [scheme, check] of Object.entries(options.securityHandlers)) {
    api.registerSecurityHandler(scheme, (_context: Context, req: Request) => check(bearerOf(req)));
  }

  api.register({
    notFound: () => {
      throw new GatewayError('ERR_NOT_FOUND');
    },
    methodNotAllowed: (_context: Context, req: Request, res: Response) => {
      const allowed = api
        .getOperations()
        .filter((op) => templateMatches(op.path, req.path))
        .map((op) => op.method.toUpperCase());
      respondProblem(
        req,
        res,
        new GatewayError('ERR_REQUEST_MALFORMED', 'method not allowed', { status: 405 }),
        {
          headers: { Allow: [...new Set(allowed)].join(', ') },
        },
      );
    },
    unauthorizedHandler: (context: Context) => {
      const failure = Object.values(context.security ?? {}).find(
        (result): result is { error: unknown } =>
          typeof result === 'object' && result !== null && 'error' in result && Boolean(result.error),
      );
      throw failure?.error ?? new GatewayError('ERR_AUTH', 'a bearer token is required');
    },
    validationFail: (context: Context) => {
      throw describeValidation((context.validation.errors ?? []) as AjvError[]);
    },
  });

  const ready = api.init().then(() => undefined);
  // The rejection is reported through `ready` (startServer awaits it); keep Node from calling it unhandled here.
  ready.catch(() => undefined);

  const middleware: RequestHandler = async (req: Request, res: Response, next: NextFunction) => {
    try {
      await ready;
      try {
        decodeURIComponent(req.path);
      } catch {
        throw new GatewayError('ERR_REQUEST_MALFORMED', 'the path is not valid percent-encoding');
      }
      const request: OpenApiRequest = {
        method: req.method,
        path: req.path,
        headers: req.headers as Record<string, string | string[]>,
        query: req.query as Record<string, string | string[]>,
      };
      const operation = api.matchOperation(request);
      if (operation) {
        res.locals['route'] = operation.path;
        checkMediaType(operation, req);
        const parser = options.bodyParsers[mediaTypeOf(req)];
        if (parser && operation.requestBody) await runMiddleware(parser, req, res);
      }
      // Raw bodies are the core's to read; only parsed JSON is validated here.
      request.body = Buffer.isBuffer(req.body) ? undefined : req.body;
      await api.handleRequest(request, req, res);
    } catch (error) {
      next(error);
    }
  };
  return { middleware, ready };
}
