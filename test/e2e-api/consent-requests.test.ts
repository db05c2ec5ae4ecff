/**
 * Issue 5 items 1 and 2 end to end: an agency's signed consent request, the citizen's approval or refusal with
 * the anti-forgery token, the return redirect and status call, the consent record keeping the notice hash, and
 * consent receipts that verify offline (also through `oog consent verify`).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../../gateway/core/canonical-json.js';
import { verifyConsentReceipt } from '../../gateway/core/consent/index.js';
import { signCompactJws } from '../../gateway/core/envelope/index.js';
import { fromRoot } from '../../gateway/paths.js';
import {
  ELTERNGELDSTELLE,
  ERIKA,
  exampleSigner,
  GATEWAY_ID,
  MAX,
  ORDNUNGSAMT,
  signRaw,
  startTestGateway,
  WOHNGELDSTELLE,
} from '../helpers/start-test-gateway.js';
import type { HttpAnswer, TestGateway } from '../helpers/start-test-gateway.js';

const RETURN_URL = 'https://elterngeld.beispielkreis.example/antrag/einwilligung';
const NOTICE = {
  de: 'Die Elterngeldstelle ruft die Geburtsurkunde Ihres Kindes beim Standesamt ab. <b>Sie sehen sie vorher.</b>',
  en: 'The parental allowance office fetches your child’s birth certificate from the registry office.',
};

describe('e2e: consent requests and consent receipts (issue 5)', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => gw?.close());

  function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const iat = Math.floor(gw.clock.nowMs() / 1000);
    return {
      iss: ELTERNGELDSTELLE,
      aud: GATEWAY_ID,
      iat,
      exp: iat + 120,
      jti: randomUUID(),
      subject: { idnr: MAX },
      evidenceTypes: ['geburtsurkunde'],
      purpose: 'elterngeld-antrag',
      procedure: { reference: 'EG-2026/0999' },
      notice: NOTICE,
      returnUrl: RETURN_URL,
      ...overrides,
    };
  }

  async function submit(body: string): Promise<HttpAnswer> {
    return gw.request('POST', '/v1/consent-requests', { body, contentType: 'application/jose' });
  }

  async function create(overrides: Record<string, unknown> = {}): Promise<string> {
    const answer = await submit(
      await signCompactJws(exampleSigner(ELTERNGELDSTELLE), 'consent-request+jwt', claims(overrides)),
    );
    expect(answer.status, answer.text).to.equal(201);
    return String(answer.json!['id']);
  }

  async function mine(idnr: string, id: string): Promise<HttpAnswer> {
    return gw.request('GET', `/v1/me/consent-requests/${id}`, { bearer: await gw.citizenToken(idnr) });
  }

  async function answer(idnr: string, id: string, decision: string, token: string): Promise<HttpAnswer> {
    return gw.request('POST', `/v1/me/consent-requests/${id}`, {
      bearer: await gw.citizenToken(idnr),
      json: { decision, token },
    });
  }

  async function tokenOf(idnr: string, id: string): Promise<string> {
    const view = await mine(idnr, id);
    expect(view.status).to.equal(200);
    return String(view.json!['token']);
  }

  async function status(id: string, agency = ELTERNGELDSTELLE): Promise<HttpAnswer> {
    return gw.request('GET', `/v1/consent-requests/${id}`, { bearer: await gw.agencyToken(agency) });
  }

  async function listedFor(idnr: string): Promise<string[]> {
    const list = await gw.request('GET', '/v1/me/consent-requests', { bearer: await gw.citizenToken(idnr) });
    return (list.json!['consentRequests'] as { id: string }[]).map((r) => r.id);
  }

  it('runs the explicit request: created, shown with its notice, approved, redirected, visible to the agency', async () => {
    const created = await submit(
      await signCompactJws(exampleSigner(ELTERNGELDSTELLE), 'consent-request+jwt', claims()),
    );
    expect(created.status).to.equal(201);
    const id = String(created.json!['id']);
    expect(created.json!['approvalUrl']).to.equal(`${gw.url}/portal/consent-requests/${id}`);
    expect((await status(id)).json).to.include({ id, status: 'requested' });

    const view = await mine(MAX, id);
    expect(view.json).to.include({ status: 'requested', purpose: 'elterngeld-antrag' });
    expect(view.json!['notice']).to.deep.equal(NOTICE);
    const hash = createHash('sha256').update(canonicalJson(NOTICE)).digest('base64url');
    expect(view.json!['noticeHash']).to.equal(hash);

    const approved = await answer(MAX, id, 'approve', String(view.json!['token']));
    expect(approved.status, approved.text).to.equal(200);
    const consent = approved.json!['consent'] as Record<string, unknown>;
    expect(consent).to.include({ requestId: id, noticeHash: hash, consumer: ELTERNGELDSTELLE });
    const redirect = new URL(String(approved.json!['redirectTo']));
    expect(`${redirect.origin}${redirect.pathname}`).to.equal(RETURN_URL);
    expect(Object.fromEntries(redirect.searchParams)).to.deep.equal({
      consentRequest: id,
      status: 'approved',
      consentId: consent['id'],
    });
    expect((await status(id)).json).to.include({ status: 'approved', consentId: consent['id'] });

    const receipt = await verifyConsentReceipt(
      String(approved.json!['receipt']),
      gw.gateway.signer.certificate.publicKey,
      {
        issuer: GATEWAY_ID,
      },
    );
    expect(receipt.ok).to.equal(true);
    if (receipt.ok) {
      expect(receipt.receipt).to.deep.include({ consentId: consent['id'], noticeHash: hash, requestId: id });
      expect(receipt.receipt.event.type).to.equal('given');
      expect(receipt.receipt.purposes[0]).to.include({ evidenceType: 'geburtsurkunde' });
      expect(receipt.receipt.purposes[0]!.legalBasis).to.match(/PStG/);
    }
    // The consent now counts for the exchange: the Geburtsurkunde waits for Max's preview.
    const consents = await gw.request('GET', '/v1/me/consents', { bearer: await gw.citizenToken(MAX) });
    expect((consents.json!['consents'] as { id: string }[]).map((c) => c.id)).to.include(consent['id']);
  });

  it('records a declined request as a declined consent and redirects with status=declined', async () => {
    const id = await create();
    const declined = await answer(MAX, id, 'decline', await tokenOf(MAX, id));
    expect(declined.status).to.equal(200);
    expect(
      (declined.json!['consent'] as { events: { type: string }[] }).events.map((e) => e.type),
    ).to.deep.equal(['declined']);
    expect(declined.json).to.not.have.property('receipt');
    expect(new URL(String(declined.json!['redirectTo'])).searchParams.get('status')).to.equal('declined');
    expect((await status(id)).json)
      .to.include({ status: 'declined' })
      .and.not.have.property('consentId');
  });

  describe('refused requests: nothing is shown to the citizen', () => {
    const cases: [string, () => Promise<string>, number, string][] = [
      [
        'a return URL outside the agency’s allow-list',
        () =>
          signCompactJws(
            exampleSigner(ELTERNGELDSTELLE),
            'consent-request+jwt',
            claims({ returnUrl: 'https://evil.example/x' }),
          ),
        403,
        'ERR_FORBIDDEN',
      ],
      [
        'another agency’s registered return URL',
        () =>
          signCompactJws(
            exampleSigner(ELTERNGELDSTELLE),
            'consent-request+jwt',
            claims({ returnUrl: 'https://wohngeld.musterstadt.example/antrag/einwilligung' }),
          ),
        403,
        'ERR_FORBIDDEN',
      ],
      [
        'an unsigned request (alg none)',
        async () =>
          signRaw(
            JSON.stringify({ alg: 'none', typ: 'consent-request+jwt' }),
            JSON.stringify(claims()),
            undefined,
            'none',
          ),
        401,
        'ERR_SIG_INVALID',
      ],
      [
        'a request signed by another agency',
        () => signCompactJws(exampleSigner(WOHNGELDSTELLE), 'consent-request+jwt', claims()),
        403,
        'ERR_TRUST_SENDER_MISMATCH',
      ],
      [
        'a purpose no policy permits',
        () =>
          signCompactJws(
            exampleSigner(ELTERNGELDSTELLE),
            'consent-request+jwt',
            claims({ purpose: 'wohngeld-antrag' }),
          ),
        403,
        'ERR_POLICY_DENIED',
      ],
      [
        'an agency no policy grants anything',
        () => signCompactJws(exampleSigner(ORDNUNGSAMT), 'consent-request+jwt', claims({ iss: ORDNUNGSAMT })),
        403,
        'ERR_FORBIDDEN',
      ],
      [
        'an evidence request token instead of a consent request',
        () => signCompactJws(exampleSigner(ELTERNGELDSTELLE), 'evidence-request+jwt', claims()),
        401,
        'ERR_SIG_INVALID',
      ],
    ];
    for (const [what, make, code, errorCode] of cases) {
      it(`refuses ${what} with ${code} ${errorCode}`, async () => {
        const before = await listedFor(MAX);
        const refused = await submit(await make());
        expect(refused.status, refused.text).to.equal(code);
        expect(refused.json).to.include({ code: errorCode });
        expect(await listedFor(MAX)).to.deep.equal(before);
      });
    }

    it('refuses a replayed request with 409 ERR_REPLAY', async () => {
      const token = await signCompactJws(exampleSigner(ELTERNGELDSTELLE), 'consent-request+jwt', claims());
      expect((await submit(token)).status).to.equal(201);
      const again = await submit(token);
      expect(again.status).to.equal(409);
      expect(again.json).to.include({ code: 'ERR_REPLAY' });
    });
  });

  describe('bad answers: refused, state unchanged', () => {
    it('refuses approving twice with 409 ERR_CONFLICT', async () => {
      const id = await create();
      expect((await answer(MAX, id, 'approve', await tokenOf(MAX, id))).status).to.equal(200);
      const token = String((await mine(MAX, id)).json!['token'] ?? 'none');
      const again = await answer(MAX, id, 'decline', token);
      expect(again.status).to.be.oneOf([403, 409]);
      expect((await status(id)).json).to.include({ status: 'approved' });
    });

    it('refuses a second answer with a token still valid from before with 409 ERR_CONFLICT', async () => {
      const id = await create();
      const token = await tokenOf(MAX, id);
      expect((await answer(MAX, id, 'approve', token)).status).to.equal(200);
      const again = await answer(MAX, id, 'approve', token);
      expect(again.status).to.equal(409);
      expect(again.json).to.include({ code: 'ERR_CONFLICT' });
    });

    it('refuses approving after the request expired with 409 ERR_CONFLICT', async () => {
      const id = await create({ respondWithinHours: 1 });
      const token = await tokenOf(MAX, id);
      gw.clock.advance(3_600_000 - 60_000);
      // the token is stale by now as well (30 min): get a fresh one just before the deadline, then let it pass
      const fresh = await tokenOf(MAX, id);
      gw.clock.advance(120_000);
      const late = await answer(MAX, id, 'approve', fresh);
      expect(late.status).to.equal(409);
      expect(late.json).to.include({ code: 'ERR_CONFLICT' });
      expect((await status(id)).json).to.include({ status: 'expired' });
      expect(token).to.be.a('string');
    });

    it('answers another citizen with 404 ERR_NOT_FOUND, as for an unknown id', async () => {
      const id = await create();
      const token = await tokenOf(MAX, id);
      const foreign = await answer(ERIKA, id, 'approve', token);
      expect(foreign.status).to.equal(404);
      expect(foreign.json).to.include({ code: 'ERR_NOT_FOUND' });
      expect((await mine(ERIKA, id)).status).to.equal(404);
      expect((await answer(ERIKA, randomUUID(), 'approve', token)).status).to.equal(404);
      expect((await status(id)).json).to.include({ status: 'requested' });
    });

    it('refuses a forged or stale anti-forgery token with 403 ERR_FORBIDDEN', async () => {
      const id = await create();
      const token = await tokenOf(MAX, id);
      const [until, mac] = token.split('.');
      const forged = [
        `${Number(until) + 3600}.${mac}`,
        `${until}.${Buffer.alloc(32).toString('base64url')}`,
        'not-a-token',
        await tokenOf(MAX, await create()),
      ];
      for (const bad of forged) {
        const refused = await answer(MAX, id, 'approve', bad);
        expect(refused.status, bad).to.equal(403);
        expect(refused.json).to.include({ code: 'ERR_FORBIDDEN' });
      }
      gw.clock.advance(31 * 60_000);
      const stale = await answer(MAX, id, 'approve', token);
      expect(stale.status).to.equal(403);
      expect((await status(id)).json).to.include({ status: 'requested' });
    });

    it('shows the status only to the asking agency (404 for another)', async () => {
      const id = await create();
      const other = await status(id, WOHNGELDSTELLE);
      expect(other.status).to.equal(404);
    });
  });

  describe('consent receipts', () => {
    it('gives a receipt for a withdrawal that verifies offline, also with `oog consent verify`', async () => {
      const given = await gw.request('POST', '/v1/me/consents', {
        bearer: await gw.citizenToken(ERIKA),
        json: {
          consumer: ELTERNGELDSTELLE,
          evidenceTypes: ['meldebescheinigung'],
          purpose: 'elterngeld-antrag',
        },
      });
      const id = (given.json!['consent'] as { id: string }).id;
      const withdrawn = await gw.request('POST', `/v1/me/consents/${id}/withdraw`, {
        bearer: await gw.citizenToken(ERIKA),
      });
      expect(withdrawn.status).to.equal(200);
      const key = gw.gateway.signer.certificate.publicKey;
      const result = await verifyConsentReceipt(String(withdrawn.json!['receipt']), key, {
        issuer: GATEWAY_ID,
      });
      expect(result.ok).to.equal(true);
      if (result.ok) expect(result.receipt.event.type).to.equal('withdrawn');

      const dir = mkdtempSync(join(tmpdir(), 'oog-receipt-'));
      try {
        writeFileSync(join(dir, 'given.jws'), String(given.json!['receipt']));
        const tampered = String(withdrawn.json!['receipt']).replace(/\.[^.]+$/, '.AAAA');
        writeFileSync(join(dir, 'tampered.jws'), tampered);
        const ok = await oog(['consent', 'verify', join(dir, 'given.jws')]);
        expect(ok.code, ok.stderr).to.equal(0);
        expect(ok.stdout)
          .to.match(/^ok: consent receipt/)
          .and.include(id)
          .and.include('given');
        const bad = await oog(['consent', 'verify', join(dir, 'tampered.jws')]);
        expect(bad.code).to.equal(1);
        expect(bad.stderr).to.include('FAILED');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

function oog(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [fromRoot('bin/oog.js'), ...args],
      { cwd: fromRoot('.'), timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
