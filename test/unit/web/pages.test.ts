/** The portal's HTML helper, page renderers and message catalogue, without a server. */
import { expect } from 'chai';
import type { ConsentRecord } from '../../../gateway/core/index.js';
import { CATALOGUE, html, trusted } from '../../../gateway/web/index.js';
import { consentDetailPage, consentsPage } from '../../../gateway/web/pages/consent-pages.js';
import { dashboardPage } from '../../../gateway/web/pages/dpo-dashboard.js';

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(2)>';

const consent: ConsentRecord = {
  id: '0f6c2b8e-3c1a-4a43-9b0b-2f1d5a7e9c10',
  subjectRef: 'ref',
  consumer: `ags:0999900${SCRIPT}`,
  evidenceTypes: [`meldebescheinigung${IMG}`],
  purpose: `wohngeld-antrag${SCRIPT}`,
  validUntil: null,
  singleUse: false,
  createdAt: Date.UTC(2026, 0, 1),
  events: [{ type: 'given', at: Date.UTC(2026, 0, 1), by: 'citizen' }],
};

const frame = {
  lang: 'de' as const,
  path: `/meine-daten?x=${encodeURIComponent(SCRIPT)}`,
  user: { role: 'citizen' as const, name: `Erika ${SCRIPT}`, csrf: `tok${IMG}` },
  nowMs: Date.UTC(2026, 0, 2),
  participantName: () => `Wohngeldstelle ${SCRIPT}`,
};

function expectNoMarkupFromData(page: string): void {
  expect(page).to.not.contain('<script');
  expect(page).to.not.contain('<img');
  expect(page).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
}

describe('web: html', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const out = html`<p title="${IMG}">${SCRIPT}</p>`.toString();
    expect(out).to.equal(
      '<p title="&quot;&gt;&lt;img src=x onerror=alert(2)&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    );
  });

  it('keeps nested html as markup, joins arrays, drops undefined, null and false', () => {
    const items = ['a<', 'b>'].map((x) => html`<li>${x}</li>`);
    const out = html`<ul>
        ${items}
      </ul>
      ${undefined}${null}${false}${trusted('<br>')}`.toString();
    expect(out.replace(/>\s+</g, '><').trim()).to.equal('<ul><li>a&lt;</li><li>b&gt;</li></ul><br>');
  });
});

describe('web: pages', () => {
  it('shows markup in agency names, purposes, evidence types and the user name as text on the consents page', () => {
    const page = consentsPage(frame, {
      consents: [consent],
      options: [
        {
          consumer: consent.consumer,
          evidenceType: 'x<y',
          purpose: consent.purpose,
          singleUseAllowed: false,
        },
      ],
    });
    expectNoMarkupFromData(page);
    expect(page).to.not.match(/<script|style=/);
  });

  it('shows markup as text on the consent details page, receipt claims included', () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const receipt = `${b64({ alg: 'ES256' })}.${b64({ purpose: SCRIPT, recipient: { name: IMG } })}.c2ln`;
    expectNoMarkupFromData(consentDetailPage(frame, consent, receipt));
  });

  it('shows markup in a DPO name and participant limit as text on the dashboard', () => {
    const page = dashboardPage(
      { lang: 'en', path: '/dpo', user: { role: 'dpo', name: SCRIPT, csrf: 't' } },
      { size: 3, checkpoint: { treeSize: 3, rootHash: IMG, time: 0 } },
      [SCRIPT],
    );
    expectNoMarkupFromData(page);
    expect(page).to.contain('<html lang="en">');
  });
});

describe('web: message catalogue', () => {
  it('has the same keys in German and English, none empty', () => {
    expect(Object.keys(CATALOGUE.en).sort()).to.deep.equal(Object.keys(CATALOGUE.de).sort());
    for (const lang of ['de', 'en'] as const) {
      for (const [key, text] of Object.entries(CATALOGUE[lang]))
        expect(text, `${lang} ${key}`).to.not.equal('');
    }
  });
});
