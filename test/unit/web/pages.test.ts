/** The portal's HTML helper, page renderers and message catalogue, without a server. */
import { expect } from 'chai';
import type { ConsentRecord } from '../../../gateway/core/index.js';
import { CATALOGUE, html, trusted } from '../../../gateway/web/index.js';
import { consentDetailPage, consentsPage } from '../../../gateway/web/pages/consent-pages.js';
import { dashboardPage } from '../../../gateway/web/pages/dpo-dashboard.js';
import type { TransferRecord } from '../../../gateway/core/ports.js';
import {
  consentRequestsPage,
  previewsPage,
  transfersPage,
} from '../../../gateway/web/pages/citizen-pages.js';
import { processingPage } from '../../../gateway/web/pages/dpo-processing-page.js';
import { statisticsPage } from '../../../gateway/web/pages/dpo-statistics-page.js';
import { transferDetailPage } from '../../../gateway/web/pages/dpo-transfer-detail-page.js';
import { transferListPage } from '../../../gateway/web/pages/dpo-transfer-list-page.js';

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
      {
        running: false,
        last: { ok: false, size: 3, reason: 'root-mismatch', trigger: 'dpo', startedAt: 0, finishedAt: 1 },
      },
    );
    expectNoMarkupFromData(page);
    expect(page).to.contain('<html lang="en">');
  });

  const party = { id: `ags:1${SCRIPT}`, name: `Amt ${IMG}` };

  it('shows markup as text on the citizen’s transfers, previews and consent requests', () => {
    const transfers = transfersPage(frame, [
      {
        exchangeId: 'e',
        time: '2026-01-01T10:00:00Z',
        outcome: 'refused',
        code: `ERR_X${SCRIPT}`,
        consumer: party,
        provider: party,
        evidenceType: SCRIPT,
        purpose: IMG,
        legalBasis: SCRIPT,
        procedure: { reference: `AZ ${SCRIPT}` },
        fields: [IMG],
      },
    ]);
    expectNoMarkupFromData(transfers);
    const previews = previewsPage(
      frame,
      [
        {
          exchangeId: '0f6c2b8e-3c1a-4a43-9b0b-2f1d5a7e9c11',
          state: 'pending',
          consumer: party,
          provider: party,
          evidenceType: SCRIPT,
          purpose: IMG,
          legalBasis: SCRIPT,
          procedure: { reference: `AZ ${SCRIPT}` },
          heldAt: 0,
          decideBy: 1,
          fields: ['name'],
          data: { [IMG]: SCRIPT, nested: { list: [SCRIPT, 1, null] } },
        },
      ],
      'approved',
    );
    expectNoMarkupFromData(previews);
    expect(previews).to.contain('action="/meine-daten/vorschau/0f6c2b8e-3c1a-4a43-9b0b-2f1d5a7e9c11"');
    const requests = consentRequestsPage(frame, [
      {
        id: 'r',
        status: 'requested',
        consumer: party,
        evidenceTypes: [SCRIPT],
        purpose: IMG,
        procedure: { reference: SCRIPT },
        respondBy: '2026-01-01T10:00:00Z',
      },
    ]);
    expectNoMarkupFromData(requests);
  });

  const dpoFrame = {
    lang: 'de' as const,
    path: '/dpo/x',
    user: { role: 'dpo' as const, name: SCRIPT, csrf: 't' },
  };

  it('shows markup as text in the DPO’s list, filters, detail, statistics and Art. 30 page', () => {
    const form = { consumer: SCRIPT, subject: IMG };
    const list = transferListPage(dpoFrame, {
      form,
      choices: { participants: [party], evidenceTypes: [SCRIPT], purposes: [IMG] },
      transfers: [
        {
          index: 1,
          time: '2026-01-01T10:00:00Z',
          exchangeId: SCRIPT,
          outcome: 'released',
          consumer: party,
          provider: party,
          evidenceType: SCRIPT,
          purpose: IMG,
          procedure: { reference: SCRIPT },
        },
      ],
      next: IMG,
      first: false,
    });
    expectNoMarkupFromData(list);
    // Filter values travel in links as query parameters, encoded.
    expect(list).to.contain(new URLSearchParams({ cursor: IMG }).toString());
    const record = {
      v: 1,
      time: '2026-01-01T10:00:00Z',
      exchangeId: 'e',
      outcome: 'released',
      authenticated: true,
      consumer: SCRIPT,
      purpose: IMG,
      procedure: { reference: SCRIPT },
    } as unknown as TransferRecord;
    const detail = {
      exchangeId: 'e',
      checkpoint: { treeSize: 1, rootHash: IMG, time: '2026-01-01T10:00:00Z', jws: SCRIPT },
      records: [{ index: 0, leafHash: SCRIPT, record, inclusionProof: [IMG] }],
    };
    const detailPage = transferDetailPage(
      dpoFrame,
      detail,
      {
        verified: false,
        checkpoint: false,
        records: [{ index: 0, leaf: false, proof: false }],
      },
      () => IMG,
    );
    expectNoMarkupFromData(detailPage);
    expect(detailPage).to.contain('id="verified" class="problem"');
    const stats = statisticsPage(dpoFrame, {
      from: '2026-01-01',
      to: '2026-01-02',
      days: ['2026-01-01', '2026-01-02'],
      counts: [
        { hour: '2026-01-01T10', outcome: 'refused', purpose: SCRIPT, code: IMG, count: 2 },
        { hour: '2026-01-02T10', outcome: 'released', purpose: SCRIPT, code: null, count: 5 },
      ],
      dayOf: (hour) => hour.slice(0, 10),
    });
    expectNoMarkupFromData(stats);
    expect(stats).to.contain('<svg');
    expect(stats).to.not.match(/style=/);
    const processing = processingPage(dpoFrame, {
      gateway: SCRIPT,
      generatedAt: '2026-01-01T10:00:00Z',
      activities: [
        {
          policy: { id: 'p', version: 1 },
          description: SCRIPT,
          controller: { name: IMG },
          recipient: party,
          provider: party,
          evidenceType: SCRIPT,
          purposes: [IMG],
          legalBasis: SCRIPT,
          dataCategories: [SCRIPT],
          fields: [IMG],
          retention: 'P1Y',
          recipients: SCRIPT,
          consentRequired: true,
          previewRequired: false,
        },
      ],
    });
    expectNoMarkupFromData(processing);
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
