/**
 * Consent requests addressed to the citizen (docs/citizen.md): the approvalUrl an agency's consent request answers
 * with, the request with its notice and the approve/decline form, the answer (back to the agency's registered
 * return URL), and the citizen's list of requests.
 */
import type { Request, Response, Router } from 'express';
import { GatewayError, isUuid } from '../../core/index.js';
import { formBody } from '../forms.js';
import { consentRequestsPage } from '../pages/citizen-pages.js';
import { consentRequestPage } from '../pages/consent-request-page.js';
import type { Session } from '../sessions.js';
import { consentFrame as frameOf, type RouteContext } from './route-context.js';

export function mountConsentRequestRoutes(router: Router, { options, guards, csp }: RouteContext): void {
  const { services } = options;
  const { page, action, sendError } = guards;
  const consentFrame = (req: Request, res: Response, session: Session) => frameOf(options, req, res, session);

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
    formBody,
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
}
