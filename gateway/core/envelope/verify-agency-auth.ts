/**
 * The bearer token an agency signs with its own key to poll its exchanges (PROTOCOL.md §1c
 * `GET /v1/evidence-requests/{exchangeId}`). `jti`-once is the caller's job with the ReplayStore.
 */
import schema from '../../../schemas/agency-auth.claims.schema.json' with { type: 'json' };
import { GatewayError } from '../errors.js';
import { isParticipantId } from '../ids.js';
import type { Clock, ResolvedKey, TrustStore } from '../ports.js';
import { checkFreshness } from './check-freshness.js';
import { compileSchema } from './compile-schema.js';
import { assertAlgorithms, verifyCompactJws, SUPPORTED_ALGORITHMS, type JwsAlgorithm } from './verify-jws.js';

export const AGENCY_AUTH_TYP = 'agency-auth+jwt';

/** An agency bearer token's lifetime is at most this long (PROTOCOL.md §1c: `exp` ≤ 300 s). */
const MAX_LIFETIME_SECONDS = 300;

export interface AgencyAuth {
  /** The authenticated agency: `iss`, the owner of the signing key. */
  readonly agency: string;
  readonly jti: string;
  /** seconds since epoch */
  readonly iat: number;
  /** seconds since epoch; use `exp * 1000 + skew` as the ReplayStore's expiresAtMs */
  readonly exp: number;
  readonly key: ResolvedKey;
}

export interface AgencyAuthVerifierOptions {
  readonly trust: TrustStore;
  readonly clock: Clock;
  /** This gateway's participant id; `aud` must equal it. */
  readonly gatewayId: string;
  /** Default: ES256, PS256, EdDSA. */
  readonly algorithms?: readonly JwsAlgorithm[];
  /** Default 60. */
  readonly skewSeconds?: number;
  /** Longest token in characters; default 4 096. */
  readonly maxLength?: number;
}

export type AgencyAuthVerifier = (bearerToken: string) => Promise<AgencyAuth>;

/**
 * Builds the verifier of agency bearer tokens (PROTOCOL.md §1c): envelope with typ `agency-auth+jwt` (so an
 * evidence request or any other token is refused), key only via trust.keyByKid, `iss` = key owner, `aud` =
 * gatewayId, `iat` an integer not in the future (± skew), `exp` required, after `iat`, at most `iat` + 300 and
 * not past, claims schema (schemas/agency-auth.claims.schema.json). Throws ERR_AUTH for every failure (detail
 * names the step; the cause keeps the underlying error); the factory throws TypeError on bad options.
 */
export function createAgencyAuthVerifier(options: AgencyAuthVerifierOptions): AgencyAuthVerifier {
  const { trust, clock, gatewayId } = options;
  const algorithms = options.algorithms ?? SUPPORTED_ALGORITHMS;
  assertAlgorithms(algorithms);
  if (!isParticipantId(gatewayId)) throw new TypeError('gatewayId: not a participant id');
  const limits = {
    maxAgeSeconds: MAX_LIFETIME_SECONDS,
    skewSeconds: options.skewSeconds ?? 60,
    maxLifetimeSeconds: MAX_LIFETIME_SECONDS,
    expRequired: true,
  };
  const checkSchema = compileSchema(schema);
  const jwsOptions = {
    typ: AGENCY_AUTH_TYP,
    algorithms,
    resolveKey: (header: { kid: string }) => trust.keyByKid(header.kid),
    maxLength: options.maxLength ?? 4_096,
  };

  return async (bearerToken) => {
    try {
      const { payload, key } = await verifyCompactJws(bearerToken, jwsOptions);
      if (payload.iss !== key.participantId) throw new GatewayError('ERR_AUTH', 'iss is not the key owner');
      if (payload.aud !== gatewayId) throw new GatewayError('ERR_AUTH', 'aud is not this gateway');
      const { iat, exp } = checkFreshness(payload, clock.nowMs(), limits);
      const detail = checkSchema(payload);
      if (detail !== undefined) throw new GatewayError('ERR_AUTH', `claims ${detail}`);
      return { agency: key.participantId, jti: payload.jti as string, iat, exp: exp as number, key };
    } catch (error) {
      if (error instanceof GatewayError && error.code !== 'ERR_AUTH') {
        throw new GatewayError('ERR_AUTH', `bearer ${error.code}`, { cause: error });
      }
      throw error;
    }
  };
}
