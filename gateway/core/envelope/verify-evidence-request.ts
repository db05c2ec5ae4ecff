/**
 * Opening the JSON evidence request of a consumer (PROTOCOL.md §1a; DESIGN.md exchange steps 2, 3, 4 (freshness
 * only) and 5). Replay — (iss, jti) seen once — is the exchange's job with the ReplayStore; the result carries
 * what it needs for that.
 */
import schema from '../../../schemas/evidence-request.claims.schema.json' with { type: 'json' };
import { GatewayError } from '../errors.js';
import { isParticipantId } from '../ids.js';
import type { Clock, Participant, ResolvedKey, TrustStore } from '../ports.js';
import { checkFreshness } from './check-freshness.js';
import { checkParticipantClaims, checkSubjectIdnr } from './check-identifiers.js';
import { compileSchema } from './compile-schema.js';
import { attachClaimed } from './envelope-error.js';
import { assertAlgorithms, verifyCompactJws, SUPPORTED_ALGORITHMS, type JwsAlgorithm } from './verify-jws.js';

export const EVIDENCE_REQUEST_TYP = 'evidence-request+jwt';

/** The claims of PROTOCOL.md §1a after every check passed. */
export interface EvidenceRequestClaims {
  readonly iss: string;
  readonly aud: string;
  readonly iat: number;
  readonly exp?: number;
  readonly jti: string;
  readonly evidenceType: string;
  readonly provider?: string;
  readonly subject: { readonly idnr: string };
  readonly purpose: string;
  readonly procedure: { readonly reference: string; readonly service?: string };
  readonly actor: string;
  readonly consentId?: string;
  readonly fields?: readonly string[];
}

export type VerifiedEvidenceRequest = VerifiedConsumerMessage<EvidenceRequestClaims>;

export interface VerifiedConsumerMessage<Claims> {
  readonly claims: Claims;
  /** The key that verified the signature; its owner is `claims.iss`. */
  readonly key: ResolvedKey;
  /** The consumer as the trust store knows it (holds role `consumer`). */
  readonly consumer: Participant;
  /**
   * ms since epoch after which this message can no longer pass the freshness check (iat + maxAge + skew): the
   * `expiresAtMs` to hand ReplayStore.remember(claims.iss, claims.jti, …).
   */
  readonly replayUntilMs: number;
}

export interface EvidenceRequestVerifierOptions {
  readonly trust: TrustStore;
  readonly clock: Clock;
  /** This gateway's participant id; `aud` must equal it. */
  readonly gatewayId: string;
  /** Default: ES256, PS256, EdDSA. */
  readonly algorithms?: readonly JwsAlgorithm[];
  readonly maxAgeSeconds?: number;
  readonly skewSeconds?: number;
  readonly maxLifetimeSeconds?: number;
  /** Longest token in characters; default 65 536. */
  readonly maxLength?: number;
}

export type EvidenceRequestVerifier = (token: string) => Promise<VerifiedEvidenceRequest>;

function assertSeconds(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name}: a non-negative integer`);
}

/**
 * Builds the verifier of consumers' JSON evidence requests (PROTOCOL.md §1a, SECURITY.md "JOSE"). Order and
 * codes:
 * 1. envelope (verifyCompactJws, typ `evidence-request+jwt`, key only via trust.keyByKid): ERR_TOO_LARGE,
 *    ERR_REQUEST_MALFORMED, ERR_SIG_INVALID, ERR_TRUST_UNKNOWN_SENDER, ERR_TRUST_CERT;
 * 2. `iss` is a string equal to the key's owner, and that participant holds role `consumer`:
 *    ERR_TRUST_SENDER_MISMATCH;
 * 3. `aud` equals gatewayId: ERR_AUTH (a token signed for another gateway is not addressed to this one, so the
 *    sender is not authenticated to it; 401 like the agency bearer's own `aud` check);
 * 4. `iat`/`exp` (checkFreshness): ERR_STALE;
 * 5. identifiers, where present: `subject.idnr` a valid IDNr string (any type, non-ASCII digits, bad check
 *    digit) and `iss`/`provider` participant ids: ERR_IDENTIFIER — before the schema, so an invalid IDNr is
 *    always ERR_IDENTIFIER and never ERR_SCHEMA;
 * 6. the claims schema (schemas/evidence-request.claims.schema.json, unknown members refused): ERR_SCHEMA with
 *    `<pointer> <keyword>` as detail.
 * Every refusal after the payload was read is an EnvelopeError with the claimed values; `authenticated` is true
 * from step 3 on. The factory throws TypeError on bad options.
 */
export function createEvidenceRequestVerifier(
  options: EvidenceRequestVerifierOptions,
): EvidenceRequestVerifier {
  return createConsumerMessageVerifier<EvidenceRequestClaims>(options, EVIDENCE_REQUEST_TYP, schema);
}

/**
 * The same checks, in the same order and with the same codes, for any compact JWS a consumer signs for the
 * gateway (evidence requests, consent requests): only `typ` and the claims schema differ.
 */
export function createConsumerMessageVerifier<Claims>(
  options: EvidenceRequestVerifierOptions,
  typ: string,
  claimsSchema: object,
): (token: string) => Promise<VerifiedConsumerMessage<Claims>> {
  const { trust, clock, gatewayId } = options;
  const algorithms = options.algorithms ?? SUPPORTED_ALGORITHMS;
  assertAlgorithms(algorithms);
  if (!isParticipantId(gatewayId)) throw new TypeError('gatewayId: not a participant id');
  const limits = {
    maxAgeSeconds: options.maxAgeSeconds ?? 300,
    skewSeconds: options.skewSeconds ?? 60,
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 300,
    expRequired: false,
  };
  assertSeconds('maxAgeSeconds', limits.maxAgeSeconds);
  assertSeconds('skewSeconds', limits.skewSeconds);
  assertSeconds('maxLifetimeSeconds', limits.maxLifetimeSeconds);
  const checkSchema = compileSchema(claimsSchema);
  const jwsOptions = {
    typ,
    algorithms,
    resolveKey: (header: { kid: string }) => trust.keyByKid(header.kid),
    maxLength: options.maxLength,
  };

  return async (token) => {
    const { payload, key, claimed } = await verifyCompactJws(token, jwsOptions);
    let authenticated = false;
    try {
      const { iss } = payload;
      if (typeof iss !== 'string' || iss !== key.participantId) {
        throw new GatewayError('ERR_TRUST_SENDER_MISMATCH', 'iss is not the owner of the signing key');
      }
      const consumer = trust.participant(iss);
      if (consumer === undefined || !consumer.roles.includes('consumer')) {
        throw new GatewayError('ERR_TRUST_SENDER_MISMATCH', 'sender does not hold the consumer role');
      }
      authenticated = true;
      if (payload.aud !== gatewayId)
        throw new GatewayError(
          'ERR_AUTH',
          'aud names another gateway: the token is not addressed to this one',
        );
      const { iat } = checkFreshness(payload, clock.nowMs(), limits);
      checkParticipantClaims(payload, ['iss', 'provider']);
      checkSubjectIdnr(payload);
      const detail = checkSchema(payload);
      if (detail !== undefined) throw new GatewayError('ERR_SCHEMA', detail);
      return {
        claims: payload as unknown as Claims,
        key,
        consumer,
        replayUntilMs: (iat + limits.maxAgeSeconds + limits.skewSeconds) * 1000,
      };
    } catch (error) {
      throw attachClaimed(error, claimed, authenticated);
    }
  };
}
