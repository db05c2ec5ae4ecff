/**
 * The demo identity provider: in demo mode only, a local issuer on localhost that publishes its discovery
 * document and JWKS, so the gateway verifies citizen and DPO tokens exactly as it would against a real OpenID
 * Provider. `mintDemoToken` (behind `oog demo token`) signs tokens with the example key in certs-example/demo-idp/.
 * Example material: never for production.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Starts the demo issuer; `issuer` is its own base URL, derived from the port it got. */
export async function startDemoIdentityProvider(options: {
  key: DemoIdpKey;
  port: number;
  host?: string;
}): Promise<{ issuer: string; jwksUrl: string; close(): Promise<void> }> {
  const jwks = JSON.stringify({ keys: [await publicJwk(options.key)] });
  let issuer = '';
  const server = createServer((req, res) => {
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, '{"error":"method_not_allowed"}');
    if (req.url === '/jwks') return send(200, jwks);
    if (req.url === '/.well-known/openid-configuration') {
      return send(
        200,
        JSON.stringify({
          issuer,
          jwks_uri: `${issuer}/jwks`,
          id_token_signing_alg_values_supported: ['ES256'],
          subject_types_supported: ['public'],
          claims_supported: ['sub', 'idnr', 'roles', 'participants', 'name'],
        }),
      );
    }
    return send(404, '{"error":"not_found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  issuer = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
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
