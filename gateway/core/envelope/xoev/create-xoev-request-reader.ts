/**
 * The exchange's RequestReader for XÖV (PROTOCOL.md §1b): a consumer's signed `nachweisanfrage.0101` opened
 * under openSignedXoev and turned into the format-neutral EvidenceRequest. Replay — (autor, nachrichtenUUID)
 * seen once — is the exchange's job; the result carries `replayUntil` for it.
 */
import type { ClaimedRequest, EvidenceRequest, RequestReader } from '../../exchange/types.js';
import { isParticipantId } from '../../ids.js';
import type { Clock, ResolvedKey, TrustStore } from '../../ports.js';
import { EnvelopeError } from '../envelope-error.js';
import { openSignedXoev, type OpenedXoev } from './open-signed-xoev.js';
import type { XoevSchemaFiles, XoevSchemas } from './parse-xml.js';
import { readRequestContent } from './read-content.js';
import { allowListOf, gateLimitsOf, schemasOf, seconds, type XoevReaderLimits } from './xoev-options.js';

export interface XoevRequestReaderOptions extends XoevReaderLimits {
  readonly trust: TrustStore;
  readonly clock: Clock;
  /** This gateway's participant id; `leser` must name it. */
  readonly gatewayId: string;
  /** The project's XSDs as load-xoev-schemas.ts reads them (compiled once per object), or compiled. */
  readonly schemas: XoevSchemaFiles | XoevSchemas;
  /** erstellungszeitpunkt may be at most this old; default 300 s. */
  readonly maxAgeSeconds?: number;
  /** ...and at most this far in the future; default 60 s. */
  readonly skewSeconds?: number;
}

/** An XÖV evidence request after every check, with what the exchange's reader does not pass on. */
export interface VerifiedXoevRequest {
  readonly request: EvidenceRequest;
  readonly opened: OpenedXoev;
  readonly key: ResolvedKey;
}

export type XoevRequestVerifier = (body: string) => VerifiedXoevRequest;

/**
 * Builds the synchronous verifier behind createXoevRequestReader (PROTOCOL.md §1b). Checks and codes are those
 * of openSignedXoev with message type `nachweisanfrage.0101`, role `consumer`, leser = gatewayId, maxAge 300 s
 * and skew 60 s (as JSON). Throws EnvelopeError / GatewayError; the factory throws TypeError on bad options.
 */
export function createXoevRequestVerifier(options: XoevRequestReaderOptions): XoevRequestVerifier {
  if (!isParticipantId(options.gatewayId)) throw new TypeError('gatewayId: not a participant id');
  const maxAgeSeconds = seconds('maxAgeSeconds', options.maxAgeSeconds ?? 300);
  const skewSeconds = seconds('skewSeconds', options.skewSeconds ?? 60);
  const open = {
    trust: options.trust,
    clock: options.clock,
    schemas: schemasOf(options.schemas),
    limits: gateLimitsOf(options, 65_536),
    allow: allowListOf(options),
    types: ['nachweisanfrage'] as const,
    roles: ['consumer'] as const,
    self: options.gatewayId,
    maxAgeSeconds,
    skewSeconds,
  };
  return (body) => {
    const opened = openSignedXoev(body, open);
    const claims = readRequestContent(opened.content);
    const issuedAt = Math.floor(opened.issuedAtMs / 1000);
    const request: EvidenceRequest = {
      format: 'xoev',
      consumer: opened.header.autor.id,
      messageId: opened.messageId,
      issuedAt,
      replayUntil: issuedAt + maxAgeSeconds + skewSeconds + 1,
      ...claims,
      test: opened.test,
    };
    return { request, opened, key: opened.key };
  };
}

/**
 * The exchange's `readers.xoev` (gateway/core/exchange/types.ts RequestReader): verifies a consumer's XÖV
 * evidence request and resolves with the format-neutral EvidenceRequest (`format: 'xoev'`, `test` from the
 * root attribute). Rejects with EnvelopeError (claimed values attached, see claimedOfXoev) or GatewayError with
 * the codes of openSignedXoev. The factory throws TypeError on bad options and Error if the XSDs do not compile.
 */
export function createXoevRequestReader(options: XoevRequestReaderOptions): RequestReader {
  const verify = createXoevRequestVerifier(options);
  return async (body) => verify(body).request;
}

/**
 * The exchange's `claimedOf` for errors of the envelope readers (XÖV and JSON alike): what the refused message
 * claimed, for its log entry, or undefined if nothing could be read (nothing is logged then). Never throws.
 */
export function claimedOfXoev(error: unknown): ClaimedRequest | undefined {
  if (!(error instanceof EnvelopeError) || error.claimed === undefined) return undefined;
  const { iss, jti, evidenceType, purpose } = error.claimed;
  return { consumer: iss, messageId: jti, evidenceType, purpose };
}
