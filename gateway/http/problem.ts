/**
 * GatewayError → RFC 9457 `application/problem+json` (PROTOCOL.md §1c, §6). The one place where an error becomes
 * an HTTP answer: the caller gets the code, the catalogue title, a safe detail (none for ERR_INTERNAL) and an
 * `instance` id; the log line carries the same id with the full cause. Never a stack, SQL, path or key material.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { GatewayError, toGatewayError } from '../core/index.js';
import type { ErrorCode } from '../core/index.js';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code: ErrorCode;
  /** `urn:uuid:<error id>` */
  readonly instance: string;
  /** Extension members some answers carry (e.g. `checks` from /readyz). */
  readonly [extension: string]: unknown;
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

const MAX_DETAIL = 300;

/** A detail is shown only if it is short printable text; anything else is dropped rather than trimmed. */
function safeDetail(error: GatewayError): string | undefined {
  if (error.code === 'ERR_INTERNAL' || error.detail === undefined) return undefined;
  const detail = error.detail.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail;
}

/** Builds the problem document for an error (unknown errors become ERR_INTERNAL). */
export function toProblem(
  error: unknown,
  errorId: string = randomUUID(),
  extensions: Readonly<Record<string, unknown>> = {},
): { problem: Problem; error: GatewayError } {
  const gatewayError = toGatewayError(error);
  const detail = safeDetail(gatewayError);
  const problem: Problem = {
    ...extensions,
    type: `urn:oog:error:${gatewayError.code}`,
    title: gatewayError.title,
    status: gatewayError.status,
    ...(detail === undefined ? {} : { detail }),
    code: gatewayError.code,
    instance: `urn:uuid:${errorId}`,
  };
  return { problem, error: gatewayError };
}

export interface ProblemOptions {
  /** Extension members for the problem document. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** Extra response headers (e.g. `Allow` with a 405). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Another rendering of the same refusal (e.g. a signed XÖV `rueckweisung`, docs/xoev.md): called with the
   * problem document (its `instance` is the logged error id); undefined keeps problem+json. Same status.
   */
  readonly render?: (
    problem: Problem,
    error: GatewayError,
  ) => { readonly contentType: string; readonly text: string } | undefined;
}

export type ProblemResponder = (
  req: Request,
  res: Response,
  error: unknown,
  options?: ProblemOptions,
) => void;

/**
 * Returns the function that answers with a problem and writes one log line `http.refused` (the caller's fault)
 * or `http.failed` (the provider's or the gateway's) with the error id, code and cause.
 */
export function createProblemResponder(rootLogger: Logger): ProblemResponder {
  return (req, res, thrown, options = {}) => {
    const errorId = randomUUID();
    const { problem, error } = toProblem(thrown, errorId, options.extensions);
    const log = (req.log as Logger | undefined) ?? rootLogger;
    // A caller's mistake needs no stack; the gateway's or a provider's failure gets the full cause chain.
    const cause = error.fault === 'client' ? (error.cause as unknown) : error;
    const entry = {
      errorId,
      code: error.code,
      status: problem.status,
      fault: error.fault,
      ...(error.detail === undefined ? {} : { detail: error.detail }),
      ...(cause === undefined ? {} : { err: cause }),
    };
    if (error.fault === 'client') log.info(entry, 'http.refused');
    else log.error(entry, 'http.failed');

    if (res.headersSent) {
      // Part of an answer is already out: the only honest signal left is to cut the connection.
      res.destroy();
      return;
    }
    res.status(problem.status);
    res.set('Content-Type', PROBLEM_MEDIA_TYPE);
    res.set('Cache-Control', 'no-store');
    if (error.code === 'ERR_AUTH') res.set('WWW-Authenticate', 'Bearer realm="oog"');
    if (error.retryAfterS !== undefined) res.set('Retry-After', String(error.retryAfterS));
    for (const [name, value] of Object.entries(options.headers ?? {})) res.set(name, value);
    const rendered = options.render?.(problem, error);
    if (rendered !== undefined) {
      res.set('Content-Type', rendered.contentType);
      res.send(rendered.text);
      return;
    }
    res.send(JSON.stringify(problem));
  };
}
