/**
 * A cookie-keeping HTTP client for the portal's pages, and a login through the real OpenID Connect flow against
 * the demo OpenID Provider (authorization request, login form, code, callback), without a browser.
 */
import { DEMO_PASSWORD } from '../../gateway/adapters/idp/demo-openid-provider.js';

export interface PageAnswer {
  readonly status: number;
  readonly location: string | null;
  readonly headers: Headers;
  readonly text: string;
}

export class CookieJar {
  readonly #cookies = new Map<string, string>();
  keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/max-age=0/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }
  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }
  delete(name: string): void {
    this.#cookies.delete(name);
  }
}

export class WebClient {
  readonly jar = new CookieJar();
  readonly base: string;
  constructor(base: string) {
    this.base = base;
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<PageAnswer> {
    const response = await fetch(new URL(path, this.base), {
      redirect: 'manual',
      headers: { cookie: this.jar.header(), ...headers },
    });
    this.jar.keep(response);
    return {
      status: response.status,
      location: response.headers.get('location'),
      headers: response.headers,
      text: await response.text(),
    };
  }

  async post(
    path: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<PageAnswer> {
    const response = await fetch(new URL(path, this.base), {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: this.jar.header(),
        'content-type': 'application/x-www-form-urlencoded',
        origin: new URL(this.base).origin,
        ...headers,
      },
      body: new URLSearchParams(form).toString(),
    });
    this.jar.keep(response);
    return {
      status: response.status,
      location: response.headers.get('location'),
      headers: response.headers,
      text: await response.text(),
    };
  }

  /** The CSRF token of the page's forms. */
  static csrfOf(page: string): string {
    const match = /name="_csrf" value="([^"]+)"/.exec(page);
    if (!match) throw new Error('no CSRF token on the page');
    return match[1]!;
  }

  /** The code on an error page. */
  static codeOf(page: string): string | undefined {
    return /<code id="error-code">([A-Z_]+)<\/code>/.exec(page)?.[1];
  }
}

/**
 * Walks the authorization code flow up to the provider's redirect back to the portal, as a browser would, and
 * returns that callback URL (not yet followed). `portal` must hold the login cookie afterwards.
 */
export async function authorizeAtDemoOp(
  portal: WebClient,
  login: string,
  password = DEMO_PASSWORD,
): Promise<string> {
  const start = await portal.get('/auth/login');
  if (start.status !== 303 || start.location === null)
    throw new Error(`login did not redirect: ${start.status}`);
  const op = new WebClient(new URL(start.location).origin);
  let answer = await op.get(start.location);
  let url = new URL(answer.location!, start.location).href;
  answer = await op.get(url); // the login page
  if (answer.status !== 200) throw new Error(`no login page: ${answer.status}`);
  answer = await op.post(url, { login, password }, { origin: op.base });
  if (answer.status !== 303) throw new Error(`login refused at the provider: ${answer.status}`);
  url = new URL(answer.location!, url).href;
  answer = await op.get(url); // resume → redirect to the portal's callback
  if (answer.status !== 303 || answer.location === null) throw new Error(`no callback: ${answer.status}`);
  return answer.location;
}

/** A portal client with a session of this demo account, logged in through the real OIDC flow. */
export async function loginAs(base: string, login: string): Promise<WebClient> {
  const portal = new WebClient(base);
  const callback = await authorizeAtDemoOp(portal, login);
  const done = await portal.get(callback);
  if (done.status !== 303)
    throw new Error(`callback refused: ${done.status} ${WebClient.codeOf(done.text) ?? ''}`);
  return portal;
}
