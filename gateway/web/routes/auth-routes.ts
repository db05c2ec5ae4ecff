/**
 * The portal's public routes: the home page (or straight on to the user's own start page), and the OpenID Connect
 * login, its callback, the logout (a form post) and the page after it.
 */
import type { Router } from 'express';
import { GatewayError } from '../../core/index.js';
import { formBody } from '../forms.js';
import { langOf, RETURN_TO } from '../guards.js';
import { homePage, loggedOutPage } from '../pages/simple-pages.js';
import type { RouteContext } from './route-context.js';

export function mountAuthRoutes(router: Router, { options, guards }: RouteContext): void {
  const { sessions, login, logger } = options;
  const { action, wrap } = guards;

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
    formBody,
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
}
