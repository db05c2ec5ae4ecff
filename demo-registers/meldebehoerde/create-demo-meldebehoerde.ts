/**
 * The demo Meldebehörde of Stadt Musterstadt (`mld:09999001`, PROTOCOL.md §7) as a real provider backend behind
 * the http-json connector. Like an X-Road / NOOTS provider it re-checks what the gateway forwarded before it
 * releases anything (PROTOCOL.md §2): the gateway's signature under its pinned certificates, typ, aud = this
 * provider, freshness and the claims schema; then it answers with exactly the requested fields, signed with its
 * own key (PROTOCOL.md §1c). The same request sent again (same iss, jti and bytes) gets the same answer; other
 * bytes under a jti already answered get ERR_REPLAY (../server/answer-memory.ts).
 *
 * Routes: `POST /evidence` (application/jose in, application/jose out), `GET /healthz`. Refusals are
 * application/problem+json (RFC 9457) with the gateway's error codes; see README.md for the table.
 */
import { createEvidenceHandler, type CheckedForwardedRequest } from '../server/evidence-handler.js';
import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createForwardedRequestVerifier,
  type ForwardedRequestClaims,
  type JwsAlgorithm,
} from '../../gateway/core/envelope/index.js';
import { GatewayError } from '../../gateway/core/errors.js';
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
  /** Answers kept for repeated requests while they are fresh; default 10 000 (then 429 ERR_RATE_LIMITED). */
  readonly maxRememberedAnswers?: number;
}

export interface DemoMeldebehoerde {
  readonly providerId: string;
  /** The request listener for node:http (or express `app.use`). */
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
  readonly register: MeldeRegister;
  close(): void;
}

const systemClock: Clock = { nowMs: () => Date.now() };

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

  /** The request's (iss, jti) and freshness; the handler answers a repeat of it from its memory. */
  async function check(token: string): Promise<CheckedForwardedRequest> {
    const { claims, replayUntilMs } = await verify(token);
    return {
      sender: claims.iss,
      messageId: claims.jti,
      untilMs: replayUntilMs,
      answer: () => answer(token, claims),
    };
  }

  async function answer(token: string, claims: ForwardedRequestClaims): Promise<string> {
    if (claims.evidenceType !== MELDEBESCHEINIGUNG) {
      throw new GatewayError('ERR_SCHEMA', 'this register holds only meldebescheinigung');
    }
    if (!claims.fields.every(isMeldebescheinigungField)) {
      throw new GatewayError('ERR_SCHEMA', 'a requested field is not a meldebescheinigung field');
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

  const handler = createEvidenceHandler({
    evidencePath: EVIDENCE_PATH,
    acceptedTypes: ['application/jose'],
    answerType: 'application/jose',
    maxBodyBytes,
    check,
    clock,
    maxRememberedAnswers: options.maxRememberedAnswers,
  });

  return { providerId: signer.participantId, handler, register, close: () => register.close() };
}
