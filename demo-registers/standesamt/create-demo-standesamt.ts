/**
 * The demo Standesamt Musterstadt (`psw:09999001`, PROTOCOL.md §7) as a real provider backend that speaks XÖV,
 * behind the http-xoev connector. Like the demo Meldebehörde it re-checks what the gateway forwarded before it
 * releases anything (PROTOCOL.md §2): the gateway's XMLDSig signature under its pinned certificates, message
 * type `nachweisanfrage.weiterleitung.0102`, leser = this Standesamt, freshness and the XSD; then it answers
 * with a `nachweisantwort.0201` holding exactly the requested fields, signed with its own key and bound to the
 * request by vorgangID and anfrageDigest. The same request sent again (same autor, nachrichtenUUID and bytes)
 * gets the same answer; other bytes under a nachrichtenUUID already answered get ERR_REPLAY
 * (../server/answer-memory.ts).
 *
 * Routes: `POST /evidence` (application/xml in, application/xml out), `GET /healthz`. Refusals are
 * application/problem+json (RFC 9457) with the gateway's error codes, as the demo Meldebehörde's, so that the
 * connector reads a register's "no such person" (404 ERR_NOT_FOUND) the same way for both.
 */
import { createEvidenceHandler, type CheckedForwardedRequest } from '../server/evidence-handler.js';
import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createXoevForwardedRequestVerifier,
  signXoevEvidence,
  type XoevSchemaFiles,
  type VerifiedXoevForwardedRequest,
  type XoevSchemas,
} from '../../gateway/core/envelope/xoev/index.js';
import { GatewayError } from '../../gateway/core/errors.js';
import type { Clock, Signer } from '../../gateway/core/ports.js';
import { createGatewayTrust } from '../meldebehoerde/create-gateway-trust.js';
import { GEBURTSURKUNDE, isGeburtsurkundeField, type BirthRecord } from './birth-records.js';
import { openGeburtenregister, type Geburtenregister } from './open-geburtenregister.js';

export const STANDESAMT_EVIDENCE_PATH = '/evidence';
export const STANDESAMT_ID = 'psw:09999001';
const DEFAULT_GATEWAY_ID = 'oog:demo-gateway';
const XML_TYPES = ['application/xml', 'text/xml'];

export interface DemoStandesamtOptions {
  /** The register's SQLite file (created and seeded on first start). */
  readonly dbPath: string;
  /** The Standesamt's own key (ES256 → ecdsa-sha256); `participantId` is its id and the expected `leser`. */
  readonly signer: Signer;
  /** Whom it trusts to forward requests: the gateway's id and signing certificates. */
  readonly gateway: {
    readonly id?: string;
    readonly name?: string;
    readonly certificates: readonly X509Certificate[];
  };
  /** The project's XSDs (gateway/adapters/files loadXoevSchemas), or compiled. */
  readonly schemas: XoevSchemaFiles | XoevSchemas;
  readonly clock?: Clock;
  /** The Standesamt's name in the answer's header; default "Standesamt Musterstadt". */
  readonly name?: string;
  /** How old a forwarded request may be (default 60 s) and the tolerated clock skew (default 30 s). */
  readonly maxAgeSeconds?: number;
  readonly skewSeconds?: number;
  /** Largest request body; default 64 KiB. */
  readonly maxBodyBytes?: number;
  /** A production register never answers a message marked `test`; the demo register (default) does. */
  readonly production?: boolean;
  /** Answers kept for repeated requests while they are fresh; default 10 000 (then 429 ERR_RATE_LIMITED). */
  readonly maxRememberedAnswers?: number;
}

export interface DemoStandesamt {
  readonly providerId: string;
  /** The request listener for node:http. */
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
  readonly register: Geburtenregister;
  close(): void;
}

const systemClock: Clock = { nowMs: () => Date.now() };

/**
 * Builds the demo Standesamt: opens (and on first use seeds) its register and returns a node:http request
 * listener. Throws TypeError on bad options, Error if the XSDs do not compile, and better-sqlite3 errors if the
 * register cannot be opened.
 */
export function createDemoStandesamt(options: DemoStandesamtOptions): DemoStandesamt {
  const clock = options.clock ?? systemClock;
  const { signer } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 65_536;
  const gatewayId = options.gateway.id ?? DEFAULT_GATEWAY_ID;
  const trust = createGatewayTrust({ gatewayId, certificates: options.gateway.certificates, clock });
  const verify = createXoevForwardedRequestVerifier({
    trust,
    clock,
    providerId: signer.participantId,
    schemas: options.schemas,
    maxAgeSeconds: options.maxAgeSeconds ?? 60,
    skewSeconds: options.skewSeconds ?? 30,
    maxBytes: maxBodyBytes,
  });
  const register = openGeburtenregister(options.dbPath, () => clock.nowMs());
  const context = { signer, clock, name: options.name ?? 'Standesamt Musterstadt' };
  const gatewayRef = { id: gatewayId, name: options.gateway.name ?? 'Once-Only Gateway' };

  /** The request's (autor, nachrichtenUUID) and freshness; the handler answers a repeat from its memory. */
  async function check(body: string): Promise<CheckedForwardedRequest> {
    const forwarded = await verify(body);
    return {
      sender: forwarded.gatewayId,
      messageId: forwarded.messageId,
      untilMs: forwarded.replayUntilMs,
      answer: () => answer(forwarded),
    };
  }

  async function answer(forwarded: VerifiedXoevForwardedRequest): Promise<string> {
    const { claims } = forwarded;
    if (claims.evidenceType !== GEBURTSURKUNDE) {
      throw new GatewayError('ERR_SCHEMA', 'this register holds only geburtsurkunde');
    }
    if (!claims.fields.every(isGeburtsurkundeField)) {
      throw new GatewayError('ERR_SCHEMA', 'a requested field is not a geburtsurkunde field');
    }
    if (forwarded.test && options.production === true) {
      throw new GatewayError(
        'ERR_POLICY_DENIED',
        'a test message is not answered from a production register',
      );
    }
    const record = register.find(claims.subjectIdnr);
    if (record === undefined) throw new GatewayError('ERR_NOT_FOUND', 'no birth record for this IDNr');
    const data: Record<string, unknown> = {};
    for (const field of claims.fields) data[field] = record[field as keyof BirthRecord];
    return signXoevEvidence(
      context,
      { to: gatewayRef, test: forwarded.test },
      {
        exchangeId: claims.exchangeId,
        requestDigest: forwarded.requestDigest,
        evidenceType: GEBURTSURKUNDE,
        subjectIdnr: claims.subjectIdnr,
        data,
      },
    );
  }

  const handler = createEvidenceHandler({
    evidencePath: STANDESAMT_EVIDENCE_PATH,
    acceptedTypes: XML_TYPES,
    answerType: 'application/xml; charset=utf-8',
    maxBodyBytes,
    check,
    clock,
    maxRememberedAnswers: options.maxRememberedAnswers,
  });

  return { providerId: signer.participantId, handler, register, close: () => register.close() };
}
