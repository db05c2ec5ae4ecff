/**
 * The provider side of PROTOCOL.md §2: a provider connector (or a reference register) opening the request the
 * gateway forwarded to it. The gateway itself signs these with signCompactJws(signer, FORWARDED_REQUEST_TYP, …).
 */
import schema from '../../../schemas/forwarded-request.claims.schema.json' with { type: 'json' };
import { GatewayError } from '../errors.js';
import type { ForwardedContent } from '../exchange/forwarded-content.js';
import { isParticipantId } from '../ids.js';
import type { Clock, ResolvedKey, TrustStore } from '../ports.js';
import { checkFreshness } from './check-freshness.js';
import { checkParticipantClaims, checkSubjectIdnr } from './check-identifiers.js';
import { compileSchema } from './compile-schema.js';
import { attachClaimed } from './envelope-error.js';
import { assertAlgorithms, verifyCompactJws, SUPPORTED_ALGORITHMS, type JwsAlgorithm } from './verify-jws.js';

export const FORWARDED_REQUEST_TYP = 'forwarded-request+jwt';

/**
 * The claims of PROTOCOL.md §2 (schemas/forwarded-request.claims.schema.json): the forwarded content of every
 * format (gateway/core/exchange/forwarded-content.ts) with the subject as `subject.idnr`, plus the JWS claims.
 */
export interface ForwardedRequestClaims extends Omit<ForwardedContent, 'subjectIdnr'> {
  /** the gateway id */
  readonly iss: string;
  /** the provider id */
  readonly aud: string;
  readonly iat: number;
  readonly exp?: number;
  /** the gateway's message id (lower-case UUID) */
  readonly jti: string;
  readonly subject: { readonly idnr: string };
}

export interface VerifiedForwardedRequest {
  readonly claims: ForwardedRequestClaims;
  readonly key: ResolvedKey;
  /** ms since epoch until which (iss, jti) must be remembered to refuse a replay. */
  readonly replayUntilMs: number;
}

export interface ForwardedRequestVerifierOptions {
  readonly trust: TrustStore;
  readonly clock: Clock;
  /** The provider's own participant id; `aud` must equal it. */
  readonly providerId: string;
  readonly algorithms?: readonly JwsAlgorithm[];
  readonly maxAgeSeconds?: number;
  readonly skewSeconds?: number;
  readonly maxLifetimeSeconds?: number;
  readonly maxLength?: number;
}

export type ForwardedRequestVerifier = (token: string) => Promise<VerifiedForwardedRequest>;

/**
 * Builds the verifier of forwarded requests (PROTOCOL.md §2), with the same order and codes as
 * createEvidenceRequestVerifier: envelope (typ `forwarded-request+jwt`) → `iss` = key owner holding role
 * `gateway` (ERR_TRUST_SENDER_MISMATCH) → `aud` = providerId (ERR_AUTH) → iat/exp (ERR_STALE) →
 * subject.idnr / consumer (ERR_IDENTIFIER) → claims schema (ERR_SCHEMA). Refusals after the payload was read
 * are EnvelopeErrors. The factory throws TypeError on bad options.
 */
export function createForwardedRequestVerifier(
  options: ForwardedRequestVerifierOptions,
): ForwardedRequestVerifier {
  const { trust, clock, providerId } = options;
  const algorithms = options.algorithms ?? SUPPORTED_ALGORITHMS;
  assertAlgorithms(algorithms);
  if (!isParticipantId(providerId)) throw new TypeError('providerId: not a participant id');
  const limits = {
    maxAgeSeconds: options.maxAgeSeconds ?? 300,
    skewSeconds: options.skewSeconds ?? 60,
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 300,
    expRequired: false,
  };
  const checkSchema = compileSchema(schema);
  const jwsOptions = {
    typ: FORWARDED_REQUEST_TYP,
    algorithms,
    resolveKey: (header: { kid: string }) => trust.keyByKid(header.kid),
    maxLength: options.maxLength,
  };

  return async (token) => {
    const { payload, key, claimed } = await verifyCompactJws(token, jwsOptions);
    let authenticated = false;
    try {
      if (payload.iss !== key.participantId) {
        throw new GatewayError('ERR_TRUST_SENDER_MISMATCH', 'iss is not the owner of the signing key');
      }
      const gateway = trust.participant(key.participantId);
      if (gateway === undefined || !gateway.roles.includes('gateway')) {
        throw new GatewayError('ERR_TRUST_SENDER_MISMATCH', 'sender does not hold the gateway role');
      }
      authenticated = true;
      if (payload.aud !== providerId)
        throw new GatewayError(
          'ERR_AUTH',
          'aud names another provider: the request is not addressed to this one',
        );
      const { iat } = checkFreshness(payload, clock.nowMs(), limits);
      checkParticipantClaims(payload, ['consumer']);
      checkSubjectIdnr(payload);
      const detail = checkSchema(payload);
      if (detail !== undefined) throw new GatewayError('ERR_SCHEMA', detail);
      return {
        claims: payload as unknown as ForwardedRequestClaims,
        key,
        replayUntilMs: (iat + limits.maxAgeSeconds + limits.skewSeconds) * 1000,
      };
    } catch (error) {
      throw attachClaimed(error, claimed, authenticated);
    }
  };
}
