/**
 * The provider side of PROTOCOL.md §2 in XÖV: a provider (the demo Standesamt, or any XÖV register behind the
 * gateway) opening the `nachweisanfrage.weiterleitung.0102` the gateway signed, before it releases anything.
 */
import { isParticipantId } from '../../ids.js';
import type { Clock, ResolvedKey, TrustStore } from '../../ports.js';
import { openSignedXoev, type OpenedXoev } from './open-signed-xoev.js';
import type { XoevSchemaFiles, XoevSchemas } from './parse-xml.js';
import { readForwardedContent, type XoevForwardedClaims } from './read-content.js';
import { xoevRequestDigest } from './sign-xoev.js';
import { allowListOf, gateLimitsOf, schemasOf, seconds, type XoevReaderLimits } from './xoev-options.js';

export interface XoevForwardedRequestVerifierOptions extends XoevReaderLimits {
  /** Whom the provider trusts to forward requests: a store holding the gateway with role `gateway`. */
  readonly trust: TrustStore;
  readonly clock: Clock;
  /** The provider's own participant id; `leser` must name it. */
  readonly providerId: string;
  readonly schemas: XoevSchemaFiles | XoevSchemas;
  /** Default 300 s. */
  readonly maxAgeSeconds?: number;
  /** Default 60 s. */
  readonly skewSeconds?: number;
}

export interface VerifiedXoevForwardedRequest {
  readonly claims: XoevForwardedClaims;
  /** The gateway that signed it (`autor`). */
  readonly gatewayId: string;
  /** nachrichtenUUID (lower case): the provider's replay key, with gatewayId. */
  readonly messageId: string;
  readonly issuedAtMs: number;
  readonly test: boolean;
  readonly key: ResolvedKey;
  /** ms since epoch until which (gatewayId, messageId) must be remembered to refuse a replay. */
  readonly replayUntilMs: number;
  /** The `anfrageDigest` the answer must carry: xoevRequestDigest of the document as received. */
  readonly requestDigest: string;
  readonly opened: OpenedXoev;
}

export type XoevForwardedRequestVerifier = (body: string) => Promise<VerifiedXoevForwardedRequest>;

/**
 * Builds the verifier of forwarded XÖV requests (PROTOCOL.md §2): openSignedXoev with message type
 * `nachweisanfrage.weiterleitung.0102`, role `gateway`, leser = providerId, and its codes. Replay is the
 * provider's job (the result says until when to remember it). The factory throws TypeError on bad options.
 */
export function createXoevForwardedRequestVerifier(
  options: XoevForwardedRequestVerifierOptions,
): XoevForwardedRequestVerifier {
  if (!isParticipantId(options.providerId)) throw new TypeError('providerId: not a participant id');
  const maxAgeSeconds = seconds('maxAgeSeconds', options.maxAgeSeconds ?? 300);
  const skewSeconds = seconds('skewSeconds', options.skewSeconds ?? 60);
  const open = {
    trust: options.trust,
    clock: options.clock,
    schemas: schemasOf(options.schemas),
    limits: gateLimitsOf(options, 65_536),
    allow: allowListOf(options),
    types: ['weiterleitung'] as const,
    roles: ['gateway'] as const,
    self: options.providerId,
    maxAgeSeconds,
    skewSeconds,
  };
  return async (body) => {
    const opened = openSignedXoev(body, open);
    return {
      claims: readForwardedContent(opened.content),
      gatewayId: opened.header.autor.id,
      messageId: opened.messageId,
      issuedAtMs: opened.issuedAtMs,
      test: opened.test,
      key: opened.key,
      replayUntilMs: opened.issuedAtMs + (maxAgeSeconds + skewSeconds) * 1000,
      requestDigest: xoevRequestDigest(body),
      opened,
    };
  };
}
