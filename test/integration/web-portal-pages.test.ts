/**
 * The portal's citizen and DPO pages over real HTTP (no browser), against the demo gateway with real OIDC
 * logins: what each page shows, that another citizen's ids and foreign form posts change nothing, that a
 * citizen never reaches a DPO page, and that the DPO's "verified" mark and log verification fail when the
 * stored log was changed behind the gateway's back.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { pino } from 'pino';
import {
  ELTERNGELDSTELLE,
  ERIKA,
  LENA,
  MAX,
  startTestGateway,
  WOHNGELDSTELLE,
  type TestGateway,
} from '../helpers/start-test-gateway.js';
import { loginAs, WebClient } from '../helpers/web-client.js';
import { askForBirthCertificate, sendConsentRequest } from '../helpers/agency-requests.js';

describe('web portal pages over HTTP', function () {
  this.timeout(60_000);
  let g: TestGateway;

  beforeEach(async () => {
    g = await startTestGateway();
  });
  afterEach(async () => {
    await g?.close();
  });

  /** Erika's consent for the Elterngeldstelle, and its XÖV request for her Geburtsurkunde: held for preview. */
  async function heldForPreview(idnr = ERIKA): Promise<string> {
    const consent = await g.request('POST', '/v1/me/consents', {
      bearer: await g.citizenToken(idnr),
      json: { consumer: ELTERNGELDSTELLE, evidenceTypes: ['geburtsurkunde'], purpose: 'elterngeld-antrag' },
    });
    expect(consent.status).to.equal(201);
    const answer = await askForBirthCertificate(g, idnr);
    expect(answer.status, answer.text).to.equal(202);
    return String(answer.json!['exchangeId']);
  }

  async function previewState(idnr: string, exchangeId: string): Promise<string | undefined> {
    const list = await g.request('GET', '/v1/me/previews', { bearer: await g.citizenToken(idnr) });
    const previews = list.json!['previews'] as { exchangeId: string; state: string }[];
    return previews.find((p) => p.exchangeId === exchangeId)?.state;
  }

  describe('citizens', () => {
    it('lists the transfers about me, and only mine, with who, which evidence, why and the outcome', async () => {
      const released = await g.sendJws(await g.signRequest()); // Erika's standing demo consent
      expect(released.status).to.equal(200);
      const refused = await g.sendJws(await g.signRequest({ subject: { idnr: MAX } }));
      expect(refused.status).to.equal(403);

      const erika = await loginAs(g.url, ERIKA);
      const page = await erika.get('/meine-daten/uebermittlungen');
      expect(page.status).to.equal(200);
      expect(page.text)
        .to.contain('Wohngeldstelle')
        .and.contain('Meldebescheinigung')
        .and.contain('übermittelt');
      expect(page.text).to.contain('Familienname');
      expect(page.text).to.not.contain('Es lag keine Einwilligung vor.'); // Max's refusal is not Erika's

      const max = await loginAs(g.url, MAX);
      const maxPage = await max.get('/meine-daten/uebermittlungen');
      expect(maxPage.text).to.contain('abgelehnt').and.contain('Es lag keine Einwilligung vor.');
      expect(maxPage.text).to.not.contain('übermittelt</span>');
    });

    it('shows an Aktenzeichen with markup as text to the citizen and the DPO', async () => {
      const reference = 'WG-<script>alert(1)</script><img src=x onerror=alert(2)>';
      const answer = await g.sendJws(await g.signRequest({ procedure: { reference } }));
      expect(answer.status, answer.text).to.equal(200);
      const escaped = 'WG-&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;';
      const citizen = await (await loginAs(g.url, ERIKA)).get('/meine-daten/uebermittlungen');
      const dpo = await loginAs(g.url, 'dpo');
      const list = await dpo.get('/dpo/uebermittlungen');
      const detail = await dpo.get(`/dpo/uebermittlungen/${String(answer.json!['exchangeId'])}`);
      for (const page of [citizen, list, detail]) {
        expect(page.text).to.contain(escaped);
        expect(page.text).to.not.match(/<script|<img/);
      }
    });

    it('downloads the Art. 15 export as a JSON attachment about the signed-in citizen only', async () => {
      await g.sendJws(await g.signRequest());
      const erika = await loginAs(g.url, ERIKA);
      const answer = await erika.get('/meine-daten/auskunft');
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('content-type')).to.match(/^application\/json/);
      expect(answer.headers.get('content-disposition')).to.match(/^attachment; filename="auskunft-art15-/);
      const document = JSON.parse(answer.text) as Record<string, unknown>;
      expect(document['subject']).to.deep.equal({ idnr: ERIKA });
      expect((document['transfers'] as unknown[]).length).to.equal(1);
      expect(document).to.have.keys(
        'generatedAt',
        'controller',
        'basis',
        'subject',
        'transfers',
        'consents',
        'consentRequests',
        'previews',
      );
      const none = await new WebClient(g.url).get('/meine-daten/auskunft');
      expect([none.status, none.location]).to.deep.equal([
        303,
        '/auth/login?returnTo=%2Fmeine-daten%2Fauskunft',
      ]);
    });

    it('shows evidence waiting for preview with exactly what would be released, and rejects it', async () => {
      const exchangeId = await heldForPreview();
      const erika = await loginAs(g.url, ERIKA);
      const page = await erika.get('/meine-daten/vorschau');
      expect(page.status).to.equal(200);
      const api = await g.request('GET', '/v1/me/previews', { bearer: await g.citizenToken(ERIKA) });
      const item = (api.json!['previews'] as { exchangeId: string; data: Record<string, unknown> }[])[0]!;
      expect(item.exchangeId).to.equal(exchangeId);
      for (const [key, value] of Object.entries(item.data)) {
        expect(page.text).to.contain(`<dt data-field="${key}">`);
        if (typeof value === 'string') expect(page.text).to.contain(value);
      }
      const csrf = WebClient.csrfOf(page.text);
      const answer = await erika.post(`/meine-daten/vorschau/${exchangeId}`, {
        _csrf: csrf,
        decision: 'reject',
      });
      expect([answer.status, answer.location]).to.deep.equal([303, '/meine-daten/vorschau?ok=rejected']);
      expect(await previewState(ERIKA, exchangeId)).to.equal('rejected');
      const after = await erika.get('/meine-daten/vorschau?ok=rejected');
      expect(after.text).to.contain('role="status"').and.contain('abgelehnt');
      const again = await erika.post(`/meine-daten/vorschau/${exchangeId}`, {
        _csrf: csrf,
        decision: 'approve',
      });
      expect([again.status, WebClient.codeOf(again.text)]).to.deep.equal([409, 'ERR_CONFLICT']);
      const records = await g.recordsOf(exchangeId);
      expect(records.map((r) => r.outcome)).to.deep.equal(['intent', 'awaiting-citizen', 'withheld']);
    });

    it('answers another citizen’s preview decision with 404 and changes nothing; the same for an unknown id', async () => {
      const exchangeId = await heldForPreview();
      const max = await loginAs(g.url, MAX);
      const csrf = WebClient.csrfOf((await max.get('/meine-daten/vorschau')).text);
      for (const id of [exchangeId, randomUUID(), 'not-a-uuid']) {
        const answer = await max.post(`/meine-daten/vorschau/${id}`, { _csrf: csrf, decision: 'approve' });
        expect([answer.status, WebClient.codeOf(answer.text)], id).to.deep.equal([404, 'ERR_NOT_FOUND']);
      }
      expect(await previewState(ERIKA, exchangeId)).to.equal('pending');
      expect((await max.get('/meine-daten/vorschau')).text).to.not.contain(exchangeId);
    });

    it('refuses preview decisions without the CSRF token or from another origin with 403, nothing changed', async () => {
      const exchangeId = await heldForPreview();
      const erika = await loginAs(g.url, ERIKA);
      const csrf = WebClient.csrfOf((await erika.get('/meine-daten/vorschau')).text);
      const missing = await erika.post(`/meine-daten/vorschau/${exchangeId}`, { decision: 'approve' });
      const foreign = await erika.post(
        `/meine-daten/vorschau/${exchangeId}`,
        { _csrf: csrf, decision: 'approve' },
        { origin: 'https://evil.example' },
      );
      const bad = await erika.post(`/meine-daten/vorschau/${exchangeId}`, { _csrf: csrf, decision: 'maybe' });
      expect([missing.status, foreign.status, bad.status]).to.deep.equal([403, 403, 400]);
      expect(await previewState(ERIKA, exchangeId)).to.equal('pending');
      const anonymous = await new WebClient(g.url).post(`/meine-daten/vorschau/${exchangeId}`, {
        _csrf: csrf,
        decision: 'approve',
      });
      expect([anonymous.status, anonymous.location]).to.deep.equal([303, '/auth/login']);
      expect(await previewState(ERIKA, exchangeId)).to.equal('pending');
    });

    it('sends the new pages and the preview decision to the login once the session has idled out, nothing changed', async () => {
      const exchangeId = await heldForPreview();
      const erika = await loginAs(g.url, ERIKA);
      const transfers = await erika.get('/meine-daten/uebermittlungen');
      expect(transfers.text).to.contain('href="/meine-daten/vorschau"'); // the held exchange links to its preview
      const csrf = WebClient.csrfOf(transfers.text);
      g.clock.advance(16 * 60 * 1000); // idle timeout 15 min
      try {
        for (const path of [
          '/meine-daten/uebermittlungen',
          '/meine-daten/vorschau',
          '/meine-daten/auskunft',
          '/meine-daten/einwilligungsanfragen',
        ]) {
          const page = await erika.get(path);
          expect([page.status, page.location], path).to.deep.equal([
            303,
            `/auth/login?returnTo=${encodeURIComponent(path)}`,
          ]);
        }
        const post = await erika.post(`/meine-daten/vorschau/${exchangeId}`, {
          _csrf: csrf,
          decision: 'approve',
        });
        expect([post.status, post.location]).to.deep.equal([303, '/auth/login']);
      } finally {
        g.clock.advance(-16 * 60 * 1000);
      }
      expect(await previewState(ERIKA, exchangeId)).to.equal('pending');
    });

    it('lists the consent requests addressed to me with a link to answer each', async () => {
      const created = await sendConsentRequest(g, { procedure: { reference: 'EG-<i>9</i>' } });
      expect(created.status, created.text).to.equal(201);
      const lena = await loginAs(g.url, LENA);
      const page = await lena.get('/meine-daten/einwilligungsanfragen');
      expect(page.text).to.contain(
        `href="/meine-daten/einwilligungsanfragen/${String(created.json!['id'])}"`,
      );
      expect(page.text).to.contain('EG-&lt;i&gt;9&lt;/i&gt;').and.contain('offen');
      const max = await loginAs(g.url, MAX);
      expect((await max.get('/meine-daten/einwilligungsanfragen')).text).to.not.contain(
        String(created.json!['id']),
      );
    });
  });

  describe('data-protection officers', () => {
    const DPO_PAGES = [
      '/dpo',
      '/dpo/uebermittlungen',
      '/dpo/uebermittlungen/export?format=csv',
      `/dpo/uebermittlungen/${randomUUID()}`,
      '/dpo/statistik',
      '/dpo/verarbeitungen',
      '/dpo/verarbeitungen.json',
    ];

    it('sends every DPO page to the login without a session, and answers a citizen with 403', async () => {
      const anonymous = new WebClient(g.url);
      const citizen = await loginAs(g.url, ERIKA);
      for (const path of DPO_PAGES) {
        const none = await anonymous.get(path);
        expect([none.status, none.location], path).to.deep.equal([
          303,
          `/auth/login?returnTo=${encodeURIComponent(path)}`,
        ]);
        const answer = await citizen.get(path);
        expect([answer.status, WebClient.codeOf(answer.text)], path).to.deep.equal([403, 'ERR_FORBIDDEN']);
      }
      const csrf = WebClient.csrfOf((await citizen.get('/meine-daten')).text);
      const post = await citizen.post('/dpo/pruefung', { _csrf: csrf });
      expect([post.status, WebClient.codeOf(post.text)]).to.deep.equal([403, 'ERR_FORBIDDEN']);
    });

    it('filters the log, pages through it, and opens a transfer that verifies', async () => {
      for (let i = 0; i < 3; i++) expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
      expect((await g.sendJws(await g.signRequest({ subject: { idnr: MAX } }))).status).to.equal(403);
      const dpo = await loginAs(g.url, 'dpo');

      const all = await dpo.get('/dpo/uebermittlungen');
      expect(all.status).to.equal(200);
      expect(all.text.match(/<tr>/g)?.length).to.equal(1 + 4); // header + 4 final records

      const refused = await dpo.get('/dpo/uebermittlungen?outcome=refused');
      expect(refused.text.match(/ERR_CONSENT_MISSING/g)?.length).to.equal(1);
      const bySubject = await dpo.get(`/dpo/uebermittlungen?subject=${MAX}`);
      expect(bySubject.text.match(/<tr>/g)?.length).to.equal(2);
      const byConsumer = await dpo.get(`/dpo/uebermittlungen?consumer=${ELTERNGELDSTELLE}`);
      expect(byConsumer.text).to.contain('id="no-transfers"');
      const today = new Date(g.clock.nowMs()).toISOString().slice(0, 10);
      const byDay = await dpo.get(
        `/dpo/uebermittlungen?from=${today}&to=${today}&consumer=${WOHNGELDSTELLE}`,
      );
      expect(byDay.text.match(/<tr>/g)?.length).to.equal(5);
      const before = await dpo.get('/dpo/uebermittlungen?to=2000-01-01');
      expect(before.text).to.contain('id="no-transfers"');

      expect(all.text).to.not.contain('rel="next"'); // 50 a page

      const exchangeId = /href="\/dpo\/uebermittlungen\/([0-9a-f-]{36})"/.exec(all.text)![1]!;
      const detail = await dpo.get(`/dpo/uebermittlungen/${exchangeId}`);
      expect(detail.status).to.equal(200);
      expect(detail.text).to.contain('id="verified" class="notice"');
      expect(detail.text).to.not.contain('mark-bad');
    });

    it('pages through more transfers than fit on a page, newest first, keeping the filter', async () => {
      for (let i = 0; i < 53; i++) expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
      const dpo = await loginAs(g.url, 'dpo');
      const first = await dpo.get(`/dpo/uebermittlungen?consumer=${WOHNGELDSTELLE}`);
      const indexes = (text: string) =>
        [...text.matchAll(/<tr>\s*<td>([0-9]+)<\/td>/g)].map((m) => Number(m[1]));
      expect(indexes(first.text).length).to.equal(50);
      const next = /<a href="([^"]+)" rel="next"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
      expect(next)
        .to.contain(`consumer=${encodeURIComponent(WOHNGELDSTELLE)}`)
        .and.contain('cursor=');
      const second = await dpo.get(next);
      expect(indexes(second.text).length).to.equal(3);
      expect(second.text).to.not.contain('rel="next"');
      expect(Math.min(...indexes(first.text))).to.be.greaterThan(Math.max(...indexes(second.text)));
    });

    it('shows a DPO limited to one agency only that agency’s transfers, everywhere, and no verify button', async () => {
      expect((await g.sendJws(await g.signRequest())).status).to.equal(200); // Wohngeldstelle
      const other = await heldForPreview(); // Elterngeldstelle ↔ Standesamt
      const dpo = await loginAs(g.url, 'dpo-wohngeld');
      const overview = await dpo.get('/dpo');
      expect(overview.text).to.contain('ags:09999001').and.not.contain('action="/dpo/pruefung"');
      const csrf = WebClient.csrfOf(overview.text);
      const run = await dpo.post('/dpo/pruefung', { _csrf: csrf });
      expect([run.status, WebClient.codeOf(run.text)]).to.deep.equal([403, 'ERR_FORBIDDEN']);

      const list = await dpo.get('/dpo/uebermittlungen?outcome=awaiting-citizen');
      expect(list.text).to.contain('id="no-transfers"');
      const all = await dpo.get('/dpo/uebermittlungen');
      expect(all.text.match(/<tr>/g)?.length).to.equal(2);
      expect(all.text).to.not.contain(other);
      const detail = await dpo.get(`/dpo/uebermittlungen/${other}`);
      expect([detail.status, WebClient.codeOf(detail.text)]).to.deep.equal([404, 'ERR_NOT_FOUND']);
      const csv = await dpo.get('/dpo/uebermittlungen/export?format=jsonl&outcome=awaiting-citizen');
      expect(csv.text).to.equal('');
      const stats = await dpo.get('/dpo/statistik');
      expect(stats.text).to.contain('<p id="stats-total">1 ');
      expect(stats.text).to.not.contain('Antrag auf Elterngeld');
    });

    it('answers bad filters with 400 and the code on the page, never a stack or SQL', async () => {
      const dpo = await loginAs(g.url, 'dpo');
      for (const [query, code] of [
        ['subject=12345678901', 'ERR_IDENTIFIER'],
        ['cursor=%27%20OR%201%3D1', 'ERR_REQUEST_MALFORMED'],
        ['from=2026-02-30', 'ERR_SCHEMA'],
        ['from=yesterday', 'ERR_SCHEMA'],
        ['outcome=%3Cscript%3E', 'ERR_SCHEMA'],
        ['from=2026-03-02&to=2026-03-01', 'ERR_REQUEST_MALFORMED'],
        ['consumer=a&consumer=b', 'ERR_SCHEMA'],
      ] as const) {
        const answer = await dpo.get(`/dpo/uebermittlungen?${query}`);
        expect([answer.status, WebClient.codeOf(answer.text)], query).to.deep.equal([400, code]);
        expect(answer.text).to.not.match(/SELECT|at .*\.ts/);
      }
      const statistics = await dpo.get('/dpo/statistik?from=2020-01-01&to=2026-01-01');
      expect([statistics.status, WebClient.codeOf(statistics.text)]).to.deep.equal([400, 'ERR_SCHEMA']);
      const format = await dpo.get('/dpo/uebermittlungen/export?format=xlsx');
      expect([format.status, WebClient.codeOf(format.text)]).to.deep.equal([400, 'ERR_SCHEMA']);
      const unknown = await dpo.get(`/dpo/uebermittlungen/${randomUUID()}`);
      expect([unknown.status, WebClient.codeOf(unknown.text)]).to.deep.equal([404, 'ERR_NOT_FOUND']);
    });

    it('exports the filtered log as CSV and JSON Lines attachments', async () => {
      for (let i = 0; i < 2; i++) await g.sendJws(await g.signRequest());
      await g.sendJws(await g.signRequest({ subject: { idnr: MAX } }));
      const dpo = await loginAs(g.url, 'dpo');
      const csv = await dpo.get('/dpo/uebermittlungen/export?format=csv&outcome=released');
      expect(csv.status).to.equal(200);
      expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
      expect(csv.headers.get('content-disposition')).to.match(
        /^attachment; filename="uebermittlungen-.*\.csv"$/,
      );
      const lines = csv.text.trimEnd().split('\r\n');
      expect(lines[0]).to.match(/^"index","time","exchangeId","outcome"/);
      expect(lines.length).to.equal(1 + 2);
      expect(lines.slice(1).every((l) => l.includes('"released"'))).to.equal(true);
      const jsonl = await dpo.get('/dpo/uebermittlungen/export?format=jsonl');
      const rows = jsonl.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { outcome: string });
      expect(rows.map((r) => r.outcome).sort()).to.deep.equal(['refused', 'released', 'released']);
    });

    it('counts transfers per day by outcome, purpose and error code for the statistics page', async () => {
      for (let i = 0; i < 3; i++) await g.sendJws(await g.signRequest());
      for (let i = 0; i < 2; i++) await g.sendJws(await g.signRequest({ subject: { idnr: MAX } }));
      const dpo = await loginAs(g.url, 'dpo');
      const page = await dpo.get('/dpo/statistik');
      expect(page.status).to.equal(200);
      expect(page.text).to.contain('<p id="stats-total">5 abschließende Einträge');
      expect(page.text)
        .to.contain('id="chart-outcome"')
        .and.contain('id="chart-purpose"')
        .and.contain('id="chart-code"');
      expect(page.text).to.match(/<th scope="row"><code>ERR_CONSENT_MISSING<\/code><\/th>\s*<td>2<\/td>/);
      const row = /<table id="table-outcome">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page.text)![1]!;
      expect(row.replace(/\s+/g, '')).to.match(/<td>3<\/td><td>2<\/td><td>0<\/td>/);
      const empty = await dpo.get('/dpo/statistik?from=2000-01-01&to=2000-01-31');
      expect(empty.text).to.contain('<p id="stats-total">0 ');
    });

    it('shows the records of processing generated from the policies, as a page and as JSON', async () => {
      const dpo = await loginAs(g.url, 'dpo');
      const page = await dpo.get('/dpo/verarbeitungen');
      const report = JSON.parse((await dpo.get('/dpo/verarbeitungen.json')).text) as {
        activities: { policy: { id: string } }[];
      };
      expect(report.activities.length).to.be.greaterThan(0);
      for (const activity of report.activities)
        expect(page.text).to.contain(`id="activity-${activity.policy.id}"`);
    });

    it('verifies the log on schedule (OOG_VERIFY_INTERVAL_S) and shows a failed scheduled run on the overview', async () => {
      await g.close();
      const lines: Record<string, unknown>[] = [];
      g = await startTestGateway({
        config: { verifyIntervalS: 1 },
        logger: pino(
          { level: 'info' },
          { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
        ),
      });
      const waitFor = async (match: (l: Record<string, unknown>) => boolean) => {
        for (let i = 0; i < 50 && !lines.some(match); i++) await new Promise((r) => setTimeout(r, 100));
        return lines.find(match);
      };
      expect(await waitFor((l) => l['event'] === 'log.verified' && l['trigger'] === 'schedule')).to.not.equal(
        undefined,
      );
      const released = await g.sendJws(await g.signRequest());
      const db = new Database(join(g.dataDir, 'gateway.db'));
      try {
        db.prepare(
          `UPDATE transfer_log SET record = replace(record, '"wohngeld-antrag"', '"wohngeld-antrag-x"')
           WHERE json_extract(record, '$.exchangeId') = ?`,
        ).run(String(released.json!['exchangeId']));
      } finally {
        db.close();
      }
      const alarm = await waitFor((l) => l['event'] === 'log.verify_mismatch');
      expect(alarm).to.include({ level: 50, trigger: 'schedule', reason: 'leaf-hash-mismatch' });
      const overview = await (await loginAs(g.url, 'dpo')).get('/dpo');
      expect(overview.text)
        .to.contain('regelmäßige Prüfung')
        .and.match(/class="mark-bad"/);
    });

    it('marks a transfer not verified, and a log verification failed, after a record was changed in the database', async () => {
      // Its own gateway, whose log lines the test reads: a failed verification is an incident for operators too.
      await g.close();
      const lines: string[] = [];
      g = await startTestGateway({
        logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
      });
      const released = await g.sendJws(await g.signRequest());
      const exchangeId = String(released.json!['exchangeId']);
      const dpo = await loginAs(g.url, 'dpo');
      const overview = await dpo.get('/dpo');
      expect(overview.text).to.match(/id="verification-result">\s*<span class="mark-ok"\s*>/); // at startup
      const csrf = WebClient.csrfOf(overview.text);

      const db = new Database(join(g.dataDir, 'gateway.db'));
      try {
        db.prepare(
          `UPDATE transfer_log SET record = replace(record, '"wohngeld-antrag"', '"wohngeld-antrag-x"')
           WHERE json_extract(record, '$.exchangeId') = ? AND json_extract(record, '$.outcome') = 'released'`,
        ).run(exchangeId);
      } finally {
        db.close();
      }
      const detail = await dpo.get(`/dpo/uebermittlungen/${exchangeId}`);
      expect(detail.text).to.contain('id="verified" class="problem"').and.contain('mark-bad');

      const noToken = await dpo.post('/dpo/pruefung', {});
      expect(noToken.status).to.equal(403);
      const run = await dpo.post('/dpo/pruefung', { _csrf: csrf });
      expect([run.status, run.location]).to.deep.equal([303, '/dpo']);
      const after = await dpo.get('/dpo');
      expect(after.text).to.match(
        /id="verification-result">\s*<span class="mark-bad"\s*>\s*✗\s+fehlgeschlagen: leaf-hash-mismatch/,
      );
      const alert = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l['event'] === 'log.verify_mismatch');
      expect(alert).to.include({ level: 50, reason: 'leaf-hash-mismatch' });
    });
  });
});
