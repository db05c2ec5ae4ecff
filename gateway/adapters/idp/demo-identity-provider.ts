/**
 * The demo identity provider's key and API tokens: `mintDemoToken` (behind `oog demo token` and the tests)
 * signs citizen and DPO bearer tokens with the example key in certs-example/demo-idp/, the key with which the
 * demo OpenID Provider (demo-openid-provider.ts) signs its ID tokens, so both verify against its one JWKS.
 * Example material: never for production.
 */
import type { KeyObject } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import type { JWK } from 'jose';

export interface DemoIdpKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly kid: string;
}

export async function publicJwk(key: DemoIdpKey): Promise<JWK> {
  return { ...(await exportJWK(key.publicKey)), kid: key.kid, alg: 'ES256', use: 'sig' };
}

/** Signs a demo bearer token for a citizen (by IDNr) or for the demo DPO. */
export async function mintDemoToken(
  key: DemoIdpKey,
  options: {
    issuer: string;
    audience: string;
    citizen?: string;
    dpo?: boolean;
    participants?: string[];
    ttlSeconds?: number;
  },
): Promise<string> {
  const claims: Record<string, unknown> = {};
  let sub: string;
  if (options.citizen) {
    sub = options.citizen;
    claims['idnr'] = options.citizen;
  } else if (options.dpo) {
    sub = 'dpo-demo';
    claims['roles'] = ['dpo'];
    claims['name'] = 'Demo DPO';
    if (options.participants) claims['participants'] = options.participants;
  } else {
    throw new TypeError('mintDemoToken needs a citizen or dpo');
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 3600}s`)
    .sign(key.privateKey);
}
