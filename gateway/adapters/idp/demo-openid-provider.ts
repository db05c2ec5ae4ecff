/**
 * The demo OpenID Provider (PROTOCOL.md §3, §7): in demo mode only, a real OpenID Connect issuer on localhost
 * built on `oidc-provider`, holding the demo citizens and a DPO account, with its own small login page. The
 * portal logs in against it with the authorization code flow and PKCE exactly as it would against a real
 * identity provider.
 *
 * It signs ID tokens with the demo key in certs-example/demo-idp/, the same key and issuer that `oog demo token`
 * uses for API bearer tokens, so both verify against this issuer's one JWKS (`<issuer>/jwks`). They are told
 * apart by audience: ID tokens are for the portal's client id, API tokens for the gateway id.
 *
 * It listens at once (so its issuer URL is known), but answers 503 until `configureClient` has registered the
 * portal, whose redirect URI is known only once the gateway itself listens. Example material: never for
 * production.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK } from 'jose';
import Provider from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { DemoIdpKey } from './demo-identity-provider.js';
import { DEMO_IDP_CSS, demoErrorPage, demoLoginPage, demoLogoutPage } from './demo-login-page.js';

/** A demo account: the login name is the IDNr for citizens, `dpo` for the data-protection officer. */
export interface DemoAccount {
  readonly login: string;
  readonly name: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** The demo accounts (PROTOCOL.md §7). Every one has the password {@link DEMO_PASSWORD}. */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { login: '93141705862', name: 'Erika Mustermann', claims: { idnr: '93141705862' } },
  { login: '20561748335', name: 'Max Mustermann', claims: { idnr: '20561748335' } },
  { login: '88310679245', name: 'Lena Beispiel', claims: { idnr: '88310679245' } },
  // `roles` as in the API bearer tokens (create-bearer-verifier.ts), `role` as a single-valued claim for relying
  // parties that expect one; the portal accepts either.
  { login: 'dpo', name: 'Demo DPO', claims: { roles: ['dpo'], role: 'dpo' } },
  // A DPO of one agency: sees only transfers in which the Wohngeldstelle is consumer or provider.
  {
    login: 'dpo-wohngeld',
    name: 'Datenschutz Wohngeldstelle',
    claims: { roles: ['dpo'], role: 'dpo', participants: ['ags:09999001'] },
  },
];

/** The demo accounts' password: demo material, printed in the README. */
export const DEMO_PASSWORD = 'demo';

export interface DemoClient {
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
}

export interface DemoOpenIdProvider {
  readonly issuer: string;
  readonly jwksUrl: string;
  /** Registers the portal as this provider's only client; call once. */
  configureClient(client: DemoClient): Promise<void>;
  close(): Promise<void>;
}

const MAX_FORM_BYTES = 4096;

function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve, reject) => {
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    if (type !== 'application/x-www-form-urlencoded') {
      req.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        req.destroy();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function accountOf(login: string | null | undefined): DemoAccount | undefined {
  return DEMO_ACCOUNTS.find((a) => a.login === login);
}

/** Starts the demo OpenID Provider on host:port (0: a free port); `issuer` is its own base URL. */
export async function startDemoOpenIdProvider(options: {
  key: DemoIdpKey;
  port: number;
  host?: string;
}): Promise<DemoOpenIdProvider> {
  const host = options.host ?? '127.0.0.1';
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (handler === undefined) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end('{"error":"temporarily_unavailable"}');
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host}:${port}`;
  const privateJwk = {
    ...(await exportJWK(options.key.privateKey)),
    kid: options.key.kid,
    alg: 'ES256',
    use: 'sig',
  };

  async function configureClient(client: DemoClient): Promise<void> {
    if (handler !== undefined) throw new Error('the demo OpenID Provider already has its client');
    const clientOrigin = new URL(client.redirectUri).origin;
    const csp = [
      "default-src 'none'",
      "style-src 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      // After the login form the browser is redirected on to the portal's callback; Chromium applies
      // form-action to the redirects of a form submission too.
      `form-action 'self' ${clientOrigin}`,
    ].join('; ');

    const configuration: Configuration = {
      clients: [
        {
          client_id: client.clientId,
          ...(client.clientSecret === undefined
            ? { token_endpoint_auth_method: 'none' }
            : { client_secret: client.clientSecret, token_endpoint_auth_method: 'client_secret_basic' }),
          redirect_uris: [client.redirectUri],
          post_logout_redirect_uris: [client.postLogoutRedirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          id_token_signed_response_alg: 'ES256',
        },
      ],
      jwks: { keys: [privateJwk] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      pkce: { required: () => true },
      claims: { openid: ['sub', 'idnr', 'role', 'roles', 'participants', 'name'] },
      // The portal reads idnr and roles from the ID token; it does not call userinfo.
      conformIdTokenClaims: false,
      clientBasedCORS: () => false,
      features: {
        devInteractions: { enabled: false },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
            ctx.type = 'html';
            ctx.body = demoLogoutPage(form);
          },
          postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
            ctx.type = 'html';
            ctx.body = demoErrorPage('Abgemeldet', 'Sie sind beim Identitätsanbieter abgemeldet.');
          },
        },
      },
      renderError: (ctx: KoaContextWithOIDC, out) => {
        ctx.type = 'html';
        ctx.body = demoErrorPage('Anmeldung nicht möglich', String(out['error'] ?? 'error'));
      },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      findAccount: (_ctx, sub) => {
        const account = accountOf(sub);
        if (account === undefined) return undefined;
        return {
          accountId: account.login,
          claims: () => ({ sub: account.login, name: account.name, ...account.claims }),
        };
      },
      // The portal is this provider's own first-party client: no separate consent screen.
      loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
        const grantId =
          ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
        if (grantId) return ctx.oidc.provider.Grant.find(grantId);
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client!.clientId,
          accountId: ctx.oidc.session!.accountId!,
        });
        grant.addOIDCScope('openid');
        await grant.save();
        return grant;
      },
      ttl: {
        AccessToken: 300,
        AuthorizationCode: 60,
        IdToken: 300,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
    };
    const provider = new Provider(issuer, configuration);
    const oidcHandler = provider.callback();

    handler = (req, res) => {
      res.setHeader('content-security-policy', csp);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
      const path = (req.url ?? '').split('?')[0]!;
      if (path === '/idp.css' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' });
        res.end(DEMO_IDP_CSS);
        return;
      }
      const match = /^\/interaction\/([A-Za-z0-9_-]{1,64})$/.exec(path);
      if (match === null) {
        oidcHandler(req, res);
        return;
      }
      interaction(provider, req, res, match[1]!).catch(() => {
        if (!res.headersSent) {
          res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
          res.end(demoErrorPage('Anmeldung nicht möglich', 'Die Anmeldung ist abgelaufen oder ungültig.'));
        }
      });
    };
  }

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    configureClient,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The login page (GET) and its submission (POST) for one interaction. */
async function interaction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const html = (status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body);
  };
  if (req.method === 'GET') {
    html(200, demoLoginPage({ action: `/interaction/${uid}` }));
    return;
  }
  if (req.method !== 'POST') {
    html(405, demoErrorPage('Anmeldung nicht möglich', 'Methode nicht erlaubt.'));
    return;
  }
  const form = await readForm(req);
  const login = form?.get('login')?.trim();
  const account = accountOf(login);
  if (account === undefined || form?.get('password') !== DEMO_PASSWORD) {
    html(401, demoLoginPage({ action: `/interaction/${uid}`, failed: true, login: login ?? '' }));
    return;
  }
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: account.login } },
    { mergeWithLastSubmission: false },
  );
}
