/**
 * Issue 5 item 3 and 5, end to end on the demo gateway: the Elterngeldstelle asks the Standesamt in XÖV for a
 * Geburtsurkunde, which its policy releases only after the citizen's preview. The evidence waits sealed; the
 * citizen sees exactly what would be released and approves (the consumer then collects the Standesamt's own
 * signed XÖV answer with a receipt), rejects, lets the deadline pass, or withdraws the consent meanwhile.
 */
import { expect } from 'chai';
import { createHash, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { signXoevRequest } from '../../gateway/core/envelope/xoev/index.js';
import { verifyReceipt } from '../../gateway/core/transfer-log/index.js';
import {
  ELTERNGELDSTELLE,
  ERIKA,
  exampleSigner,
  GATEWAY_ID,
  MAX,
  STANDESAMT,
  startTestGateway,
} from '../helpers/start-test-gateway.js';
import type { HttpAnswer, TestGateway } from '../helpers/start-test-gateway.js';

const consumer = exampleSigner(ELTERNGELDSTELLE);
/** policies/elterngeld-geburtsurkunde.yaml: preview.timeoutMinutes */
const PREVIEW_TIMEOUT_MS = 4320 * 60_000;

describe('e2e: preview before use (issue 5)', function () {
  this.timeout(30_000);
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway();
  });
  afterEach(async () => gw?.close());

  async function giveConsent(idnr = ERIKA): Promise<string> {
    const answer = await gw.request('POST', '/v1/me/consents', {
      bearer: await gw.citizenToken(idnr),
      json: { consumer: ELTERNGELDSTELLE, evidenceTypes: ['geburtsurkunde'], purpose: 'elterngeld-antrag' },
    });
    expect(answer.status).to.equal(201);
    return (answer.json!['consent'] as { id: string }).id;
  }

  /** Sends the Elterngeldstelle's signed XÖV request for Erika's Geburtsurkunde. */
  async function askForBirthCertificate(idnr = ERIKA): Promise<HttpAnswer> {
    const xml = signXoevRequest(
      { signer: consumer, clock: gw.clock },
      { to: { id: GATEWAY_ID, name: 'Once-Only Gateway (Demo)' }, messageId: randomUUID() },
      {
        evidenceType: 'geburtsurkunde',
        provider: STANDESAMT,
        subjectIdnr: idnr,
        purpose: 'elterngeld-antrag',
        procedure: { reference: 'EG-2026/0815' },
        actor: 'sachbearbeitung-3',
      },
    );
    return gw.request('POST', '/v1/evidence-requests', { body: xml, contentType: 'application/xml' });
  }

  async function held(): Promise<string> {
    await giveConsent();
    const answer = await askForBirthCertificate();
    expect(answer.status, answer.text).to.equal(202);
    expect(answer.json).to.deep.equal({ exchangeId: answer.json!['exchangeId'], status: 'awaiting-citizen' });
    return String(answer.json!['exchangeId']);
  }

  async function poll(exchangeId: string): Promise<HttpAnswer> {
    return gw.request('GET', `/v1/evidence-requests/${exchangeId}`, {
      bearer: await gw.agencyToken(ELTERNGELDSTELLE),
    });
  }

  async function previews(idnr = ERIKA): Promise<Record<string, unknown>[]> {
    const answer = await gw.request('GET', '/v1/me/previews', { bearer: await gw.citizenToken(idnr) });
    expect(answer.status).to.equal(200);
    return answer.json!['previews'] as Record<string, unknown>[];
  }

  async function decide(exchangeId: string, decision: string, idnr = ERIKA): Promise<HttpAnswer> {
    return gw.request('POST', `/v1/me/previews/${exchangeId}`, {
      bearer: await gw.citizenToken(idnr),
      json: { decision },
    });
  }

  async function outcomes(exchangeId: string) {
    return (await gw.recordsOf(exchangeId)).map((r) => `${r.outcome}${r.preview ? `/${r.preview}` : ''}`);
  }

  function sealedOf(exchangeId: string): Buffer | null | undefined {
    const db = new Database(join(gw.dataDir, 'gateway.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT sealed FROM held_evidence WHERE exchange_id = ?').get(exchangeId) as
        { sealed: Buffer | null } | undefined;
      return row?.sealed;
    } finally {
      db.close();
    }
  }

  it('holds the evidence (202), shows the citizen exactly what would be released, and releases it on approval', async () => {
    const exchangeId = await held();
    expect((await poll(exchangeId)).json).to.include({ status: 'awaiting-citizen' });
    expect(await outcomes(exchangeId)).to.deep.equal(['intent', 'awaiting-citizen/pending']);

    const [preview] = await previews();
    expect(preview).to.include({ exchangeId, state: 'pending', evidenceType: 'geburtsurkunde' });
    expect(preview!['consumer']).to.deep.include({ id: ELTERNGELDSTELLE });
    expect(preview!['fields']).to.have.members(['kind', 'geburtsdatum', 'geburtsort', 'eltern']);
    const data = preview!['data'] as Record<string, unknown>;
    expect(Object.keys(data)).to.have.members(preview!['fields'] as string[]);

    const approved = await decide(exchangeId, 'approve');
    expect(approved.status, approved.text).to.equal(200);
    expect((approved.json!['preview'] as Record<string, unknown>)['state']).to.equal('approved');
    expect(approved.json!['preview']).to.not.have.property('data');

    const collected = await poll(exchangeId);
    expect(collected.json).to.include({ status: 'released' });
    const evidence = String(collected.json!['evidence']);
    // The Standesamt's own signed XÖV answer, unchanged: its digest is the one the log recorded.
    expect(evidence).to.include('nachweisantwort.0201').and.include('<ds:Signature');
    const [, , released] = await gw.recordsOf(exchangeId);
    expect(released).to.include({ outcome: 'released', preview: 'approved' });
    expect(released!.evidenceDigest).to.equal(createHash('sha256').update(evidence).digest('base64url'));
    const receipt = await verifyReceipt(
      String(collected.json!['receipt']),
      gw.gateway.signer.certificate.publicKey,
      {
        issuer: GATEWAY_ID,
      },
    );
    expect(receipt.ok, JSON.stringify(receipt)).to.equal(true);
    expect(await outcomes(exchangeId)).to.deep.equal([
      'intent',
      'awaiting-citizen/pending',
      'released/approved',
    ]);
  });

  it('keeps the held evidence encrypted at rest', async () => {
    const exchangeId = await held();
    const [preview] = await previews();
    const sealed = sealedOf(exchangeId);
    expect(sealed).to.be.instanceOf(Buffer);
    const plain = JSON.stringify(preview!['data']);
    for (const value of plain.match(/[A-Za-zÄÖÜäöüß]{5,}/g) ?? []) {
      expect(sealed!.includes(Buffer.from(value)), value).to.equal(false);
    }
    expect(sealed!.includes(Buffer.from('nachweisantwort'))).to.equal(false);
  });

  it('withholds rejected evidence: the consumer gets ERR_PREVIEW_REJECTED and the evidence is destroyed', async () => {
    const exchangeId = await held();
    const rejected = await decide(exchangeId, 'reject');
    expect(rejected.status).to.equal(200);
    expect((rejected.json!['preview'] as Record<string, unknown>)['state']).to.equal('rejected');
    expect((await poll(exchangeId)).json).to.include({ status: 'withheld', code: 'ERR_PREVIEW_REJECTED' });
    expect(sealedOf(exchangeId)).to.equal(null);
    expect(await outcomes(exchangeId)).to.deep.equal([
      'intent',
      'awaiting-citizen/pending',
      'withheld/rejected',
    ]);
  });

  it('refuses a second decision with 409 ERR_CONFLICT and changes nothing', async () => {
    const exchangeId = await held();
    expect((await decide(exchangeId, 'reject')).status).to.equal(200);
    const again = await decide(exchangeId, 'approve');
    expect(again.status).to.equal(409);
    expect(again.json).to.include({ code: 'ERR_CONFLICT' });
    expect((await decide(exchangeId, 'reject')).status).to.equal(409);
    expect(await outcomes(exchangeId)).to.deep.equal([
      'intent',
      'awaiting-citizen/pending',
      'withheld/rejected',
    ]);
  });

  it('answers another citizen deciding with 404 ERR_NOT_FOUND, as for an unknown id, and shows them nothing', async () => {
    const exchangeId = await held();
    const foreign = await decide(exchangeId, 'approve', MAX);
    expect(foreign.status).to.equal(404);
    expect(foreign.json).to.include({ code: 'ERR_NOT_FOUND' });
    const unknown = await decide(randomUUID(), 'approve', MAX);
    expect(unknown.status).to.equal(404);
    expect(await previews(MAX)).to.deep.equal([]);
    expect((await previews())[0]).to.include({ state: 'pending' });
    expect(await outcomes(exchangeId)).to.deep.equal(['intent', 'awaiting-citizen/pending']);
  });

  it('refuses a malformed decision with 400 and changes nothing', async () => {
    const exchangeId = await held();
    for (const body of [{ decision: 'maybe' }, { decision: 'approve', idnr: MAX }, {}]) {
      const answer = await gw.request('POST', `/v1/me/previews/${exchangeId}`, {
        bearer: await gw.citizenToken(ERIKA),
        json: body,
      });
      expect(answer.status, JSON.stringify(body)).to.equal(400);
    }
    const noToken = await gw.request('POST', `/v1/me/previews/${exchangeId}`, {
      json: { decision: 'approve' },
    });
    expect(noToken.status).to.equal(401);
    expect(await outcomes(exchangeId)).to.deep.equal(['intent', 'awaiting-citizen/pending']);
  });

  it('expires a preview past its deadline: a late approval gets 409, the consumer ERR_PREVIEW_REJECTED', async () => {
    const exchangeId = await held();
    gw.clock.advance(PREVIEW_TIMEOUT_MS + 1000);
    const late = await decide(exchangeId, 'approve');
    expect(late.status).to.equal(409);
    expect(late.json).to.include({ code: 'ERR_CONFLICT' });
    expect((await poll(exchangeId)).json).to.include({ status: 'withheld', code: 'ERR_PREVIEW_REJECTED' });
    expect(sealedOf(exchangeId)).to.equal(null);
    expect(await outcomes(exchangeId)).to.deep.equal([
      'intent',
      'awaiting-citizen/pending',
      'withheld/expired',
    ]);
    expect((await previews())[0])
      .to.include({ state: 'expired' })
      .and.not.have.property('data');
  });

  it('cancels a pending preview when its consent is withdrawn: ERR_CONSENT_WITHDRAWN, evidence destroyed', async () => {
    const exchangeId = await held();
    const consentId = (await gw.recordsOf(exchangeId))[0]!.consentId!;
    const withdrawn = await gw.request('POST', `/v1/me/consents/${consentId}/withdraw`, {
      bearer: await gw.citizenToken(ERIKA),
    });
    expect(withdrawn.status).to.equal(200);
    expect((await poll(exchangeId)).json).to.include({ status: 'withheld', code: 'ERR_CONSENT_WITHDRAWN' });
    expect(sealedOf(exchangeId)).to.equal(null);
    expect((await decide(exchangeId, 'approve')).status).to.equal(409);
    expect(await outcomes(exchangeId)).to.deep.equal([
      'intent',
      'awaiting-citizen/pending',
      'withheld/cancelled',
    ]);
  });

  it('lets the consumer collect approved evidence only within the collection window', async () => {
    const exchangeId = await held();
    expect((await decide(exchangeId, 'approve')).status).to.equal(200);
    gw.clock.advance(gw.gateway.config.previewCollectS * 1000 + 1000);
    const late = await poll(exchangeId);
    expect(late.json).to.include({ status: 'released' }).and.not.have.property('evidence');
    expect(late.json).to.have.property('receipt');
  });
});
