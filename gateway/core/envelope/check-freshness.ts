/** The time checks of signed messages (PROTOCOL.md §1a `iat`/`exp`; SECURITY.md "check iat/exp yourself"). */
import { GatewayError } from '../errors.js';

export interface FreshnessLimits {
  /** `iat` may be at most this old (seconds). */
  readonly maxAgeSeconds: number;
  /** Tolerated clock difference (seconds): `iat` may lie this far in the future, `exp` this far in the past. */
  readonly skewSeconds: number;
  /** `exp` may be at most this far after `iat` (seconds). */
  readonly maxLifetimeSeconds: number;
  /** Is `exp` mandatory (bearer tokens) or optional (evidence requests)? */
  readonly expRequired: boolean;
}

export interface Freshness {
  readonly iat: number;
  readonly exp: number | undefined;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Checks `iat` and `exp` (RFC 7519 §4.1.4, §4.1.6, as integers only) against the clock: `iat` present, a
 * non-negative integer, not older than maxAge, not more than skew in the future; `exp` (if present or
 * required) an integer after `iat`, at most `iat` + maxLifetime, and not more than skew in the past.
 * Throws ERR_STALE.
 */
export function checkFreshness(
  claims: Record<string, unknown>,
  nowMs: number,
  limits: FreshnessLimits,
): Freshness {
  const now = nowMs / 1000;
  const { iat, exp } = claims;
  if (!isTime(iat)) throw new GatewayError('ERR_STALE', 'iat missing or not an integer');
  if (iat > now + limits.skewSeconds) throw new GatewayError('ERR_STALE', 'iat in the future');
  if (now - iat > limits.maxAgeSeconds) throw new GatewayError('ERR_STALE', 'iat too old');
  if (exp === undefined) {
    if (limits.expRequired) throw new GatewayError('ERR_STALE', 'exp missing');
    return { iat, exp: undefined };
  }
  if (!isTime(exp)) throw new GatewayError('ERR_STALE', 'exp not an integer');
  if (exp <= iat) throw new GatewayError('ERR_STALE', 'exp not after iat');
  if (exp > iat + limits.maxLifetimeSeconds) throw new GatewayError('ERR_STALE', 'exp too far after iat');
  if (exp <= now - limits.skewSeconds) throw new GatewayError('ERR_STALE', 'expired');
  return { iat, exp };
}
