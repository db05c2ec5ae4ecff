/**
 * The portal in a real browser (STYLE.md: Debian's Chromium through playwright-core), against the whole demo
 * gateway on port 0: real OpenID Connect login at the demo OpenID Provider, real consent, real signed evidence
 * requests from the Wohngeldstelle. Every page is checked with axe-core (WCAG 2.1 A/AA) under the pages' own
 * Content-Security-Policy (not bypassed; axe is evaluated through the DevTools protocol, which the CSP does not
 * govern), and no CSP violation may be reported. Screenshots go to test-artifacts/screenshots/ (git-ignored).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { fromRoot } from '../../gateway/paths.js';
import { randomUUID } from 'node:crypto';
import {
  ELTERNGELDSTELLE,
  ERIKA,
  LENA,
  MAX,
  startTestGateway,
  WOHNGELDSTELLE,
  type TestGateway,
} from '../helpers/start-test-gateway.js';
import { askForBirthCertificate, sendConsentRequest } from '../helpers/agency-requests.js';

const CHROMIUM = '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = fromRoot('test-artifacts/screenshots');

interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[] }[];
}

async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations;
  })) as AxeViolation[];
  const summary = violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(summary, `axe on ${name}`).to.deep.equal([]);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('portal in the browser', function () {
  this.timeout(120_000);
  let g: TestGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];

  before(async function () {
    expect(existsSync(CHROMIUM), `${CHROMIUM} (apt-get install chromium)`).to.equal(true);
    mkdirSync(SHOTS, { recursive: true });
    g = await startTestGateway();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  beforeEach(async () => {
    context = await browser.newContext({ locale: 'de-DE', javaScriptEnabled: true });
    page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  afterEach(async () => {
    await context?.close();
  });

  after(async () => {
    await browser?.close();
    await g?.close();
    expect(cspViolations).to.deep.equal([]);
  });

  async function logIn(login: string): Promise<void> {
    await page.goto(`${g.url}/`);
    await expectAccessible(page, '01-start');
    await page.getByRole('link', { name: 'Mit dem Identitätsanbieter anmelden' }).click();
    await page.getByLabel('Benutzerkennung (IDNr)').waitFor();
    await expectAccessible(page, `02-idp-login-${login}`);
    await page.getByLabel('Benutzerkennung (IDNr)').fill(login);
    await page.getByLabel('Passwort').fill('demo');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL((url) => url.origin === g.url && url.pathname !== '/auth/callback');
  }

  it('a citizen logs in, gives consent, the Wohngeldstelle is served; after withdrawing, the next request is refused', async () => {
    const before = await g.sendJws(await g.signRequest({ subject: { idnr: MAX } }));
    expect([before.status, before.json?.['code']]).to.deep.equal([403, 'ERR_CONSENT_MISSING']);

    await logIn(MAX);
    expect(new URL(page.url()).pathname).to.equal('/meine-daten');
    expect(await page.locator('html').getAttribute('lang')).to.equal('de');
    await expectAccessible(page, '03-meine-daten-leer');

    await page
      .getByLabel('Empfänger, Nachweis und Zweck')
      .selectOption({ value: 'ags:09999001|meldebescheinigung|wohngeld-antrag' });
    await page.getByRole('button', { name: 'Einwilligung erteilen' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).to.contain('erteilt');
    await expectAccessible(page, '04-einwilligung-erteilt');

    const released = await g.sendJws(await g.signRequest({ subject: { idnr: MAX } }));
    expect(released.status).to.equal(200);
    expect(released.json?.['status']).to.equal('released');

    // The citizen sees the transfer: who received which evidence, when, why, with which outcome.
    await page.getByRole('link', { name: 'Übermittlungen' }).click();
    await page.waitForURL(`${g.url}/meine-daten/uebermittlungen`);
    const row = page.locator('#transfers tbody tr').first();
    expect(await row.textContent())
      .to.contain('Wohngeldstelle')
      .and.contain('Meldebescheinigung');
    expect(await row.locator('.outcome').textContent()).to.equal('übermittelt');
    await expectAccessible(page, '04b-uebermittlungen');
    const art15 = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Auskunft nach Art. 15 DSGVO herunterladen' }).click();
    const art15File = await art15;
    expect(art15File.suggestedFilename()).to.match(/^auskunft-art15-[0-9-]{10}\.json$/);
    const art15Json = JSON.parse(readFileSync(await art15File.path(), 'utf8')) as { transfers: unknown[] };
    expect(art15Json.transfers.length).to.equal(2); // the refusal before the consent, and the release
    await page.getByRole('link', { name: 'Meine Einwilligungen' }).click();

    await page.getByRole('link', { name: 'Einzelheiten und Quittung' }).first().click();
    await expectAccessible(page, '05-einwilligung-quittung');
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Quittung herunterladen' }).click();
    const receipt = await download;
    expect(receipt.suggestedFilename()).to.match(/^einwilligung-[0-9a-f-]{36}\.jws$/);
    await page.getByRole('link', { name: 'Zurück zu meinen Einwilligungen' }).click();

    await page
      .getByRole('button', { name: /Einwilligung für .* widerrufen/ })
      .first()
      .click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).to.contain('widerrufen');
    await expectAccessible(page, '06-einwilligung-widerrufen');

    const refused = await g.sendJws(await g.signRequest({ subject: { idnr: MAX } }));
    expect([refused.status, refused.json?.['code']]).to.deep.equal([403, 'ERR_CONSENT_WITHDRAWN']);

    // The language switch keeps the page.
    await page.getByRole('link', { name: 'English' }).click();
    expect(new URL(page.url()).pathname).to.equal('/meine-daten');
    expect(await page.locator('html').getAttribute('lang')).to.equal('en');
    await expectAccessible(page, '07-my-data-english');
    await page.getByRole('link', { name: 'Deutsch' }).click();

    // A citizen on the DPO page: 403.
    const dpo = await page.goto(`${g.url}/dpo`);
    expect(dpo?.status()).to.equal(403);
    expect(await page.locator('#error-code').textContent()).to.equal('ERR_FORBIDDEN');
    await expectAccessible(page, '08-dpo-als-buergerin-403');

    // Logout ends the portal session and, after the provider's confirmation, the provider's session.
    await page.goto(`${g.url}/meine-daten`);
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await page.getByRole('button', { name: 'Ja, abmelden' }).waitFor();
    await expectAccessible(page, '09-idp-abmelden');
    await page.getByRole('button', { name: 'Ja, abmelden' }).click();
    await page.waitForURL(`${g.url}/auth/logged-out`);
    await expectAccessible(page, '10-abgemeldet');
    const after = await page.goto(`${g.url}/meine-daten`);
    expect(new URL(page.url()).origin).to.not.equal(g.url); // sent to the provider's login again
    expect(after?.status()).to.equal(200);
    await page.getByLabel('Benutzerkennung (IDNr)').waitFor();
  });

  it('works with JavaScript switched off: login, give and withdraw a consent', async () => {
    await context.close();
    context = await browser.newContext({ locale: 'de-DE', javaScriptEnabled: false });
    page = await context.newPage();
    await page.goto(`${g.url}/meine-daten`);
    await page.getByLabel('Benutzerkennung (IDNr)').fill(LENA);
    await page.getByLabel('Passwort').fill('demo');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL(`${g.url}/meine-daten`);
    await page
      .getByLabel('Empfänger, Nachweis und Zweck')
      .selectOption({ value: 'ags:09999001|meldebescheinigung|wohngeld-antrag' });
    await page.getByRole('button', { name: 'Einwilligung erteilen' }).click();
    await page.waitForURL(`${g.url}/meine-daten?ok=given`);
    expect(await g.sendJws(await g.signRequest({ subject: { idnr: LENA } })).then((a) => a.status)).to.equal(
      200,
    );
    await page
      .getByRole('button', { name: /Einwilligung für .* widerrufen/ })
      .first()
      .click();
    await page.waitForURL(`${g.url}/meine-daten?ok=withdrawn`);
    const refused = await g.sendJws(await g.signRequest({ subject: { idnr: LENA } }));
    expect([refused.status, refused.json?.['code']]).to.deep.equal([403, 'ERR_CONSENT_WITHDRAWN']);
  });

  it('a DPO logs in and sees the state of the transfer log', async () => {
    await g.sendJws(await g.signRequest()); // Erika's standing consent: one more released transfer
    const size = (await g.records()).length;
    await logIn('dpo');
    expect(new URL(page.url()).pathname).to.equal('/dpo');
    expect(Number(await page.locator('#log-size').textContent())).to.equal(size);
    const checkpoint = await g.gateway.logStore.latestCheckpoint();
    expect(await page.locator('#checkpoint-root').textContent()).to.equal(checkpoint!.rootHash);
    await expectAccessible(page, '11-dpo-dashboard');
    // Keyboard: the first Tab reaches the skip link, shown with a visible focus outline; Enter goes to main.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return { cls: el.className, outline: style.outlineStyle, top: el.getBoundingClientRect().top };
    });
    expect(focused.cls).to.equal('skip-link');
    expect(focused.outline).to.not.equal('none');
    expect(focused.top).to.be.greaterThan(0);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('main');
    const citizenPage = await page.goto(`${g.url}/meine-daten`);
    expect(citizenPage?.status()).to.equal(403);
  });
  it('a citizen previews evidence held for her, sees exactly what would be released, and rejects it', async () => {
    const consent = await g.request('POST', '/v1/me/consents', {
      bearer: await g.citizenToken(ERIKA),
      json: { consumer: ELTERNGELDSTELLE, evidenceTypes: ['geburtsurkunde'], purpose: 'elterngeld-antrag' },
    });
    expect(consent.status).to.equal(201);
    const held = await askForBirthCertificate(g, ERIKA);
    expect(held.status, held.text).to.equal(202);
    const exchangeId = String(held.json!['exchangeId']);
    const api = await g.request('GET', '/v1/me/previews', { bearer: await g.citizenToken(ERIKA) });
    const data = (api.json!['previews'] as { data: Record<string, unknown> }[])[0]!.data;

    await logIn(ERIKA);
    // Her start page says what waits for her.
    await page.getByRole('link', { name: 'Nachweise in der Vorschau: 1' }).click();
    await page.waitForURL(`${g.url}/meine-daten/vorschau`);
    const card = page.locator('section.card');
    expect(await card.count()).to.equal(1);
    for (const [key, value] of Object.entries(data)) {
      if (typeof value !== 'string') continue;
      expect(await card.locator('div.evidence').textContent(), key).to.contain(value);
    }
    await expectAccessible(page, '12-vorschau');
    await page.getByRole('button', { name: /^Ablehnen: / }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).to.contain('abgelehnt');
    expect(await page.locator('section.card').count()).to.equal(0);
    await expectAccessible(page, '13-vorschau-abgelehnt');
    const polled = await g.request('GET', `/v1/evidence-requests/${exchangeId}`, {
      bearer: await g.agencyToken(ELTERNGELDSTELLE),
    });
    expect(polled.json).to.include({ status: 'withheld', code: 'ERR_PREVIEW_REJECTED' });
    await page.getByRole('link', { name: 'Übermittlungen' }).click();
    expect(await page.locator('#transfers tbody tr').first().textContent()).to.contain('zurückgehalten');
  });

  it('a DPO filters the log, opens a transfer and sees it verified, exports CSV, and reads the charts and Art. 30 records', async () => {
    await g.sendJws(await g.signRequest());
    await g.sendJws(await g.signRequest({ subject: { idnr: MAX }, jti: randomUUID() }));
    await logIn('dpo');
    await page.getByRole('link', { name: 'Übermittlungsprotokoll' }).first().click();
    await page.waitForURL(`${g.url}/dpo/uebermittlungen`);
    await expectAccessible(page, '14-dpo-protokoll');
    await page.getByLabel('Ergebnis').selectOption('released');
    await page.getByLabel('Empfänger').selectOption(WOHNGELDSTELLE);
    await page.getByRole('button', { name: 'Anzeigen' }).click();
    await page.waitForURL((url) => url.searchParams.get('outcome') === 'released');
    const rows = page.locator('#transfer-list tbody tr');
    expect(await rows.count()).to.be.greaterThan(0);
    for (const text of await rows.allTextContents()) expect(text).to.contain('übermittelt');
    await expectAccessible(page, '15-dpo-protokoll-gefiltert');
    // The language switch keeps the page and its filter.
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL((url) => url.searchParams.get('lang') === 'en');
    expect(new URL(page.url()).searchParams.get('outcome')).to.equal('released');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Transfer log');
    expect(await page.locator('html').getAttribute('lang')).to.equal('en');
    await expectAccessible(page, '15b-dpo-transfer-log-english');
    await page.getByRole('link', { name: 'Deutsch' }).click();
    await page.waitForURL((url) => url.searchParams.get('lang') === 'de');

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'CSV' }).click();
    const csv = readFileSync(await (await download).path(), 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(csv[0]).to.match(/^"index","time","exchangeId","outcome"/);
    expect(csv.length - 1).to.equal(await rows.count());

    await rows
      .first()
      .getByRole('link', { name: /^Prüfen/ })
      .click();
    await page.locator('#verified').waitFor();
    expect(await page.locator('#verified').getAttribute('class')).to.equal('notice');
    expect(await page.locator('#verified').textContent()).to.contain('Verifiziert');
    await expectAccessible(page, '16-dpo-uebermittlung-verifiziert');

    await page.getByRole('link', { name: 'Statistik' }).click();
    await page.locator('#chart-outcome').waitFor();
    expect(await page.locator('#chart-outcome rect').count()).to.be.greaterThan(0);
    expect(await page.locator('#table-code').textContent()).to.contain('ERR_CONSENT_MISSING');
    await expectAccessible(page, '17-dpo-statistik');

    await page.getByRole('link', { name: 'Verarbeitungsverzeichnis' }).click();
    await page.locator('section.card').first().waitFor();
    await expectAccessible(page, '18-dpo-verarbeitungsverzeichnis');

    await page.getByRole('link', { name: 'Übersicht', exact: true }).first().click();
    await page.getByRole('button', { name: 'Protokoll jetzt prüfen' }).click();
    await page.waitForURL(`${g.url}/dpo`);
    expect(await page.locator('#verification-result').textContent()).to.contain('in Ordnung');
    await expectAccessible(page, '19-dpo-pruefung');
  });

  it('a citizen opens an agency’s consent request from its approval URL, reads the notice and consents', async () => {
    const returnUrl = 'https://elterngeld.beispielkreis.example/antrag/einwilligung';
    const created = await sendConsentRequest(g, {
      procedure: { reference: 'EG-<b>7</b>' },
      notice: { de: 'Wir rufen Ihre Meldebescheinigung ab. <script>alert(1)</script>' },
      returnUrl,
    });
    expect(created.status, created.text).to.equal(201);
    // The agency's site is not reachable here: answer for it, and see where the browser is sent.
    await context.route(`${returnUrl}**`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Agency</title>' }),
    );
    await logIn(LENA);
    await page.goto(String(created.json!['approvalUrl']));
    expect(new URL(page.url()).pathname).to.equal(
      `/meine-daten/einwilligungsanfragen/${created.json!['id']}`,
    );
    expect(await page.locator('blockquote').textContent()).to.contain('<script>alert(1)</script>');
    expect(await page.getByText('EG-<b>7</b>').count()).to.equal(1);
    await expectAccessible(page, '09-einwilligungsanfrage');
    await page.getByRole('button', { name: 'Einwilligen' }).click();
    await page.waitForURL((url) => url.href.startsWith(returnUrl));
    const back = new URL(page.url());
    expect(back.searchParams.get('status')).to.equal('approved');
    expect(back.searchParams.get('consentRequest')).to.equal(created.json!['id']);
    const status = await g.request('GET', `/v1/consent-requests/${created.json!['id']}`, {
      bearer: await g.agencyToken(ELTERNGELDSTELLE),
    });
    expect(status.json).to.include({ status: 'approved' });
  });
});
