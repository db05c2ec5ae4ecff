/**
 * The data-protection officer's pages (PROTOCOL.md §4): the dashboard and the full verification of the log, the
 * filtered transfer list with its exports, one transfer with its proofs checked, the statistics, and the records
 * of processing. A DPO limited to participants sees only their transfers.
 */
import type { Response, Router } from 'express';
import { GatewayError, isUuid, toGatewayError } from '../../core/index.js';
import { berlinDay, berlinMidnight } from '../format.js';
import { formBody, nextDay, readFilterForm, readPeriod, toTransferQuery } from '../forms.js';
import { dashboardPage } from '../pages/dpo-dashboard.js';
import { processingPage } from '../pages/dpo-processing-page.js';
import { statisticsPage } from '../pages/dpo-statistics-page.js';
import { transferDetailPage } from '../pages/dpo-transfer-detail-page.js';
import { transferListPage } from '../pages/dpo-transfer-list-page.js';
import type { TransferRow } from '../services.js';
import type { Session } from '../sessions.js';
import { checkTransfer } from '../verify-transfer.js';
import { dpoFrame, type RouteContext } from './route-context.js';

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

const scopeOf = (session: Session) =>
  session.user.participants === undefined ? {} : { participants: session.user.participants };

export function mountDpoRoutes(router: Router, { options, guards }: RouteContext): void {
  const { services, clock, logger } = options;
  const { page, action } = guards;

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
    formBody,
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
}
