/**
 * The citizen's "Meine Daten" (PROTOCOL.md §3): consents given, given here and withdrawn, their receipts; evidence
 * waiting for the citizen's preview; the transfers about the citizen and the Art. 15 download.
 */
import type { Request, Response, Router } from 'express';
import { GatewayError, isUuid } from '../../core/index.js';
import { berlinDay } from '../format.js';
import { formBody } from '../forms.js';
import { previewsPage, transfersPage } from '../pages/citizen-pages.js';
import { consentDetailPage, consentsPage, optionValue } from '../pages/consent-pages.js';
import type { Session } from '../sessions.js';
import { consentFrame as frameOf, type RouteContext } from './route-context.js';

export function mountCitizenRoutes(router: Router, { options, guards }: RouteContext): void {
  const { services, clock } = options;
  const { page, action } = guards;
  const consentFrame = (req: Request, res: Response, session: Session) => frameOf(options, req, res, session);

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
    formBody,
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
    formBody,
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

  // ---- previews, transfers, Art. 15 ----------------------------------------------------------------------
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
    formBody,
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
}
