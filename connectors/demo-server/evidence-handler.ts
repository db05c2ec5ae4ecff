/**
 * The HTTP side of a demo provider backend: `GET /healthz`, and `POST <evidencePath>` with a signed forwarded
 * request in, signed evidence out. Refusals are problem+json with the catalogue's codes (PROTOCOL.md §6); a wrong
 * path answers 404 without a `code`, so it can never read as "no such person" to the gateway's connector.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CATALOGUE, GatewayError, toGatewayError } from '../../gateway/core/errors.js';
import type { ErrorCode } from '../../gateway/core/errors.js';

export interface EvidenceHandlerOptions {
  readonly evidencePath: string;
  /** Request media types accepted (without parameters, lower case). */
  readonly acceptedTypes: readonly string[];
  /** Content-Type of a successful answer. */
  readonly answerType: string;
  readonly maxBodyBytes: number;
  /** Checks the forwarded request and returns the signed evidence; throws GatewayError to refuse. */
  readonly answer: (body: string) => Promise<string>;
}

export function createEvidenceHandler(options: EvidenceHandlerOptions) {
  return function handler(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path === '/healthz' && request.method === 'GET') {
      send(response, 200, 'application/json', JSON.stringify({ status: 'ok' }));
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
    readBody(request, options.maxBodyBytes).then(
      (body) =>
        options.answer(body).then(
          (evidence) => send(response, 200, options.answerType, evidence),
          (error: unknown) => sendError(response, toGatewayError(error)),
        ),
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

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  if (response.headersSent) return;
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}

function sendProblem(
  response: ServerResponse,
  status: number,
  problem: { title: string; code?: ErrorCode; detail?: string },
): void {
  const body = { type: 'about:blank', status, ...problem, instance: `urn:uuid:${randomUUID()}` };
  send(response, status, 'application/problem+json', JSON.stringify(body));
}

/** A refusal as problem+json; ERR_INTERNAL carries no detail. */
function sendError(response: ServerResponse, error: GatewayError): void {
  const detail = error.code === 'ERR_INTERNAL' ? undefined : error.detail;
  sendProblem(response, error.status, { title: ERROR_CATALOGUE[error.code].title, code: error.code, detail });
}
