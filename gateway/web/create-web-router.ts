/**
 * The portal's routes: server-rendered pages for citizens ("Meine Daten") and data-protection officers, and the
 * OpenID Connect login. Not API calls: they live beside the OpenAPI adapter, not in schemas/openapi.yaml.
 *
 * Every page works without JavaScript. Per request:
 *   1. Content-Security-Policy for pages: nothing but this origin's style sheet and forms to this origin (and
 *      the identity provider, which logout redirects to); no script at all
 *   2. language: `?lang=de|en` (kept in a cookie), else the cookie, else German
 *   3. POST: a foreign `Origin` (or `Sec-Fetch-Site: cross-site`) → 403 ERR_FORBIDDEN before anything else;
 *      then no or expired session → 303 to the login; then the session's CSRF token must match → else 403
 *   4. pages: no or expired session → 303 to the login (returning here); wrong role → 403 ERR_FORBIDDEN
 *   5. a GatewayError becomes an error page with its status and code; anything else ERR_INTERNAL, logged
 */
import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { NextFunction, Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { GatewayError, isUuid, toGatewayError } from '../core/index.js';
import type { Clock } from '../core/index.js';
import { fromRoot } from '../paths.js';
import { isLang, type Lang } from './i18n.js';
import type { FrameUser } from './layout.js';
import type { OidcLogin } from './oidc-login.js';
import { consentRequestPage, type ConsentRequestView } from './pages/consent-request-page.js';
import { consentDetailPage, consentsPage, optionValue } from './pages/consent-pages.js';
import { dashboardPage } from './pages/dpo-dashboard.js';
import { errorPage, homePage, loggedOutPage } from './pages/simple-pages.js';
import type { Session, SessionManager } from './sessions.js';
import type { WebServices } from './services.js';

export interface WebRouterOptions {
  readonly services: WebServices;
  readonly sessions: SessionManager;
  readonly login: OidcLogin;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The portal's own origin (scheme://host:port), from its redirect URI. */
  readonly origin: string;
  /** The identity provider's origin, the one other place a form (logout) may lead to. */
  readonly issuerOrigin: string;
}

// From the project root, not beside this module: the compiled build (dist/) holds no CSS.
const CSS = readFileSync(fromRoot('gateway/web/static/portal.css'), 'utf8');
const LANG_COOKIE = 'oog-lang';
const RETURN_TO = /^\/(?!\/)[A-Za-z0-9\-._~/?=&%]{0,200}$/;

type Handler = (req: Request, res: Response) => Promise<void>;

function langCookie(req: Request): Lang | undefined {
  const match = /(?:^|;\s*)oog-lang=(de|en)(?:;|$)/.exec(req.headers.cookie ?? '');
  return match?.[1] as Lang | undefined;
}

function sameToken(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function frameUser(session: Session): FrameUser {
  const { user } = session;
  return { role: user.role, name: user.name ?? user.idnr ?? user.subject, csrf: session.csrf };
}

export function createWebRouter(options: WebRouterOptions): Router {
  const { services, sessions, login, clock, logger } = options;
  const router = express.Router({ strict: true, caseSensitive: true });
  const csp = [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    `form-action 'self' ${options.issuerOrigin}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const forms = express.urlencoded({ extended: false, limit: 8 * 1024, parameterLimit: 20, inflate: false });

  router.use((req, res, next) => {
    res.setHeader('Content-Security-Policy', csp);
    // Not helmet's no-referrer here: under it browsers send `Origin: null` with form posts, and the origin check
    // needs the real one. same-origin still tells no other site where the person was.
    res.setHeader('Referrer-Policy', 'same-origin');
    const asked = req.query['lang'];
    let lang: Lang = langCookie(req) ?? 'de';
    if (isLang(asked)) {
      lang = asked;
      res.append('Set-Cookie', `${LANG_COOKIE}=${lang}; Path=/; SameSite=Lax; Max-Age=31536000`);
    }
    res.locals['lang'] = lang;
    next();
  });

  const langOf = (res: Response): Lang => res.locals['lang'] as Lang;

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

  const loginRedirect = (req: Request, res: Response, returnTo?: string) => {
    const target =
      returnTo !== undefined && RETURN_TO.test(returnTo)
        ? `/auth/login?returnTo=${encodeURIComponent(returnTo)}`
        : '/auth/login';
    res.redirect(303, target);
  };

  /** A page for one role: no session → login; another role → 403. */
  function page(
    role: 'citizen' | 'dpo',
    handler: (req: Request, res: Response, s: Session) => Promise<void>,
  ) {
    return async (req: Request, res: Response) => {
      let session: Session | undefined;
      try {
        session = await sessions.current(req);
        if (session === undefined) return loginRedirect(req, res, req.originalUrl);
        if (session.user.role !== role) throw new GatewayError('ERR_FORBIDDEN', 'not for this role');
        await handler(req, res, session);
      } catch (error) {
        sendError(req, res, error, session);
      }
    };
  }

  /** A form post: foreign origin → 403; no session → login; wrong or missing CSRF token → 403. */
  function action(
    role: 'citizen' | 'dpo' | 'any',
    handler: (req: Request, res: Response, s: Session) => Promise<void>,
  ) {
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
        if (session === undefined) return loginRedirect(req, res);
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
    (handler: Handler) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await handler(req, res);
      } catch (error) {
        sendError(req, res, error);
      }
    };

  // ---- static and public pages ----------------------------------------------------------------------
  router.get('/static/portal.css', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('text/css').send(CSS);
  });

  router.get(
    '/',
    wrap(async (req, res) => {
      const session = await sessions.current(req);
      if (session) return res.redirect(303, session.user.role === 'dpo' ? '/dpo' : '/meine-daten');
      res.type('html').send(homePage({ lang: langOf(res), path: req.originalUrl }));
    }),
  );

  // ---- login and logout -----------------------------------------------------------------------------
  router.get(
    '/auth/login',
    wrap(async (req, res) => {
      const asked = req.query['returnTo'];
      const returnTo = typeof asked === 'string' && RETURN_TO.test(asked) ? asked : '/';
      const { transaction, url } = await login.begin(returnTo);
      await sessions.beginLogin(res, transaction);
      res.redirect(303, url);
    }),
  );

  router.get(
    '/auth/callback',
    wrap(async (req, res) => {
      const transaction = await sessions.takeLogin(req, res);
      if (transaction === undefined) throw new GatewayError('ERR_AUTH', 'no login in progress');
      const callbackUrl = new URL(req.originalUrl, options.origin);
      const { user, idToken } = await login.finish(callbackUrl, transaction);
      await sessions.end(req, res); // a session of someone else in this browser ends here
      await sessions.start(res, user, idToken);
      logger.info({ event: 'web.login', role: user.role }, 'web.login');
      res.redirect(303, transaction.returnTo);
    }),
  );

  router.post(
    '/auth/logout',
    forms,
    action('any', async (req, res, session) => {
      await sessions.end(req, res);
      const url = await login.logoutUrl(session.idToken);
      res.redirect(303, url ?? '/auth/logged-out');
    }),
  );

  router.get(
    '/auth/logged-out',
    wrap(async (req, res) => {
      res.type('html').send(loggedOutPage({ lang: langOf(res), path: req.originalUrl }));
    }),
  );

  // ---- citizens: Meine Daten --------------------------------------------------------------------------
  const consentFrame = (req: Request, res: Response, session: Session) => ({
    lang: langOf(res),
    path: req.originalUrl,
    user: frameUser(session),
    nowMs: clock.nowMs(),
    participantName: services.participantName,
  });

  router.get(
    '/meine-daten',
    page('citizen', async (req, res, session) => {
      const consents = await services.consents.list(session.user.idnr!);
      const ok = req.query['ok'];
      res.type('html').send(
        consentsPage(consentFrame(req, res, session), {
          consents,
          options: services.consentOptions(),
          ...(ok === 'given' || ok === 'withdrawn' ? { notice: ok } : {}),
        }),
      );
    }),
  );

  router.post(
    '/meine-daten/einwilligungen',
    forms,
    action('citizen', async (req, res, session) => {
      const body = req.body as Record<string, unknown>;
      const option = services.consentOptions().find((o) => optionValue(o) === body['option']);
      if (option === undefined) throw new GatewayError('ERR_SCHEMA', 'no such consent option');
      let validUntil: number | undefined;
      const until = body['validUntil'];
      if (typeof until === 'string' && until !== '') {
        if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(until)) throw new GatewayError('ERR_SCHEMA', 'validUntil');
        // The whole chosen day counts (end of day in Germany, at the latest UTC+2).
        validUntil = Date.parse(`${until}T23:59:59+02:00`);
        if (!Number.isFinite(validUntil) || validUntil <= clock.nowMs()) {
          throw new GatewayError('ERR_SCHEMA', 'validUntil must be a future date');
        }
      }
      const singleUse = body['singleUse'] === 'yes';
      await services.consents.give(session.user.idnr!, {
        consumer: option.consumer,
        evidenceTypes: [option.evidenceType],
        purpose: option.purpose,
        ...(validUntil === undefined ? {} : { validUntil }),
        singleUse,
      });
      res.redirect(303, '/meine-daten?ok=given');
    }),
  );

  router.post(
    '/meine-daten/einwilligungen/:id/widerruf',
    forms,
    action('citizen', async (req, res, session) => {
      const id = String(req.params['id']);
      const withdrawn = isUuid(id) ? await services.consents.withdraw(session.user.idnr!, id) : undefined;
      if (withdrawn === undefined) throw new GatewayError('ERR_NOT_FOUND');
      res.redirect(303, '/meine-daten?ok=withdrawn');
    }),
  );

  async function ownConsent(session: Session, id: string) {
    if (!isUuid(id)) throw new GatewayError('ERR_NOT_FOUND');
    const consent = (await services.consents.list(session.user.idnr!)).find((c) => c.id === id);
    const receipt = consent && (await services.consentReceipt(session.user.idnr!, id));
    // Unknown and someone else's consent: the same answer.
    if (consent === undefined || receipt === undefined) throw new GatewayError('ERR_NOT_FOUND');
    return { consent, receipt };
  }

  router.get(
    '/meine-daten/einwilligungen/:id',
    page('citizen', async (req, res, session) => {
      const { consent, receipt } = await ownConsent(session, String(req.params['id']));
      res.type('html').send(consentDetailPage(consentFrame(req, res, session), consent, receipt));
    }),
  );

  router.get(
    '/meine-daten/einwilligungen/:id/quittung',
    page('citizen', async (req, res, session) => {
      const { consent, receipt } = await ownConsent(session, String(req.params['id']));
      res
        .type('application/jose')
        .set('Content-Disposition', `attachment; filename="einwilligung-${consent.id}.jws"`)
        .send(receipt);
    }),
  );

  // ---- consent requests (the approvalUrl an agency's consent request answers with) -----------------------
  router.get('/portal/consent-requests/:id', (req, res) => {
    const id = String(req.params['id']);
    if (!isUuid(id)) return sendError(req, res, new GatewayError('ERR_NOT_FOUND'), undefined);
    res.redirect(303, `/meine-daten/einwilligungsanfragen/${id}`);
  });

  router.get(
    '/meine-daten/einwilligungsanfragen/:id',
    page('citizen', async (req, res, session) => {
      const id = String(req.params['id']);
      const request = isUuid(id) ? await services.consentRequests.getMine(session.user.idnr!, id) : undefined;
      // Unknown and someone else's request: the same answer.
      if (request === undefined) throw new GatewayError('ERR_NOT_FOUND');
      // The answer sends the browser on to the agency's registered return URL: that redirect is a form action.
      const returnOrigin = new URL(String(request['returnUrl'])).origin;
      res.setHeader(
        'Content-Security-Policy',
        csp.replace("form-action 'self'", `form-action 'self' ${returnOrigin}`),
      );
      res
        .type('html')
        .send(consentRequestPage(consentFrame(req, res, session), request as unknown as ConsentRequestView));
    }),
  );

  router.post(
    '/meine-daten/einwilligungsanfragen/:id',
    forms,
    action('citizen', async (req, res, session) => {
      const id = String(req.params['id']);
      const body = req.body as Record<string, unknown>;
      const decision = body['decision'];
      if (!isUuid(id)) throw new GatewayError('ERR_NOT_FOUND');
      if (decision !== 'approve' && decision !== 'decline') {
        throw new GatewayError('ERR_SCHEMA', 'decision must be approve or decline');
      }
      const answered = await services.consentRequests.answer(
        session.user.idnr!,
        id,
        decision,
        typeof body['token'] === 'string' ? body['token'] : '',
      );
      // Back to the agency's registered return URL, with the result.
      res.redirect(303, String(answered['redirectTo']));
    }),
  );

  // ---- data-protection officers ------------------------------------------------------------------------
  router.get(
    '/dpo',
    page('dpo', async (req, res, session) => {
      const state = await services.logState();
      res
        .type('html')
        .send(
          dashboardPage(
            { lang: langOf(res), path: req.originalUrl, user: frameUser(session) },
            state,
            session.user.participants,
          ),
        );
    }),
  );

  // A form body the parser refused (too large, malformed): an error page, not problem+json.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
    const code = type === 'entity.too.large' ? 'ERR_TOO_LARGE' : 'ERR_REQUEST_MALFORMED';
    sendError(req, res, new GatewayError(code, 'the form could not be read', { cause: error }));
  });

  return router;
}
