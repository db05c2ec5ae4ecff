/**
 * The demo Meldebehörde of Stadt Musterstadt (`mld:09999001`, PROTOCOL.md §7) as a real provider backend behind
 * the http-json connector. Like an X-Road / NOOTS provider it re-checks what the gateway forwarded before it
 * releases anything (PROTOCOL.md §2): the gateway's signature under its pinned certificates, typ, aud = this
 * provider, freshness, the claims schema and replay; then it answers with exactly the requested fields, signed
 * with its own key (PROTOCOL.md §1c).
 *
 * Routes: `POST /evidence` (application/jose in, application/jose out), `GET /healthz`. Refusals are
 * application/problem+json (RFC 9457) with the gateway's error codes; see README.md for the table.
 */
import { randomUUID, type X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createForwardedRequestVerifier, type JwsAlgorithm } from '../../gateway/core/envelope/index.js';
import { ERROR_CATALOGUE, GatewayError, toGatewayError, type ErrorCode } from '../../gateway/core/errors.js';
import type { Clock } from '../../gateway/core/ports.js';
import { isMeldebescheinigungField, MELDEBESCHEINIGUNG, type MeldeRecord } from './demo-citizens.js';
import { createGatewayTrust } from './create-gateway-trust.js';
import { openMeldeRegister, type MeldeRegister } from './open-melde-register.js';
import { signEvidence, type EvidenceSigner } from './sign-evidence.js';

export const EVIDENCE_PATH = '/evidence';
export const DEFAULT_GATEWAY_ID = 'oog:demo-gateway';

export interface DemoMeldebehoerdeOptions {
  /** The register's SQLite file (created and seeded on first start). */
  readonly dbPath: string;
  /** The Meldebehörde's own key; `participantId` is its id (`mld:09999001` in the demo) and the expected `aud`. */
  readonly signer: EvidenceSigner;
  /** Whom it trusts to forward requests: the gateway's id and signing certificates. */
  readonly gateway: { readonly id?: string; readonly certificates: readonly X509Certificate[] };
  readonly clock?: Clock;
  /** Algorithms accepted from the gateway; default ES256 only. */
  readonly algorithms?: readonly JwsAlgorithm[];
  /** How old a forwarded request may be (default 60 s) and the tolerated clock skew (default 30 s). */
  readonly maxAgeSeconds?: number;
  readonly skewSeconds?: number;
  /** Largest request body; default 64 KiB. */
  readonly maxBodyBytes?: number;
}

export interface DemoMeldebehoerde {
  readonly providerId: string;
  /** The request listener for node:http (or express `app.use`). */
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
  readonly register: MeldeRegister;
  close(): void;
}

const systemClock: Clock = { nowMs: () => Date.now() };

/** (iss, jti) of forwarded requests already answered, until they could no longer pass the freshness check. */
function createReplayMemory() {
  const seen = new Map<string, number>();
  return {
    /** True the first time; false if seen and not yet expired. */
    remember(key: string, untilMs: number, nowMs: number): boolean {
      // Entries arrive roughly in expiry order, so pruning from the front is amortised O(1).
      for (const [k, until] of seen) {
        if (until > nowMs) break;
        seen.delete(k);
      }
      if (seen.has(key)) return false;
      seen.set(key, untilMs);
      return true;
    },
  };
}

/**
 * Builds the demo Meldebehörde: opens (and on first use seeds) its register and returns a node:http request
 * listener. Throws TypeError on bad options and better-sqlite3 errors if the register cannot be opened.
 */
export function createDemoMeldebehoerde(options: DemoMeldebehoerdeOptions): DemoMeldebehoerde {
  const clock = options.clock ?? systemClock;
  const { signer } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 65_536;
  const trust = createGatewayTrust({
    gatewayId: options.gateway.id ?? DEFAULT_GATEWAY_ID,
    certificates: options.gateway.certificates,
    clock,
  });
  const verify = createForwardedRequestVerifier({
    trust,
    clock,
    providerId: signer.participantId,
    algorithms: options.algorithms ?? ['ES256'],
    maxAgeSeconds: options.maxAgeSeconds ?? 60,
    skewSeconds: options.skewSeconds ?? 30,
    maxLength: maxBodyBytes,
  });
  const register = openMeldeRegister(options.dbPath, () => clock.nowMs());
  const replay = createReplayMemory();

  async function answer(token: string): Promise<string> {
    const { claims, replayUntilMs } = await verify(token);
    if (claims.evidenceType !== MELDEBESCHEINIGUNG) {
      throw new GatewayError('ERR_SCHEMA', 'this register holds only meldebescheinigung');
    }
    if (!claims.fields.every(isMeldebescheinigungField)) {
      throw new GatewayError('ERR_SCHEMA', 'a requested field is not a meldebescheinigung field');
    }
    if (!replay.remember(`${claims.iss}\u0000${claims.jti}`, replayUntilMs, clock.nowMs())) {
      throw new GatewayError('ERR_REPLAY', 'this forwarded request was answered before');
    }
    const record = register.find(claims.subject.idnr);
    if (record === undefined) throw new GatewayError('ERR_NOT_FOUND', 'no resident with this IDNr');
    const data: Record<string, unknown> = {};
    for (const field of claims.fields) data[field] = record[field as keyof MeldeRecord];
    return signEvidence(
      signer,
      token,
      { exchangeId: claims.exchangeId, evidenceType: MELDEBESCHEINIGUNG, subject: claims.subject, data },
      clock.nowMs(),
    );
  }

  function handler(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path === '/healthz' && request.method === 'GET') {
      send(response, 200, 'application/json', JSON.stringify({ status: 'ok' }));
      return;
    }
    if (path !== EVIDENCE_PATH) {
      // No `code`: a wrong path must not read as "no such resident" to the gateway's connector.
      sendProblem(response, 404, { title: 'No such route' });
      return;
    }
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      sendProblem(response, 405, { title: 'Method not allowed' });
      return;
    }
    const type = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
    if (type !== 'application/jose') {
      request.resume();
      sendError(response, new GatewayError('ERR_MEDIA_TYPE', 'send application/jose'));
      return;
    }
    readBody(request, maxBodyBytes).then(
      (body) =>
        answer(body).then(
          (evidence) => send(response, 200, 'application/jose', evidence),
          (error: unknown) => sendError(response, toGatewayError(error)),
        ),
      (error: unknown) => sendError(response, toGatewayError(error)),
    );
  }

  return { providerId: signer.participantId, handler, register, close: () => register.close() };
}

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
