/**
 * The portal's server-side sessions (SECURITY.md "HTTP"). The cookie holds only a random id (256 bits); the
 * store holds a SHA-256 of it with the session's data. Cookies are HttpOnly and SameSite=Lax (Lax, not Strict:
 * the browser must send the login cookie on the top-level redirect back from the identity provider); outside
 * localhost they are Secure and carry the `__Host-` prefix (no Domain, Path=/, so no sibling host can set or read
 * them). A session ends after an idle timeout or at its absolute end, whichever comes first, and on logout. A
 * login in progress (state, nonce, PKCE verifier) is its own short-lived record under its own cookie, consumed
 * exactly once; a successful login always starts a new session id (no fixation).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock, WebSessionStore } from '../core/index.js';

/** A signed-in person. */
export interface SessionUser {
  readonly role: 'citizen' | 'dpo';
  /** The OIDC subject. */
  readonly subject: string;
  /** Citizens: the IDNr from the ID token. */
  readonly idnr?: string;
  readonly name?: string;
  /** DPOs: the participant ids their view is limited to, if any. */
  readonly participants?: readonly string[];
}

export interface Session {
  readonly user: SessionUser;
  /** The synchronizer token that every form of this session carries. */
  readonly csrf: string;
  /** The ID token, for the identity provider's logout (id_token_hint). */
  readonly idToken: string;
}

/** A login in progress: what the callback must find again. */
export interface LoginTransaction {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
}

export interface SessionOptions {
  readonly store: WebSessionStore;
  readonly clock: Clock;
  readonly idleMs: number;
  readonly maxMs: number;
  /** Secure cookies with the __Host- prefix (any origin but plain-HTTP localhost). */
  readonly secure: boolean;
}

const LOGIN_TTL_MS = 10 * 60 * 1000;
/** lastSeenAt is written at most this often, so reading a page is not a database write each time. */
const TOUCH_EVERY_MS = 15 * 1000;

const hashId = (id: string): string => createHash('sha256').update(id).digest('hex');
const newId = (): string => randomBytes(32).toString('base64url');

function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export interface SessionManager {
  readonly cookieNames: { readonly session: string; readonly login: string };
  /** The session of this request, or undefined (none, unknown, idle too long, past its end). */
  current(req: Request): Promise<Session | undefined>;
  /** Starts a session for a freshly logged-in user and sets its cookie. */
  start(res: Response, user: SessionUser, idToken: string): Promise<Session>;
  /** Ends the request's session (if any) and clears its cookie. */
  end(req: Request, res: Response): Promise<Session | undefined>;
  beginLogin(res: Response, transaction: LoginTransaction): Promise<void>;
  /** The request's login in progress, removed from the store whatever happens next (use once). */
  takeLogin(req: Request, res: Response): Promise<LoginTransaction | undefined>;
}

export function createSessionManager(options: SessionOptions): SessionManager {
  const { store, clock, idleMs, maxMs, secure } = options;
  const prefix = secure ? '__Host-' : '';
  const cookieNames = { session: `${prefix}oog-session`, login: `${prefix}oog-login` };
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

  const setCookie = (res: Response, name: string, value: string, maxAgeS: number) =>
    res.append('Set-Cookie', `${name}=${value}; ${attributes}; Max-Age=${maxAgeS}`);
  const clearCookie = (res: Response, name: string) =>
    res.append('Set-Cookie', `${name}=; ${attributes}; Max-Age=0`);

  async function load(id: string | undefined, idle: number): Promise<{ data: unknown } | undefined> {
    if (id === undefined) return undefined;
    const idHash = hashId(id);
    const record = await store.get(idHash);
    if (record === undefined) return undefined;
    const now = clock.nowMs();
    if (now >= record.expiresAt || now - record.lastSeenAt > idle) {
      await store.delete(idHash);
      return undefined;
    }
    if (now - record.lastSeenAt > TOUCH_EVERY_MS) await store.touch(idHash, now);
    return { data: JSON.parse(record.data) as unknown };
  }

  return {
    cookieNames,

    async current(req) {
      const loaded = await load(readCookie(req, cookieNames.session), idleMs);
      const data = loaded?.data as { kind?: string } | undefined;
      return data?.kind === 'session' ? (data as unknown as Session & { kind: string }) : undefined;
    },

    async start(res, user, idToken) {
      const now = clock.nowMs();
      await store.purge(now, now - Math.max(idleMs, LOGIN_TTL_MS));
      const id = newId();
      const session: Session = { user, csrf: randomBytes(32).toString('base64url'), idToken };
      await store.create({
        idHash: hashId(id),
        data: JSON.stringify({ kind: 'session', ...session }),
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + maxMs,
      });
      setCookie(res, cookieNames.session, id, Math.ceil(maxMs / 1000));
      return session;
    },

    async end(req, res) {
      const id = readCookie(req, cookieNames.session);
      clearCookie(res, cookieNames.session);
      if (id === undefined) return undefined;
      const record = await store.get(hashId(id));
      await store.delete(hashId(id));
      if (record === undefined) return undefined;
      const data = JSON.parse(record.data) as { kind?: string };
      return data.kind === 'session' ? (data as unknown as Session) : undefined;
    },

    async beginLogin(res, transaction) {
      const now = clock.nowMs();
      // Logins that were started and never finished must not pile up.
      await store.purge(now, now - Math.max(idleMs, LOGIN_TTL_MS));
      const id = newId();
      await store.create({
        idHash: hashId(id),
        data: JSON.stringify({ kind: 'login', ...transaction }),
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + LOGIN_TTL_MS,
      });
      setCookie(res, cookieNames.login, id, LOGIN_TTL_MS / 1000);
    },

    async takeLogin(req, res) {
      const id = readCookie(req, cookieNames.login);
      clearCookie(res, cookieNames.login);
      if (id === undefined) return undefined;
      const loaded = await load(id, LOGIN_TTL_MS);
      // Consumed exactly once: only the caller whose delete removed the row may go on.
      if (loaded === undefined || !(await store.delete(hashId(id)))) return undefined;
      const data = loaded.data as { kind?: string };
      return data.kind === 'login' ? (data as unknown as LoginTransaction) : undefined;
    },
  };
}
