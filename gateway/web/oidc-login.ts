/**
 * The portal's OpenID Connect relying party (OpenID Connect Core 1.0 §3.1, authorization code flow; RFC 7636
 * PKCE with S256) on `openid-client`. The provider's metadata is discovered on first use and kept. The ID token
 * must be signed with an asymmetric algorithm the provider announces (never `none`, never HMAC), by a key of its
 * JWKS, for this client (`aud`), by this issuer (`iss`), with the nonce of this login; the callback must carry
 * the state of this login, and the code is redeemed with this login's PKCE verifier. Any failure is ERR_AUTH.
 */
import * as client from 'openid-client';
import { GatewayError } from '../core/index.js';
import type { LoginTransaction, SessionUser } from './sessions.js';

export interface OidcLoginOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
}

export interface OidcLogin {
  /** A new login: the transaction to keep and the provider URL to send the browser to. */
  begin(returnTo: string): Promise<{ transaction: LoginTransaction; url: string }>;
  /** Redeems the callback; the user named by the verified ID token. Throws ERR_AUTH. */
  finish(callbackUrl: URL, transaction: LoginTransaction): Promise<{ user: SessionUser; idToken: string }>;
  /** The provider's logout URL for this ID token, if it offers RP-initiated logout. */
  logoutUrl(idToken: string): Promise<string | undefined>;
}

/** Preference order of ID token algorithms; only asymmetric ones. */
const ID_TOKEN_ALGS = ['ES256', 'PS256', 'EdDSA', 'RS256'] as const;

const LOOPBACK = /^(127\.[0-9.]+|localhost|\[::1\])$/;

function isValidIdnrShape(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9]{11}$/.test(value);
}

/** Maps verified ID token claims to a portal user: `roles` containing `dpo` (or `role: dpo`), else an IDNr. */
export function userOfClaims(
  claims: Readonly<Record<string, unknown>>,
  isValidIdnr: (v: unknown) => v is string,
): SessionUser {
  const sub = claims['sub'];
  if (typeof sub !== 'string' || sub === '')
    throw new GatewayError('ERR_AUTH', 'the ID token has no subject');
  const name = typeof claims['name'] === 'string' ? claims['name'] : undefined;
  const roles = Array.isArray(claims['roles']) ? claims['roles'] : [claims['role']];
  if (roles.includes('dpo')) {
    const limit = claims['participants'];
    if (limit !== undefined && !(Array.isArray(limit) && limit.every((p) => typeof p === 'string'))) {
      throw new GatewayError('ERR_AUTH', "the ID token's participant limit is malformed");
    }
    return { role: 'dpo', subject: sub, name, ...(limit === undefined ? {} : { participants: limit }) };
  }
  const idnr = claims['idnr'] ?? sub;
  if (!isValidIdnrShape(idnr) || !isValidIdnr(idnr)) {
    throw new GatewayError('ERR_AUTH', 'the ID token names no citizen');
  }
  return { role: 'citizen', subject: sub, idnr, name };
}

export function createOidcLogin(
  options: OidcLoginOptions,
  isValidIdnr: (v: unknown) => v is string,
): OidcLogin {
  const issuerUrl = new URL(options.issuer);
  // Plain HTTP only to a provider on this machine (the demo); anywhere else TLS is required.
  const insecure = issuerUrl.protocol === 'http:' && LOOPBACK.test(issuerUrl.hostname);
  let configuration: Promise<client.Configuration> | undefined;

  async function discover(): Promise<client.Configuration> {
    const auth =
      options.clientSecret === undefined ? client.None() : client.ClientSecretBasic(options.clientSecret);
    const found = await client.discovery(issuerUrl, options.clientId, undefined, auth, {
      ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      timeout: 10,
    });
    const supported = found.serverMetadata().id_token_signing_alg_values_supported ?? ['RS256'];
    const alg = ID_TOKEN_ALGS.find((a) => supported.includes(a));
    if (alg === undefined) throw new Error('the identity provider offers no acceptable ID token algorithm');
    const config = new client.Configuration(
      found.serverMetadata(),
      options.clientId,
      { id_token_signed_response_alg: alg },
      auth,
    );
    if (insecure) client.allowInsecureRequests(config);
    return config;
  }

  function config(): Promise<client.Configuration> {
    configuration ??= discover().catch((error: unknown) => {
      configuration = undefined; // try again on the next login
      throw new GatewayError('ERR_AUTH', 'the identity provider cannot be reached', { cause: error });
    });
    return configuration;
  }

  return {
    async begin(returnTo) {
      const cfg = await config();
      const codeVerifier = client.randomPKCECodeVerifier();
      const transaction: LoginTransaction = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier,
        returnTo,
      };
      const url = client.buildAuthorizationUrl(cfg, {
        redirect_uri: options.redirectUri,
        scope: 'openid',
        response_type: 'code',
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state: transaction.state,
        nonce: transaction.nonce,
      });
      return { transaction, url: url.href };
    },

    async finish(callbackUrl, transaction) {
      const cfg = await config();
      let tokens;
      try {
        tokens = await client.authorizationCodeGrant(cfg, callbackUrl, {
          pkceCodeVerifier: transaction.codeVerifier,
          expectedState: transaction.state,
          expectedNonce: transaction.nonce,
          idTokenExpected: true,
        });
      } catch (cause) {
        throw new GatewayError('ERR_AUTH', 'the login was refused', { cause });
      }
      const claims = tokens.claims();
      if (claims === undefined || tokens.id_token === undefined) {
        throw new GatewayError('ERR_AUTH', 'the identity provider returned no ID token');
      }
      return { user: userOfClaims(claims, isValidIdnr), idToken: tokens.id_token };
    },

    async logoutUrl(idToken) {
      let cfg;
      try {
        cfg = await config();
      } catch {
        return undefined;
      }
      if (cfg.serverMetadata().end_session_endpoint === undefined) return undefined;
      return client.buildEndSessionUrl(cfg, {
        id_token_hint: idToken,
        post_logout_redirect_uri: options.postLogoutRedirectUri,
      }).href;
    },
  };
}
