/**
 * The portal's guards (steps 3 to 5 of gateway/web/create-web-router.ts): who may see a page or send a form, and
 * how a refusal or failure becomes an error page. Every route goes through one of `page`, `action` or `wrap`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { GatewayError, toGatewayError } from '../core/index.js';
import type { Lang } from './i18n.js';
import type { FrameUser } from './layout.js';
import { errorPage } from './pages/simple-pages.js';
import type { Session, SessionManager } from './sessions.js';

/** A path of this portal to return to after the login: same origin, no `//`, no odd characters. */
export const RETURN_TO = /^\/(?!\/)[A-Za-z0-9\-._~/?=&%]{0,200}$/;

type Handler = (req: Request, res: Response) => Promise<void>;
export type SessionHandler = (req: Request, res: Response, s: Session) => Promise<void>;

/** The request's language, set by the router's first middleware. */
export const langOf = (res: Response): Lang => res.locals['lang'] as Lang;

export function frameUser(session: Session): FrameUser {
  const { user } = session;
  return { role: user.role, name: user.name ?? user.idnr ?? user.subject, csrf: session.csrf };
}

function sameToken(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export interface GuardOptions {
  readonly sessions: SessionManager;
  readonly logger: Logger;
  /** The portal's own origin: a form post from any other is refused. */
  readonly origin: string;
}

export interface Guards {
  /** A GatewayError as an error page with its status and code; anything else ERR_INTERNAL, logged. */
  sendError(req: Request, res: Response, error: unknown, session?: Session): void;
  /** A page for one role: no session → login; another role → 403. */
  page(role: 'citizen' | 'dpo', handler: SessionHandler): Handler;
  /** A form post: foreign origin → 403; no session → login; wrong or missing CSRF token → 403. */
  action(role: 'citizen' | 'dpo' | 'any', handler: SessionHandler): Handler;
  /** A public route: only its errors become error pages. */
  wrap(handler: Handler): Handler;
}

export function createGuards(options: GuardOptions): Guards {
  const { sessions, logger } = options;

  function sendError(req: Request, res: Response, error: unknown, session?: Session): void {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'ERR_INTERNAL') {
      logger.error({ event: 'web.error', err: error, requestId: req.id }, 'web.error');
    }
    const page = errorPage(
      { lang: langOf(res), path: req.originalUrl, ...(session ? { user: frameUser(session) } : {}) },
      gatewayError.code,
    );
    res.status(page.status).type('html').send(page.body);
  }

  const loginRedirect = (res: Response, returnTo?: string) => {
    const target =
      returnTo !== undefined && RETURN_TO.test(returnTo)
        ? `/auth/login?returnTo=${encodeURIComponent(returnTo)}`
        : '/auth/login';
    res.redirect(303, target);
  };

  function page(role: 'citizen' | 'dpo', handler: SessionHandler): Handler {
    return async (req: Request, res: Response) => {
      let session: Session | undefined;
      try {
        session = await sessions.current(req);
        if (session === undefined) return loginRedirect(res, req.originalUrl);
        if (session.user.role !== role) throw new GatewayError('ERR_FORBIDDEN', 'not for this role');
        await handler(req, res, session);
      } catch (error) {
        sendError(req, res, error, session);
      }
    };
  }

  function action(role: 'citizen' | 'dpo' | 'any', handler: SessionHandler): Handler {
    return async (req: Request, res: Response) => {
      let session: Session | undefined;
      try {
        const origin = req.headers.origin;
        if (
          (origin !== undefined && origin !== options.origin) ||
          req.headers['sec-fetch-site'] === 'cross-site'
        ) {
          throw new GatewayError('ERR_FORBIDDEN', 'a form of another site');
        }
        session = await sessions.current(req);
        if (session === undefined) return loginRedirect(res);
        const body = (req.body ?? {}) as Record<string, unknown>;
        if (!sameToken(body['_csrf'], session.csrf)) {
          throw new GatewayError('ERR_FORBIDDEN', 'the form token is missing or wrong');
        }
        if (role !== 'any' && session.user.role !== role) {
          throw new GatewayError('ERR_FORBIDDEN', 'not for this role');
        }
        await handler(req, res, session);
      } catch (error) {
        sendError(req, res, error, session);
      }
    };
  }

  const wrap =
    (handler: Handler): Handler =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await handler(req, res);
      } catch (error) {
        sendError(req, res, error);
      }
    };

  return { sendError, page, action, wrap };
}
