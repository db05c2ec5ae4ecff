/**
 * Checking a provider's XÖV answer (PROTOCOL.md §1c, §2; DESIGN.md exchange step 10): its signature by the
 * provider's key from the trust store, its binding to the request the gateway forwarded (vorgangID =
 * exchangeId, anfrageDigest = base64url SHA-256 of the forwarded document), its schema, and that it holds no
 * field beyond the permitted ones (an over-sharing provider is refused, not trimmed). Every failure is the
 * provider's: ERR_PROVIDER_RESPONSE (502).
 */
import type { ForwardedRequestInput, VerifiedEvidence } from '../../exchange/types.js';
import { sha256b64u } from '../../encoding.js';
import { GatewayError } from '../../errors.js';
import { isParticipantId } from '../../ids.js';
import type { Clock, TrustStore } from '../../ports.js';
import { openSignedXoev, type OpenedXoev } from './open-signed-xoev.js';
import type { XoevSchemaFiles, XoevSchemas } from './parse-xml.js';
import { readEvidenceContent, readRejectionContent, type XoevEvidenceClaims } from './read-content.js';
import { xoevRequestDigest } from './sign-xoev.js';
import { allowListOf, gateLimitsOf, schemasOf, seconds, type XoevReaderLimits } from './xoev-options.js';

export interface XoevEvidenceVerifierOptions extends XoevReaderLimits {
  readonly trust: TrustStore;
  readonly clock: Clock;
  /** This gateway's participant id; the answer's `leser` must name it. */
  readonly gatewayId: string;
  readonly schemas: XoevSchemaFiles | XoevSchemas;
  /** erstellungszeitpunkt may lie at most this far in the future; default 60 s. */
  readonly skewSeconds?: number;
  /** Optional upper bound on the answer's age; default none (the binding makes an old answer useless). */
  readonly maxAgeSeconds?: number;
}

/** The provider's answer to the forwarded request, as the exchange's verifyEvidence receives it. */
export interface XoevAnswer {
  readonly body: string;
  readonly contentType: string;
}

/** What the gateway expects: the document it forwarded and the exchange it belongs to. */
export interface XoevExpectedEvidence {
  /** The signed forwarded request exactly as sent (its digest is the binding). */
  readonly forwarded: string;
  readonly input: ForwardedRequestInput;
}

/** VerifiedEvidence plus what the XÖV answer said, for callers that want more than the exchange needs. */
export interface VerifiedXoevEvidence extends VerifiedEvidence {
  readonly claims: XoevEvidenceClaims;
  readonly opened: OpenedXoev;
}

export type XoevEvidenceVerifier = (
  answer: XoevAnswer,
  expected: XoevExpectedEvidence,
) => Promise<VerifiedXoevEvidence>;

const XML_MEDIA_TYPES = ['application/xml', 'text/xml'];

function refuse(detail: string, cause?: unknown): GatewayError {
  return new GatewayError('ERR_PROVIDER_RESPONSE', detail, { cause });
}

/**
 * Builds the verifier of providers' XÖV evidence, the exchange's `verifyEvidence` for format 'xoev'. Order:
 * media type application/xml → openSignedXoev (type `nachweisantwort.0201`, autor = the provider of the
 * exchange, role `provider`, leser = gatewayId, erstellungszeitpunkt not in the future) → the provider holds the
 * evidence type → binding: vorgangID, anfrageDigest, nachweistyp, person/idnr equal the expected ones, the data
 * is of the requested evidence type, the `test` marking equals the request's → every field is a permitted one.
 * A signed `rueckweisung.0901` from the provider is refused with its code in the detail. Rejects with
 * ERR_PROVIDER_RESPONSE for every failure (detail names the step, e.g. `envelope ERR_SIG_INVALID`); the
 * factory throws TypeError on bad options.
 */
export function createXoevEvidenceVerifier(options: XoevEvidenceVerifierOptions): XoevEvidenceVerifier {
  const { trust, gatewayId } = options;
  if (!isParticipantId(gatewayId)) throw new TypeError('gatewayId: not a participant id');
  const base = {
    trust,
    clock: options.clock,
    schemas: schemasOf(options.schemas),
    limits: gateLimitsOf(options, 1_048_576),
    allow: allowListOf(options),
    types: ['nachweisantwort', 'rueckweisung'] as const,
    roles: ['provider'] as const,
    self: gatewayId,
    skewSeconds: seconds('skewSeconds', options.skewSeconds ?? 60),
    maxAgeSeconds:
      options.maxAgeSeconds === undefined ? undefined : seconds('maxAgeSeconds', options.maxAgeSeconds),
  };

  return async (answer, expected) => {
    const { input } = expected;
    const { request, verdict, provider, exchangeId } = input;
    const mediaType = answer.contentType.split(';', 1)[0]!.trim().toLowerCase();
    if (!XML_MEDIA_TYPES.includes(mediaType)) throw refuse('the answer is not application/xml');

    let opened: OpenedXoev;
    try {
      opened = openSignedXoev(answer.body, { ...base, autor: provider.id });
    } catch (error) {
      if (error instanceof GatewayError) throw refuse(`envelope ${error.code}`, error);
      throw error;
    }
    if (opened.type === 'rueckweisung') {
      let code = 'unreadable';
      try {
        code = readRejectionContent(opened.content).code;
      } catch {
        // keep 'unreadable'
      }
      throw refuse(`the provider refused with ${code}`);
    }
    const participant = trust.participant(provider.id);
    if (
      !participant?.roles.includes('provider') ||
      !participant.evidenceTypes.includes(request.evidenceType)
    ) {
      throw refuse('signer is not a provider of this evidence type');
    }

    let claims: XoevEvidenceClaims;
    try {
      claims = readEvidenceContent(opened.content);
    } catch (error) {
      throw refuse('the answer cannot be read', error);
    }
    if (claims.exchangeId !== exchangeId) throw refuse('vorgangID does not match');
    if (claims.requestDigest !== xoevRequestDigest(expected.forwarded))
      throw refuse('anfrageDigest does not match');
    if (
      claims.declaredEvidenceType !== request.evidenceType ||
      claims.evidenceType !== request.evidenceType
    ) {
      throw refuse('nachweistyp does not match');
    }
    if (claims.subjectIdnr !== request.subjectIdnr) throw refuse('person does not match');
    if (opened.test !== (request.test === true)) throw refuse('the test marking does not match the request');
    const permitted = new Set(verdict.fields);
    if (claims.fields.some((field) => !permitted.has(field))) {
      throw refuse('the answer holds a field that is not permitted');
    }
    return {
      token: answer.body,
      digest: sha256b64u(answer.body),
      fields: claims.fields,
      data: claims.data,
      claims,
      opened,
    };
  };
}
