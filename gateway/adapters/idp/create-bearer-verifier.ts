/**
 * Bearer tokens from the configured OpenID Connect identity provider (PROTOCOL.md §3, §4): a citizen's token
 * carries the IDNr in `idnr` (or `sub`), a DPO's token carries the role `dpo` and optionally the participant ids
 * it is limited to. Keys come from the provider's JWKS only; the token never chooses its key.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { GatewayError } from '../../core/errors.js';
import { isParticipantId, isValidIdnr } from '../../core/ids.js';

export interface BearerVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  /** The provider's JWKS URL, or a key set given in place (tests, an offline demo). */
  readonly jwks: URL | JSONWebKeySet;
  readonly algorithms?: readonly string[];
  readonly clockToleranceSeconds?: number;
}

export interface BearerVerifier {
  /** Throws ERR_AUTH unless the token is a valid citizen token; ERR_FORBIDDEN for a valid DPO-only token. */
  citizen(token: string | undefined): Promise<{ idnr: string }>;
  /** Throws ERR_AUTH unless valid; ERR_FORBIDDEN for a valid token without the `dpo` role. */
  dpo(token: string | undefined): Promise<{ subject: string; participants?: string[] }>;
}

const MAX_TOKEN_LENGTH = 16 * 1024;

export function createBearerVerifier(options: BearerVerifierOptions): BearerVerifier {
  const keys =
    options.jwks instanceof URL
      ? createRemoteJWKSet(options.jwks, { cooldownDuration: 30_000, timeoutDuration: 5_000 })
      : createLocalJWKSet(options.jwks);
  const algorithms = [...(options.algorithms ?? ['ES256', 'PS256', 'RS256', 'EdDSA'])];

  async function verify(token: string | undefined): Promise<JWTPayload> {
    if (!token || token.length > MAX_TOKEN_LENGTH)
      throw new GatewayError('ERR_AUTH', 'a bearer token is required');
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms,
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: options.clockToleranceSeconds ?? 30,
      });
      return payload;
    } catch (cause) {
      if (cause instanceof joseErrors.JOSEError || cause instanceof TypeError) {
        throw new GatewayError('ERR_AUTH', 'the bearer token is not valid', { cause });
      }
      throw cause;
    }
  }

  function roles(payload: JWTPayload): string[] {
    const value = payload['roles'];
    return Array.isArray(value) ? value.filter((r): r is string => typeof r === 'string') : [];
  }

  return {
    async citizen(token) {
      const payload = await verify(token);
      if (roles(payload).includes('dpo'))
        throw new GatewayError('ERR_FORBIDDEN', 'this call is for citizens');
      const idnr = payload['idnr'] ?? payload.sub;
      if (!isValidIdnr(idnr)) throw new GatewayError('ERR_AUTH', 'the token names no citizen');
      return { idnr };
    },
    async dpo(token) {
      const payload = await verify(token);
      if (!roles(payload).includes('dpo'))
        throw new GatewayError('ERR_FORBIDDEN', 'this call is for data-protection officers');
      const limit = payload['participants'];
      if (limit === undefined) return { subject: payload.sub! };
      if (!Array.isArray(limit) || !limit.every(isParticipantId)) {
        throw new GatewayError('ERR_AUTH', "the token's participant limit is malformed");
      }
      return { subject: payload.sub!, participants: limit };
    },
  };
}
