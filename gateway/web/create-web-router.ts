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
import { consentRequestPage } from './pages/consent-request-page.js';
import { consentDetailPage, consentsPage, optionValue } from './pages/consent-pages.js';
import { dashboardPage } from './pages/dpo-dashboard.js';
import { consentRequestsPage, previewsPage, transfersPage } from './pages/citizen-pages.js';
import {
  FILTER_FIELDS,
  LIST_OUTCOMES,
  processingPage,
  statisticsPage,
  transferDetailPage,
  transferListPage,
  type FilterForm,
} from './pages/dpo-pages.js';
import { berlinDay, berlinMidnight } from './format.js';
import { checkTransfer } from './verify-transfer.js';
import type { TransferQuery } from '../http/index.js';
import { errorPage, homePage, loggedOutPage } from './pages/simple-pages.js';
import type { Session, SessionManager } from './sessions.js';
import type { TransferRow, WebServices } from './services.js';

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

const DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
/** The longest period the charts draw (one bar per day). */
const MAX_DAYS = 366;

/** A `YYYY-MM-DD` that is a real calendar day, else undefined. */
function calendarDay(value: unknown): string | undefined {
  if (typeof value !== 'string' || !DAY.test(value)) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(value) ? value : undefined;
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The filter form's values from a query string: only known fields, strings of sane length, else ERR_SCHEMA. */
function readFilterForm(query: Request['query']): FilterForm {
  const form: Record<string, string> = {};
  for (const name of FILTER_FIELDS) {
    const value = query[name];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string' || value.length > 200)
      throw new GatewayError('ERR_SCHEMA', `${name} is not one value`);
    form[name] = value;
  }
  for (const name of ['from', 'to'] as const) {
    if (form[name] !== undefined && calendarDay(form[name]) === undefined) {
      throw new GatewayError('ERR_SCHEMA', `${name} must be a date (YYYY-MM-DD)`);
    }
  }
  if (form['from'] !== undefined && form['to'] !== undefined && form['from'] > form['to']) {
    throw new GatewayError('ERR_REQUEST_MALFORMED', 'from is after to');
  }
  if (form['outcome'] !== undefined && !LIST_OUTCOMES.includes(form['outcome'])) {
    throw new GatewayError('ERR_SCHEMA', 'no such outcome');
  }
  return form;
}

/** The form's days as the API's instants: from the start of `from` to the end of `to`, German time. */
function toTransferQuery(form: FilterForm): TransferQuery {
  const { from, to, ...rest } = form;
  return {
    ...rest,
    ...(from === undefined ? {} : { from: new Date(berlinMidnight(from)).toISOString() }),
    ...(to === undefined ? {} : { to: new Date(berlinMidnight(nextDay(to))).toISOString() }),
  };
}

/** The charts' period: `from`/`to` days (default the last 30 days up to today), at most MAX_DAYS. */
function readPeriod(query: Request['query'], nowMs: number): { from: string; to: string; days: string[] } {
  const today = berlinDay(nowMs);
  const to = query['to'] === undefined ? today : calendarDay(query['to']);
  const from =
    query['from'] === undefined
      ? new Date(Date.parse(`${to ?? today}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10)
      : calendarDay(query['from']);
  if (from === undefined || to === undefined)
    throw new GatewayError('ERR_SCHEMA', 'from and to must be dates');
  if (from > to) throw new GatewayError('ERR_SCHEMA', 'from is after to');
  const days: string[] = [];
  for (let day = from; day <= to; day = nextDay(day)) {
    days.push(day);
    if (days.length > MAX_DAYS) throw new GatewayError('ERR_SCHEMA', `at most ${MAX_DAYS} days`);
  }
  return { from, to, days };
}

/** Writes the rows as they come, waiting for the socket to drain (an export of a million rows stays small). */
async function streamRows(
  res: Response,
  first: IteratorResult<string>,
  rest: AsyncIterator<string>,
): Promise<void> {
  let item = first;
  while (!item.done) {
    if (!res.write(item.value)) {
      await new Promise<void>((resolve) => {
        const go = () => {
          res.off('drain', go);
          res.off('close', go);
          resolve();
        };
        res.on('drain', go);
        res.on('close', go);
      });
      if (res.destroyed) {
        await rest.return?.();
        return;
      }
    }
    item = await rest.next();
  }
  res.end();
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

  const loginRedirect = (res: Response, returnTo?: string) => {
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
        if (session === undefined) return loginRedirect(res, req.originalUrl);
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
      const idnr = session.user.idnr!;
      const [consents, requests, previews] = await Promise.all([
        services.consents.list(idnr),
        services.consentRequests.listMine(idnr),
        services.previews.list(idnr),
      ]);
      const ok = req.query['ok'];
      res.type('html').send(
        consentsPage(consentFrame(req, res, session), {
          consents,
          options: services.consentOptions(),
          waiting: {
            requests: requests.filter((r) => r.status === 'requested').length,
            previews: previews.filter((p) => p.state === 'pending').length,
          },
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
      const returnOrigin = new URL(request.returnUrl).origin;
      res.setHeader(
        'Content-Security-Policy',
        csp.replace("form-action 'self'", `form-action 'self' ${returnOrigin}`),
      );
      res.type('html').send(consentRequestPage(consentFrame(req, res, session), request));
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
      res.redirect(303, answered.redirectTo);
    }),
  );

  router.get(
    '/meine-daten/einwilligungsanfragen',
    page('citizen', async (req, res, session) => {
      const requests = await services.consentRequests.listMine(session.user.idnr!);
      res.type('html').send(consentRequestsPage(consentFrame(req, res, session), requests));
    }),
  );

  // ---- citizens: previews, transfers, Art. 15 ------------------------------------------------------------
  router.get(
    '/meine-daten/vorschau',
    page('citizen', async (req, res, session) => {
      const previews = await services.previews.list(session.user.idnr!);
      const ok = req.query['ok'];
      res
        .type('html')
        .send(
          previewsPage(consentFrame(req, res, session), previews, typeof ok === 'string' ? ok : undefined),
        );
    }),
  );

  router.post(
    '/meine-daten/vorschau/:exchangeId',
    forms,
    action('citizen', async (req, res, session) => {
      const id = String(req.params['exchangeId']);
      const decision = (req.body as Record<string, unknown>)['decision'];
      if (!isUuid(id)) throw new GatewayError('ERR_NOT_FOUND');
      if (decision !== 'approve' && decision !== 'reject') {
        throw new GatewayError('ERR_SCHEMA', 'decision must be approve or reject');
      }
      // Another citizen's or an unknown exchange: ERR_NOT_FOUND from the service, the same for both.
      await services.previews.decide(session.user.idnr!, id, decision);
      res.redirect(303, `/meine-daten/vorschau?ok=${decision === 'approve' ? 'approved' : 'rejected'}`);
    }),
  );

  router.get(
    '/meine-daten/uebermittlungen',
    page('citizen', async (req, res, session) => {
      const transfers = await services.citizenAccess.transfers(session.user.idnr!);
      res.type('html').send(transfersPage(consentFrame(req, res, session), transfers));
    }),
  );

  router.get(
    '/meine-daten/auskunft',
    page('citizen', async (_req, res, session) => {
      const document = await services.citizenAccess.export(session.user.idnr!);
      const day = berlinDay(clock.nowMs());
      res
        .type('application/json')
        .set('Content-Disposition', `attachment; filename="auskunft-art15-${day}.json"`)
        .set('Cache-Control', 'no-store')
        .send(`${JSON.stringify(document, null, 2)}\n`);
    }),
  );

  // ---- data-protection officers ------------------------------------------------------------------------
  const dpoFrame = (req: Request, res: Response, session: Session) => ({
    lang: langOf(res),
    path: req.originalUrl,
    user: frameUser(session),
  });
  const scopeOf = (session: Session) =>
    session.user.participants === undefined ? {} : { participants: session.user.participants };

  router.get(
    '/dpo',
    page('dpo', async (req, res, session) => {
      const [state, verification] = await Promise.all([services.logState(), services.verification.state()]);
      res
        .type('html')
        .send(dashboardPage(dpoFrame(req, res, session), state, session.user.participants, verification));
    }),
  );

  router.post(
    '/dpo/pruefung',
    forms,
    action('dpo', async (_req, res, session) => {
      // A full pass over the log: for DPOs who see all of it (a limited DPO sees the result, not the button).
      if (session.user.participants !== undefined) {
        throw new GatewayError('ERR_FORBIDDEN', 'only a DPO without limits verifies the whole log');
      }
      // A run that finds the log changed is also logged as log.verify_mismatch (gateway/main.ts).
      const run = services.verification.run('dpo');
      run.catch((error: unknown) =>
        logger.error({ event: 'log.verify_failed', err: error }, 'log.verify_failed'),
      );
      // A small log is verified before the page comes back; a large one goes on while the page says so.
      await Promise.race([run.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000))]);
      res.redirect(303, '/dpo');
    }),
  );

  router.get(
    '/dpo/uebermittlungen',
    page('dpo', async (req, res, session) => {
      const form = readFilterForm(req.query);
      const cursor = req.query['cursor'];
      let listed: { transfers: readonly TransferRow[]; next?: string } = { transfers: [] };
      let problem: string | undefined;
      try {
        listed = await services.audit.list(
          { ...toTransferQuery(form), ...(typeof cursor === 'string' ? { cursor } : {}), limit: 50 },
          scopeOf(session),
        );
      } catch (error) {
        const gatewayError = toGatewayError(error);
        if (gatewayError.status !== 400) throw error;
        problem = gatewayError.code;
      }
      res
        .status(problem === undefined ? 200 : 400)
        .type('html')
        .send(
          transferListPage(dpoFrame(req, res, session), {
            form,
            choices: services.filterChoices(),
            transfers: listed.transfers,
            ...(listed.next === undefined ? {} : { next: listed.next }),
            first: typeof cursor !== 'string',
            ...(problem === undefined ? {} : { problem }),
          }),
        );
    }),
  );

  router.get(
    '/dpo/uebermittlungen/export',
    page('dpo', async (req, res, session) => {
      const format = req.query['format'];
      if (format !== 'csv' && format !== 'jsonl')
        throw new GatewayError('ERR_SCHEMA', 'format must be csv or jsonl');
      const query = toTransferQuery(readFilterForm(req.query));
      const rows = services.audit.export(query, scopeOf(session), format)[Symbol.asyncIterator]();
      // The first chunk before any header: a refused filter still gets an error page, not a broken download.
      const first = await rows.next();
      res
        .status(200)
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8')
        .set(
          'Content-Disposition',
          `attachment; filename="uebermittlungen-${berlinDay(clock.nowMs())}.${format}"`,
        )
        .set('Cache-Control', 'no-store');
      await streamRows(res, first, rows);
    }),
  );

  router.get(
    '/dpo/uebermittlungen/:exchangeId',
    page('dpo', async (req, res, session) => {
      const id = String(req.params['exchangeId']);
      const detail = isUuid(id) ? await services.audit.get(id, scopeOf(session)) : undefined;
      // Unknown and outside the DPO's participants: the same answer.
      if (detail === undefined) throw new GatewayError('ERR_NOT_FOUND');
      const check = await checkTransfer(detail, (jws) => services.openCheckpoint(jws));
      res
        .type('html')
        .send(transferDetailPage(dpoFrame(req, res, session), detail, check, services.participantName));
    }),
  );

  router.get(
    '/dpo/statistik',
    page('dpo', async (req, res, session) => {
      const { from, to, days } = readPeriod(req.query, clock.nowMs());
      const counts = await services.transferCounts(
        {
          from: new Date(berlinMidnight(from)).toISOString(),
          to: new Date(berlinMidnight(nextDay(to))).toISOString(),
        },
        scopeOf(session),
      );
      res.type('html').send(
        statisticsPage(dpoFrame(req, res, session), {
          from,
          to,
          days,
          counts,
          dayOf: (hour) => berlinDay(`${hour}:00:00Z`),
        }),
      );
    }),
  );

  router.get(
    '/dpo/verarbeitungen',
    page('dpo', async (req, res, session) => {
      const report = services.audit.processing();
      res.type('html').send(processingPage(dpoFrame(req, res, session), report));
    }),
  );

  router.get(
    '/dpo/verarbeitungen.json',
    page('dpo', async (_req, res) => {
      res
        .type('application/json')
        .set('Content-Disposition', 'attachment; filename="verzeichnis-verarbeitungstaetigkeiten.json"')
        .send(`${JSON.stringify(services.audit.processing(), null, 2)}\n`);
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
