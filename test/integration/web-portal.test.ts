/**
 * The portal over real HTTP (no browser): sessions, CSRF and Origin checks, roles, another citizen's ids, and
 * the OpenID Connect refusals — against the real demo OpenID Provider, and against a scripted provider for ID
 * tokens that a real provider would never issue (wrong issuer or audience, alg none).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fromRoot } from '../../gateway/paths.js';
import { expect } from 'chai';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { loadDemoIdpKey } from '../../gateway/bootstrap/demo.js';
import type { DemoIdpKey } from '../../gateway/adapters/idp/demo-identity-provider.js';
import { ERIKA, LENA, MAX, startTestGateway, type TestGateway } from '../helpers/start-test-gateway.js';
import { authorizeAtDemoOp, loginAs, WebClient } from '../helpers/web-client.js';
import {
  pkceChallenge,
  startFakeOpenIdProvider,
  type FakeOpenIdProvider,
} from '../fixtures/fake-openid-provider.js';

const OPTION = 'ags:09999001|meldebescheinigung|wohngeld-antrag';

async function consentsOf(
  g: TestGateway,
  idnr: string,
): Promise<{ id: string; events: { type: string }[] }[]> {
  const answer = await g.request('GET', '/v1/me/consents', { bearer: await g.citizenToken(idnr) });
  return answer.json!['consents'] as { id: string; events: { type: string }[] }[];
}

describe('web portal over HTTP', function () {
  this.timeout(60_000);
  let g: TestGateway;

  before(async () => {
    g = await startTestGateway();
  });
  after(async () => {
    await g?.close();
  });

  describe('sessions', () => {
    it('sends a page without a session to the login, returning to it afterwards (303)', async () => {
      const answer = await new WebClient(g.url).get('/meine-daten');
      expect(answer.status).to.equal(303);
      expect(answer.location).to.equal('/auth/login?returnTo=%2Fmeine-daten');
    });

    it('sends a form post without a session to the login (303) and changes nothing', async () => {
      const before = await consentsOf(g, LENA);
      const answer = await new WebClient(g.url).post('/meine-daten/einwilligungen', {
        option: OPTION,
        _csrf: 'x',
      });
      expect([answer.status, answer.location]).to.deep.equal([303, '/auth/login']);
      expect(await consentsOf(g, LENA)).to.deep.equal(before);
    });

    it('sets the session cookie HttpOnly and SameSite=Lax, without Secure on localhost, and a strict CSP on pages', async () => {
      const portal = new WebClient(g.url);
      const callback = await authorizeAtDemoOp(portal, MAX);
      const done = await portal.get(callback);
      const cookie = done.headers.getSetCookie().find((c) => c.startsWith('oog-session='));
      expect(cookie)
        .to.match(/; HttpOnly/)
        .and.match(/; SameSite=Lax/)
        .and.match(/; Path=\//);
      expect(cookie).to.not.match(/Secure/);
      const page = await portal.get('/meine-daten');
      expect(page.status).to.equal(200);
      const csp = page.headers.get('content-security-policy')!;
      expect(csp)
        .to.contain("default-src 'none'")
        .and.contain("style-src 'self'")
        .and.contain("frame-ancestors 'none'");
      expect(csp).to.not.contain('unsafe-inline');
      expect(csp).to.not.contain('script-src');
      expect(page.text).to.not.match(/<script|style=/i);
    });

    it('ends an idle session: the page redirects to the login and a post changes nothing', async () => {
      const portal = await loginAs(g.url, LENA);
      const csrf = WebClient.csrfOf((await portal.get('/meine-daten')).text);
      const before = await consentsOf(g, LENA);
      g.clock.advance(16 * 60 * 1000); // idle timeout 15 min
      try {
        const page = await portal.get('/meine-daten');
        expect([page.status, page.location]).to.deep.equal([303, '/auth/login?returnTo=%2Fmeine-daten']);
        const post = await portal.post('/meine-daten/einwilligungen', { option: OPTION, _csrf: csrf });
        expect([post.status, post.location]).to.deep.equal([303, '/auth/login']);
        expect(await consentsOf(g, LENA)).to.deep.equal(before);
      } finally {
        g.clock.advance(-16 * 60 * 1000);
      }
    });

    it('ends a session at its absolute end even if it was used all along', async () => {
      const portal = await loginAs(g.url, LENA);
      try {
        for (let i = 0; i < 35; i++) {
          g.clock.advance(14 * 60 * 1000);
          const page = await portal.get('/meine-daten');
          if (i < 34) expect(page.status, `after ${(i + 1) * 14} min`).to.equal(200);
          else
            expect([page.status, page.location]).to.deep.equal([303, '/auth/login?returnTo=%2Fmeine-daten']);
        }
      } finally {
        g.clock.advance(-35 * 14 * 60 * 1000);
      }
    });

    it('logs out with POST and the CSRF token: the session is gone, the provider logout comes next', async () => {
      const portal = await loginAs(g.url, LENA);
      const csrf = WebClient.csrfOf((await portal.get('/meine-daten')).text);
      const out = await portal.post('/auth/logout', { _csrf: csrf });
      expect(out.status).to.equal(303);
      expect(out.location)
        .to.match(/\/session\/end\?/)
        .and.contain('id_token_hint=');
      const page = await portal.get('/meine-daten');
      expect(page.status).to.equal(303);
    });
  });

  describe('the demo OpenID Provider', () => {
    async function idTokenOf(login: string): Promise<string> {
      const portal = await loginAs(g.url, login);
      const start = await portal.get('/');
      const csrf = WebClient.csrfOf((await portal.get(start.location!)).text);
      const out = await portal.post('/auth/logout', { _csrf: csrf });
      return new URL(out.location!).searchParams.get('id_token_hint')!;
    }

    it('signs ID tokens with the key of the API tokens, verifiable at the one JWKS: idnr for citizens, role dpo for the DPO', async () => {
      const keys = createRemoteJWKSet(new URL(`${g.gateway.idp.issuer}/jwks`));
      const options = { issuer: g.gateway.idp.issuer, audience: 'oog-portal', algorithms: ['ES256'] };
      const citizen = await jwtVerify(await idTokenOf(LENA), keys, options);
      expect(citizen.payload['idnr']).to.equal(LENA);
      const dpo = await jwtVerify(await idTokenOf('dpo'), keys, options);
      expect([dpo.payload['role'], dpo.payload['roles']]).to.deep.equal(['dpo', ['dpo']]);
      expect(dpo.payload['idnr']).to.equal(undefined);
      const apiToken = await g.citizenToken(LENA);
      expect(decodeProtectedHeader(apiToken).kid).to.equal(citizen.protectedHeader.kid);
      await jwtVerify(apiToken, keys, { issuer: g.gateway.idp.issuer, audience: 'oog:demo-gateway' });
    });

    it('does not accept an ID token as an API bearer token (its audience is the portal): 401 ERR_AUTH', async () => {
      const answer = await g.request('GET', '/v1/me/consents', { bearer: await idTokenOf(LENA) });
      expect([answer.status, answer.json?.['code']]).to.deep.equal([401, 'ERR_AUTH']);
    });
  });

  describe('cross-site form posts', () => {
    let portal: WebClient;
    let csrf: string;
    before(async () => {
      portal = await loginAs(g.url, MAX);
      csrf = WebClient.csrfOf((await portal.get('/meine-daten')).text);
    });

    for (const [name, form, headers] of [
      ['without the CSRF token', { option: OPTION }, {}],
      ['with a wrong CSRF token', { option: OPTION, _csrf: 'A'.repeat(43) }, {}],
      [
        'from a foreign Origin, even with the right token',
        { option: OPTION, _csrf: '<csrf>' },
        { origin: 'https://evil.example' },
      ],
      ['with Origin: null', { option: OPTION, _csrf: '<csrf>' }, { origin: 'null' }],
      [
        'marked Sec-Fetch-Site: cross-site',
        { option: OPTION, _csrf: '<csrf>' },
        { 'sec-fetch-site': 'cross-site' },
      ],
    ] as const) {
      it(`refuses giving consent ${name} with 403 ERR_FORBIDDEN, nothing changed`, async () => {
        const before = await consentsOf(g, MAX);
        const body: Record<string, string> = { ...form };
        if (body['_csrf'] === '<csrf>') body['_csrf'] = csrf;
        const answer = await portal.post('/meine-daten/einwilligungen', body, headers);
        expect([answer.status, WebClient.codeOf(answer.text)]).to.deep.equal([403, 'ERR_FORBIDDEN']);
        expect(await consentsOf(g, MAX)).to.deep.equal(before);
      });
    }

    it('refuses a withdrawal without the CSRF token with 403 ERR_FORBIDDEN, the consent stays active', async () => {
      const given = await portal.post('/meine-daten/einwilligungen', { option: OPTION, _csrf: csrf });
      expect([given.status, given.location]).to.deep.equal([303, '/meine-daten?ok=given']);
      const id = (await consentsOf(g, MAX))[0]!.id;
      const answer = await portal.post(`/meine-daten/einwilligungen/${id}/widerruf`, {});
      expect([answer.status, WebClient.codeOf(answer.text)]).to.deep.equal([403, 'ERR_FORBIDDEN']);
      expect((await consentsOf(g, MAX))[0]!.events.map((e) => e.type)).to.deep.equal(['given']);
      const withdrawn = await portal.post(`/meine-daten/einwilligungen/${id}/widerruf`, { _csrf: csrf });
      expect([withdrawn.status, withdrawn.location]).to.deep.equal([303, '/meine-daten?ok=withdrawn']);
    });

    it('refuses a consent option no policy offers with 400 ERR_SCHEMA, nothing changed', async () => {
      const before = await consentsOf(g, MAX);
      const answer = await portal.post('/meine-daten/einwilligungen', {
        option: 'ags:09999003|meldebescheinigung|wohngeld-antrag',
        _csrf: csrf,
      });
      expect([answer.status, WebClient.codeOf(answer.text)]).to.deep.equal([400, 'ERR_SCHEMA']);
      expect(await consentsOf(g, MAX)).to.deep.equal(before);
    });
  });

  describe("another person's ids and roles", () => {
    let max: WebClient;
    let erikasConsent: string;
    before(async () => {
      max = await loginAs(g.url, MAX);
      erikasConsent = (await consentsOf(g, ERIKA))[0]!.id;
    });

    for (const [name, path] of [
      ['details', (id: string) => `/meine-daten/einwilligungen/${id}`],
      ['receipt', (id: string) => `/meine-daten/einwilligungen/${id}/quittung`],
    ] as const) {
      it(`answers another citizen's consent ${name} and an unknown id alike with 404 ERR_NOT_FOUND`, async () => {
        const unknownId = randomUUID();
        const other = await max.get(path(erikasConsent));
        const unknown = await max.get(path(unknownId));
        expect([other.status, WebClient.codeOf(other.text)]).to.deep.equal([404, 'ERR_NOT_FOUND']);
        expect([unknown.status, WebClient.codeOf(unknown.text)]).to.deep.equal([404, 'ERR_NOT_FOUND']);
        // The same page but for the id in the URL (echoed by the language switch): nothing tells them apart.
        expect(other.text.replaceAll(erikasConsent, 'ID')).to.equal(unknown.text.replaceAll(unknownId, 'ID'));
      });
    }

    it("refuses withdrawing another citizen's consent with 404 ERR_NOT_FOUND; it stays active", async () => {
      const csrf = WebClient.csrfOf((await max.get('/meine-daten')).text);
      const answer = await max.post(`/meine-daten/einwilligungen/${erikasConsent}/widerruf`, { _csrf: csrf });
      expect([answer.status, WebClient.codeOf(answer.text)]).to.deep.equal([404, 'ERR_NOT_FOUND']);
      const erika = (await consentsOf(g, ERIKA)).find((c) => c.id === erikasConsent)!;
      expect(erika.events.map((e) => e.type)).to.not.include('withdrawn');
    });

    it('serves the own receipt as a signed JWS download', async () => {
      const erika = await loginAs(g.url, ERIKA);
      const answer = await erika.get(`/meine-daten/einwilligungen/${erikasConsent}/quittung`);
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('content-type')).to.match(/^application\/jose/);
      expect(answer.headers.get('content-disposition')).to.match(/^attachment;/);
      expect(answer.text).to.match(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    });

    it('answers a citizen on the DPO dashboard with 403 ERR_FORBIDDEN', async () => {
      const answer = await max.get('/dpo');
      expect([answer.status, WebClient.codeOf(answer.text)]).to.deep.equal([403, 'ERR_FORBIDDEN']);
      expect(answer.text).to.not.contain('checkpoint-root');
    });

    it('answers a DPO on the citizen pages with 403 ERR_FORBIDDEN, and shows the DPO the log state', async () => {
      const dpo = await loginAs(g.url, 'dpo');
      const answer = await dpo.get('/meine-daten');
      expect([answer.status, WebClient.codeOf(answer.text)]).to.deep.equal([403, 'ERR_FORBIDDEN']);
      const dashboard = await dpo.get('/dpo');
      expect(dashboard.status).to.equal(200);
      const size = /<dd id="log-size">([0-9]+)<\/dd>/.exec(dashboard.text)?.[1];
      expect(Number(size)).to.equal(await g.gateway.logStore.size());
    });

    it('sends the DPO page without a session to the login', async () => {
      const answer = await new WebClient(g.url).get('/dpo');
      expect([answer.status, answer.location]).to.deep.equal([303, '/auth/login?returnTo=%2Fdpo']);
    });
  });

  describe('OpenID Connect against the demo provider', () => {
    it('refuses a callback whose state is not the login’s with 401 ERR_AUTH and no session', async () => {
      const portal = new WebClient(g.url);
      const callback = new URL(await authorizeAtDemoOp(portal, MAX));
      callback.searchParams.set('state', 'x'.repeat(43));
      const answer = await portal.get(callback.href);
      expect([answer.status, WebClient.codeOf(answer.text)]).to.deep.equal([401, 'ERR_AUTH']);
      expect(portal.jar.get('oog-session')).to.equal(undefined);
    });

    it('refuses a callback without a login in progress with 401 ERR_AUTH', async () => {
      const portal = new WebClient(g.url);
      const callback = await authorizeAtDemoOp(portal, MAX);
      portal.jar.delete('oog-login');
      const answer = await portal.get(callback);
      expect([answer.status, WebClient.codeOf(answer.text)]).to.deep.equal([401, 'ERR_AUTH']);
    });

    it('refuses a replayed authorization code with 401 ERR_AUTH, even under a fresh login’s state', async () => {
      const portal = new WebClient(g.url);
      const first = new URL(await authorizeAtDemoOp(portal, MAX));
      expect((await portal.get(first.href)).status).to.equal(303);
      // A new login in the same browser; the old code is presented with the new login's state.
      const attacker = new WebClient(g.url);
      const start = await attacker.get('/auth/login');
      const state = new URL(start.location!).searchParams.get('state')!;
      const replay = new URL(first.href);
      replay.searchParams.set('state', state);
      const answer = await attacker.get(replay.href);
      expect([answer.status, WebClient.codeOf(answer.text)]).to.deep.equal([401, 'ERR_AUTH']);
      expect(attacker.jar.get('oog-session')).to.equal(undefined);
    });

    it('shows the provider’s login form again on a wrong password (401)', async () => {
      const portal = new WebClient(g.url);
      let failed: Error | undefined;
      try {
        await authorizeAtDemoOp(portal, MAX, 'wrong');
      } catch (error) {
        failed = error as Error;
      }
      expect(failed?.message).to.equal('login refused at the provider: 401');
    });
  });
});

describe('web portal: ID tokens a provider should never send', function () {
  this.timeout(60_000);
  let g: TestGateway;
  let op: FakeOpenIdProvider;
  let key: DemoIdpKey;
  const CLIENT = 'portal-under-test';

  before(async () => {
    key = await loadDemoIdpKey();
    op = await startFakeOpenIdProvider(key);
    g = await startTestGateway({
      config: {
        idp: { issuer: op.issuer, jwksUrl: `${op.issuer}/jwks`, audience: 'oog:demo-gateway' },
        web: { clientId: CLIENT, clientSecret: 's'.repeat(32) },
      },
    });
  });
  after(async () => {
    await g?.close();
    await op?.close();
  });

  const craft = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT({ idnr: MAX, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, ...header } as { alg: string })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);

  /** Starts a login, scripts the ID token, and presents the callback; the answer and the login's values. */
  async function callbackWith(idToken: (nonce: string) => Promise<string>) {
    const portal = new WebClient(g.url);
    const start = await portal.get('/auth/login');
    const authorize = new URL(start.location!);
    const state = authorize.searchParams.get('state')!;
    const nonce = authorize.searchParams.get('nonce')!;
    op.idToken = () => idToken(nonce);
    const answer = await portal.get(`/auth/callback?code=c0de&state=${state}`);
    return { answer, portal, authorize };
  }

  it('logs in with a correct ID token, having redeemed the code with the PKCE verifier and client secret', async () => {
    const { answer, portal, authorize } = await callbackWith((nonce) =>
      craft({ nonce, sub: MAX, iss: op.issuer, aud: CLIENT }),
    );
    expect(answer.status).to.equal(303);
    expect(portal.jar.get('oog-session')).to.match(/^[A-Za-z0-9_-]{43}$/);
    const request = op.tokenRequests.at(-1)!;
    expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(pkceChallenge(request.form.get('code_verifier')!)).to.equal(
      authorize.searchParams.get('code_challenge'),
    );
    expect(request.authorization).to.match(/^Basic /);
  });

  for (const [name, token] of [
    [
      'a wrong issuer',
      (nonce: string) => craft({ nonce, sub: MAX, iss: 'https://evil.example', aud: CLIENT }),
    ],
    [
      'a wrong audience',
      (nonce: string) => craft({ nonce, sub: MAX, iss: op.issuer, aud: 'another-client' }),
    ],
    ['a wrong nonce', () => craft({ nonce: 'n'.repeat(43), sub: MAX, iss: op.issuer, aud: CLIENT })],
    [
      'alg none',
      async (nonce: string) => {
        const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return `${b64({ alg: 'none' })}.${b64({ iss: op.issuer, aud: CLIENT, sub: MAX, idnr: MAX, nonce, iat: now, exp: now + 300 })}.`;
      },
    ],
    [
      'an HMAC signature keyed with the public key',
      async (nonce: string) =>
        new SignJWT({ idnr: MAX, nonce })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(op.issuer)
          .setAudience(CLIENT)
          .setSubject(MAX)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(
            new TextEncoder().encode(
              JSON.stringify(
                await import('../../gateway/adapters/idp/demo-identity-provider.js').then((m) =>
                  m.publicJwk(key),
                ),
              ),
            ),
          ),
    ],
    [
      'an invalid IDNr',
      (nonce: string) => craft({ nonce, sub: 'x', idnr: '93141705863', iss: op.issuer, aud: CLIENT }),
    ],
  ] as const) {
    it(`refuses an ID token with ${name}: 401 ERR_AUTH, no session`, async () => {
      const { answer, portal } = await callbackWith(token);
      expect([answer.status, WebClient.codeOf(answer.text)]).to.deep.equal([401, 'ERR_AUTH']);
      expect(portal.jar.get('oog-session')).to.equal(undefined);
    });
  }
});

describe('web portal: cookies off localhost', function () {
  this.timeout(60_000);

  it('sets the login cookie Secure with the __Host- prefix when the redirect URI is https', async () => {
    const g = await startTestGateway({
      config: { web: { redirectUri: 'https://portal.example/auth/callback' } },
    });
    try {
      const answer = await new WebClient(g.url).get('/auth/login');
      expect(answer.status).to.equal(303);
      const cookie = answer.headers.getSetCookie().find((c) => c.startsWith('__Host-oog-login='));
      expect(cookie).to.match(/; Path=\/; HttpOnly; SameSite=Lax; Secure; /);
      expect(cookie).to.not.match(/Domain=/i);
    } finally {
      await g.close();
    }
  });

  it('refuses to start with a plain-HTTP redirect URI outside localhost', async () => {
    let failure: Error | undefined;
    try {
      const g = await startTestGateway({
        config: { web: { redirectUri: 'http://portal.example/auth/callback' } },
      });
      await g.close();
    } catch (error) {
      failure = error as Error;
    }
    expect(failure?.message).to.match(/OOG_OIDC_REDIRECT_URI must be https/);
  });
});

describe('web portal: markup in displayed values', function () {
  this.timeout(60_000);
  const SCRIPT = '<script>alert(document.cookie)</script>';
  let dir: string;
  let g: TestGateway;

  before(async () => {
    // The example participants with the Wohngeldstelle's name carrying markup (paths made absolute).
    const source = fromRoot('certs-example/participants.json');
    const base = dirname(source);
    const abs = (files: string[]) => files.map((f) => resolve(base, f));
    const material = JSON.parse(readFileSync(source, 'utf8')) as Record<string, unknown> & {
      anchors: string[];
      intermediates?: string[];
      crls?: string[];
      participants: { id: string; name: string; certificates: string[] }[];
    };
    material.anchors = abs(material.anchors);
    if (material.intermediates) material.intermediates = abs(material.intermediates);
    if (material.crls) material.crls = abs(material.crls);
    for (const p of material.participants) {
      p.certificates = abs(p.certificates);
      if (p.id === 'ags:09999001') p.name = `Wohngeldstelle ${SCRIPT}`;
    }
    dir = mkdtempSync(join(tmpdir(), 'oog-web-markup-'));
    const file = join(dir, 'participants.json');
    writeFileSync(file, JSON.stringify(material));
    g = await startTestGateway({ config: { participantsFile: file } });
  });
  after(async () => {
    await g?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows an agency name carrying a script as text on the consents and details pages', async () => {
    const erika = await loginAs(g.url, ERIKA);
    const list = await erika.get('/meine-daten');
    expect(list.status).to.equal(200);
    expect(list.text).to.not.contain('<script');
    expect(list.text).to.contain('Wohngeldstelle &lt;script&gt;alert(document.cookie)&lt;/script&gt;');
    const id = (await consentsOf(g, ERIKA))[0]!.id;
    const details = await erika.get(`/meine-daten/einwilligungen/${id}`);
    expect(details.status).to.equal(200);
    expect(details.text).to.not.contain('<script');
    expect(details.text).to.contain('&lt;script&gt;');
  });
});
