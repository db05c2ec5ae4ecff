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
 *
 * This module does steps 1 and 2 and mounts the routes of each audience (routes/: auth, citizen, consent
 * requests, DPO); the guards of steps 3 to 5 are in guards.ts, the form and query parsing in forms.ts.
 */
import { readFileSync } from 'node:fs';
import express from 'express';
import type { NextFunction, Request, Response, Router } from 'express';
import { GatewayError } from '../core/index.js';
import { fromRoot } from '../paths.js';
import { createGuards } from './guards.js';
import { isLang, type Lang } from './i18n.js';
import { mountAuthRoutes } from './routes/auth-routes.js';
import { mountCitizenRoutes } from './routes/citizen-routes.js';
import { mountConsentRequestRoutes } from './routes/consent-request-routes.js';
import { mountDpoRoutes } from './routes/dpo-routes.js';
import type { RouteContext, WebRouterOptions } from './routes/route-context.js';

export type { WebRouterOptions } from './routes/route-context.js';

// From the project root, not beside this module: the compiled build (dist/) holds no CSS.
const CSS = readFileSync(fromRoot('gateway/web/static/portal.css'), 'utf8');
const LANG_COOKIE = 'oog-lang';

function langCookie(req: Request): Lang | undefined {
  const match = /(?:^|;\s*)oog-lang=(de|en)(?:;|$)/.exec(req.headers.cookie ?? '');
  return match?.[1] as Lang | undefined;
}

export function createWebRouter(options: WebRouterOptions): Router {
  const router = express.Router({ strict: true, caseSensitive: true });
  const csp = [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    `form-action 'self' ${options.issuerOrigin}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const guards = createGuards(options);

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

  router.get('/static/portal.css', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('text/css').send(CSS);
  });

  const context: RouteContext = { options, guards, csp };
  mountAuthRoutes(router, context);
  mountCitizenRoutes(router, context);
  mountConsentRequestRoutes(router, context);
  mountDpoRoutes(router, context);

  // A form body the parser refused (too large, malformed): an error page, not problem+json.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
    const code = type === 'entity.too.large' ? 'ERR_TOO_LARGE' : 'ERR_REQUEST_MALFORMED';
    guards.sendError(req, res, new GatewayError(code, 'the form could not be read', { cause: error }));
  });

  return router;
}
