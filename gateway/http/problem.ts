/**
 * GatewayError → RFC 9457 `application/problem+json` (PROTOCOL.md §1c, §6). The one place where an error becomes
 * an HTTP answer: the caller gets the code, the catalogue title, a safe detail (none for ERR_INTERNAL) and an
 * `instance` id; the log line carries the same id with the cause (a stack only for ERR_INTERNAL). The answer
 * never carries a stack, SQL, path or key material.
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

export interface CauseSummary {
  readonly type: string;
  readonly code?: string;
  readonly message: string;
  readonly cause?: CauseSummary;
}

const MAX_CAUSE_DEPTH = 4;

/** An error's cause chain as name, code and message, without stacks (they hold absolute source paths). */
export function summarizeCause(cause: unknown, depth = 0): CauseSummary {
  if (!(cause instanceof Error)) return { type: typeof cause, message: String(cause).slice(0, MAX_DETAIL) };
  const code = (cause as { code?: unknown }).code;
  const inner = (cause as { cause?: unknown }).cause;
  return {
    type: cause.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: cause.message.slice(0, MAX_DETAIL),
    ...(inner === undefined || depth >= MAX_CAUSE_DEPTH ? {} : { cause: summarizeCause(inner, depth + 1) }),
  };
}

/**
 * Returns the function that answers with a problem and writes one log line `http.refused` (the caller's fault)
 * or `http.failed` (the provider's or the gateway's) with the error id, code and cause.
 */
export function createProblemResponder(rootLogger: Logger): ProblemResponder {
  return (req, res, thrown, options = {}) => {
    const errorId = randomUUID();
    const { problem, error } = toProblem(thrown, errorId, options.extensions);
    const log = (req.log as Logger | undefined) ?? rootLogger;
    // Only the gateway's own fault (ERR_INTERNAL) needs a stack; for a caller's mistake or a provider's failure
    // the cause's name, code and message say what happened without the gateway's source paths.
    const entry = {
      errorId,
      code: error.code,
      status: problem.status,
      fault: error.fault,
      ...(error.detail === undefined ? {} : { detail: error.detail }),
      ...(error.code === 'ERR_INTERNAL'
        ? { err: error }
        : error.cause === undefined
          ? {}
          : { cause: summarizeCause(error.cause) }),
    };
    if (error.fault === 'client') log.info({ event: 'http.refused', ...entry }, 'http.refused');
    else log.error({ event: 'http.failed', ...entry }, 'http.failed');

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
