/**
 * The HTTP side of a demo provider backend: `GET /healthz`, and `POST <evidencePath>` with a signed forwarded
 * request in, signed evidence out. Refusals are problem+json with the catalogue's codes (PROTOCOL.md §6); a wrong
 * path answers 404 without a `code`, so it can never read as "no such person" to the gateway's connector.
 *
 * A forwarded request that comes again (same sender, same message id, same bytes, still fresh) is the same
 * request: it gets the first answer again, byte for byte, without asking the register again (answer-memory.ts).
 * Other bytes under a message id already answered are refused with ERR_REPLAY.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CATALOGUE, GatewayError, toGatewayError } from '../../gateway/core/errors.js';
import type { ErrorCode } from '../../gateway/core/errors.js';
import type { Clock } from '../../gateway/core/ports.js';
import { createAnswerMemory, type RememberedAnswer } from './answer-memory.js';

/** A forwarded request whose signature, addressee and freshness have been checked. */
export interface CheckedForwardedRequest {
  /** Who signed it (JSON `iss`, XÖV `autor`) and its message id (JSON `jti`, XÖV `nachrichtenUUID`). */
  readonly sender: string;
  readonly messageId: string;
  /** ms since epoch until which it passes the freshness check; its answer is remembered that long. */
  readonly untilMs: number;
  /** Looks the subject up and returns the signed evidence; throws GatewayError to refuse. Called once per id. */
  readonly answer: () => Promise<string>;
}

export interface EvidenceHandlerOptions {
  readonly evidencePath: string;
  /** Request media types accepted (without parameters, lower case). */
  readonly acceptedTypes: readonly string[];
  /** Content-Type of a successful answer. */
  readonly answerType: string;
  readonly maxBodyBytes: number;
  /** Verifies the forwarded request (signature, addressee, freshness); throws GatewayError to refuse. */
  readonly check: (body: string) => Promise<CheckedForwardedRequest>;
  readonly clock: Clock;
  /** Live answers remembered at most; beyond, new requests get 429 ERR_RATE_LIMITED. Default 10 000. */
  readonly maxRememberedAnswers?: number;
}

export function createEvidenceHandler(options: EvidenceHandlerOptions) {
  const memory = createAnswerMemory(options.maxRememberedAnswers);

  async function answerTo(body: string): Promise<RememberedAnswer> {
    const checked = await options.check(body);
    return memory.answerOnce({ ...checked, body }, options.clock.nowMs(), () =>
      checked.answer().then(
        (evidence) => ({ status: 200, contentType: options.answerType, body: evidence }),
        (error: unknown) => errorAnswer(toGatewayError(error)),
      ),
    );
  }

  return function handler(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path === '/healthz' && request.method === 'GET') {
      send(response, {
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ status: 'ok' }),
      });
      return;
    }
    if (path !== options.evidencePath) {
      sendProblem(response, 404, { title: 'No such route' });
      return;
    }
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      sendProblem(response, 405, { title: 'Method not allowed' });
      return;
    }
    const type = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
    if (!options.acceptedTypes.includes(type)) {
      request.resume();
      sendError(response, new GatewayError('ERR_MEDIA_TYPE', `send ${options.acceptedTypes[0]}`));
      return;
    }
    if ((request.headers['content-encoding'] ?? 'identity').trim().toLowerCase() !== 'identity') {
      request.resume();
      sendError(response, new GatewayError('ERR_MEDIA_TYPE', 'compressed bodies are not accepted'));
      return;
    }
    readBody(request, options.maxBodyBytes)
      .then(answerTo)
      .then(
        (answer) => send(response, answer),
        (error: unknown) => sendError(response, toGatewayError(error)),
      );
  };
}

/** Reads the body up to `limit` bytes; bytes that are not UTF-8 become U+FFFD, which the verifiers refuse. */
function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? NaN);
    if (declared > limit) {
      request.resume();
      reject(new GatewayError('ERR_TOO_LARGE', 'request body too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    request.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > limit) {
        failed = true;
        reject(new GatewayError('ERR_TOO_LARGE', 'request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size).toString('utf8'));
    });
    request.on('error', (error) => {
      failed = true;
      reject(error);
    });
  });
}

function send(response: ServerResponse, answer: RememberedAnswer): void {
  if (response.headersSent) return;
  response.writeHead(answer.status, {
    'content-type': answer.contentType,
    'content-length': Buffer.byteLength(answer.body),
    'cache-control': 'no-store',
  });
  response.end(answer.body);
}

function problemAnswer(
  status: number,
  problem: { title: string; code?: ErrorCode; detail?: string },
): RememberedAnswer {
  const body = { type: 'about:blank', status, ...problem, instance: `urn:uuid:${randomUUID()}` };
  return { status, contentType: 'application/problem+json', body: JSON.stringify(body) };
}

function sendProblem(
  response: ServerResponse,
  status: number,
  problem: { title: string; code?: ErrorCode; detail?: string },
): void {
  send(response, problemAnswer(status, problem));
}

/** A refusal as problem+json; ERR_INTERNAL carries no detail. */
function errorAnswer(error: GatewayError): RememberedAnswer {
  const detail = error.code === 'ERR_INTERNAL' ? undefined : error.detail;
  return problemAnswer(error.status, { title: ERROR_CATALOGUE[error.code].title, code: error.code, detail });
}

function sendError(response: ServerResponse, error: GatewayError): void {
  if (error.retryAfterS !== undefined && !response.headersSent) {
    response.setHeader('retry-after', String(error.retryAfterS));
  }
  send(response, errorAnswer(error));
}
