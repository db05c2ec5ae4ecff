/**
 * Issue 4 items 4 and 5 end to end: the DPO and auditor calls of PROTOCOL.md §4 and the citizen's view of the
 * log (§3) on the demo gateway, with real traffic in the log. Proofs are checked with the RFC 9162 verifiers and
 * the gateway's public key, not by trusting the answer.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import {
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '../../gateway/core/transfer-log/index.js';
import {
  ELTERNGELDSTELLE,
  ERIKA,
  GATEWAY_ID,
  MAX,
  MELDEBEHOERDE,
  startTestGateway,
  WOHNGELDSTELLE,
} from '../helpers/start-test-gateway.js';
import type { HttpAnswer, TestGateway } from '../helpers/start-test-gateway.js';

const b = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));
const INJECTION = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script>';

describe('e2e: DPO API and citizen access to the transfer log (issue 4)', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let dpo: string;
  let releasedId: string;

  before(async () => {
    gw = await startTestGateway();
    for (let i = 0; i < 3; i++) {
      const answer = await gw.sendJws(await gw.signRequest());
      expect(answer.status).to.equal(200);
      releasedId = String(answer.json!['exchangeId']);
    }
    const odd = await gw.sendJws(await gw.signRequest({ procedure: { reference: INJECTION } }));
    expect(odd.status).to.equal(200);
    expect((await gw.sendJws(await gw.signRequest({ subject: { idnr: MAX } }))).status).to.equal(403);
    dpo = await gw.dpoToken();
  });
  after(async () => gw?.close());

  /** GET with the DPO's token, another token, or (null) none. */
  async function get(path: string, bearer: string | null = dpo): Promise<HttpAnswer> {
    return gw.request('GET', path, bearer === null ? {} : { bearer });
  }

  type Row = Record<string, unknown> & { index: number; outcome: string; exchangeId: string };

  describe('GET /v1/transfers', () => {
    it('lists the records that ended exchanges, newest first, with participant names', async () => {
      const answer = await get('/v1/transfers');
      expect(answer.status, answer.text).to.equal(200);
      const rows = answer.json!['transfers'] as Row[];
      expect(rows.map((r) => r.outcome)).to.deep.equal([
        'refused',
        'released',
        'released',
        'released',
        'released',
      ]);
      expect(rows.map((r) => r.index)).to.deep.equal([...rows.map((r) => r.index)].sort((x, y) => y - x));
      expect(rows[1]!['consumer']).to.deep.include({ id: WOHNGELDSTELLE });
      expect(rows[1]!['procedure']).to.deep.equal({ reference: INJECTION });
    });

    it('pages with the cursor, without gaps or repeats', async () => {
      const all = ((await get('/v1/transfers')).json!['transfers'] as Row[]).map((r) => r.index);
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await get(`/v1/transfers?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...(page.json!['transfers'] as Row[]).map((r) => r.index));
        cursor = page.json!['next'] as string | undefined;
      } while (cursor);
      expect(seen).to.deep.equal(all);
    });

    it('filters by outcome, consumer and citizen (IDNr through the keyed hash)', async () => {
      const refused = (await get('/v1/transfers?outcome=refused')).json!['transfers'] as Row[];
      expect(refused).to.have.lengthOf(1);
      expect(refused[0]).to.include({ code: 'ERR_CONSENT_MISSING' });
      const intents = (await get(`/v1/transfers?outcome=intent&consumer=${WOHNGELDSTELLE}`)).json![
        'transfers'
      ] as Row[];
      expect(intents).to.have.lengthOf(4);
      const max = (await get(`/v1/transfers?subject=${MAX}`)).json!['transfers'] as Row[];
      expect(max.map((r) => r.outcome)).to.deep.equal(['refused']);
      const erika = (await get(`/v1/transfers?subject=${ERIKA}&provider=${MELDEBEHOERDE}`)).json![
        'transfers'
      ] as Row[];
      expect(erika).to.have.lengthOf(4);
      expect((await get(`/v1/transfers?consumer=${ELTERNGELDSTELLE}`)).json!['transfers']).to.deep.equal([]);
      const future = new Date(Date.now() + 86_400_000).toISOString();
      expect((await get(`/v1/transfers?from=${future}`)).json!['transfers']).to.deep.equal([]);
    });

    it('treats SQL metacharacters and LIKE wildcards as 400 or exact values, and leaves the store unchanged', async () => {
      const size = await gw.gateway.logStore.size();
      for (const query of [
        "purpose=wohngeld-antrag'%20OR%201=1--",
        'purpose=%25',
        'evidenceType=melde%25',
        'consumer=ags:%25',
        "subject=93141705862'--",
        'cursor=%27%3B%20DROP%20TABLE%20transfer_log%3B--',
      ]) {
        const answer = await get(`/v1/transfers?${query}`);
        expect(answer.status, query).to.equal(400);
      }
      for (const query of ['consumer=ags:0999900_', 'provider=mld:09999001_']) {
        const answer = await get(`/v1/transfers?${query}`);
        expect(answer.status, query).to.equal(200);
        expect(answer.json!['transfers'], query).to.deep.equal([]);
      }
      expect(await gw.gateway.logStore.size()).to.equal(size);
    });

    it('refuses unknown parameters, bad limits, dates and cursors with 400', async () => {
      for (const query of [
        'sort=time',
        'limit=0',
        'limit=-1',
        'limit=100000',
        'limit=abc',
        'from=yesterday',
        'to=2026-13-01T00:00:00Z',
        'outcome=maybe',
        'cursor=bm9wZQ',
        'subject=93141705863',
      ]) {
        const answer = await get(`/v1/transfers?${query}`);
        expect(answer.status, query).to.equal(400);
      }
    });
  });

  describe('GET /v1/transfers/{exchangeId}', () => {
    it('gives the records with leaves, a signed checkpoint and inclusion proofs that verify', async () => {
      const answer = await get(`/v1/transfers/${releasedId}`);
      expect(answer.status).to.equal(200);
      const cp = answer.json!['checkpoint'] as { treeSize: number; rootHash: string; jws: string };
      const verified = await verifyCheckpoint(cp.jws, gw.gateway.signer.certificate.publicKey, {
        issuer: GATEWAY_ID,
      });
      expect(verified.ok).to.equal(true);
      const records = answer.json!['records'] as {
        index: number;
        leafHash: string;
        inclusionProof: string[];
        record: Row;
      }[];
      expect(records.map((r) => r.record.outcome)).to.deep.equal(['intent', 'released']);
      for (const r of records) {
        expect(
          verifyInclusion(r.index, cp.treeSize, b(r.leafHash), r.inclusionProof.map(b), b(cp.rootHash)),
        ).to.equal(true);
      }
    });

    it('answers an unknown exchange with 404', async () => {
      expect((await get(`/v1/transfers/${randomUUID()}`)).status).to.equal(404);
    });
  });

  describe('GET /v1/transfers/export', () => {
    it('exports CSV with formula cells neutralised, as an attachment', async () => {
      const answer = await get('/v1/transfers/export?format=csv');
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('content-type')).to.match(/^text\/csv/);
      expect(answer.headers.get('content-disposition')).to.match(
        /^attachment; filename="transfers-.*\.csv"$/,
      );
      const lines = answer.text.trimEnd().split('\r\n');
      expect(lines[0]).to.match(/^"index","time","exchangeId","outcome"/);
      expect(lines).to.have.lengthOf(1 + 5);
      expect(answer.text).to.include(
        `"'=HYPERLINK(""http://evil.example"",""x"") <script>alert(1)</script>"`,
      );
      expect(answer.text).to.not.match(/(^|,)"=/m);
    });

    it('exports JSON Lines with the same records and the filter applied', async () => {
      const answer = await get('/v1/transfers/export?format=jsonl&outcome=released');
      expect(answer.headers.get('content-type')).to.match(/^application\/x-ndjson/);
      const rows = answer.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Row);
      expect(rows).to.have.lengthOf(4);
      expect(rows.every((r) => r.outcome === 'released')).to.equal(true);
      expect(rows.some((r) => (r['procedure'] as { reference: string }).reference === INJECTION)).to.equal(
        true,
      );
    });

    it('refuses a bad filter before sending anything, with 400', async () => {
      const answer = await get('/v1/transfers/export?format=xlsx');
      expect(answer.status).to.equal(400);
    });
  });

  describe('the log: checkpoint, leaves, proofs', () => {
    it('serves a signed checkpoint, leaves and a consistency proof that verify', async () => {
      const first = (await get('/v1/log/checkpoint')).json as {
        treeSize: number;
        rootHash: string;
        jws: string;
      };
      expect((await verifyCheckpoint(first.jws, gw.gateway.signer.certificate.publicKey)).ok).to.equal(true);
      expect((await gw.sendJws(await gw.signRequest())).status).to.equal(200);
      const second = (await get('/v1/log/checkpoint')).json as { treeSize: number; rootHash: string };
      expect(second.treeSize).to.be.greaterThan(first.treeSize);
      const proof = (
        await get(`/v1/log/proofs/consistency?first=${first.treeSize}&second=${second.treeSize}`)
      ).json!;
      expect(
        verifyConsistency(
          first.treeSize,
          second.treeSize,
          b(first.rootHash),
          b(second.rootHash),
          (proof['proof'] as string[]).map(b),
        ),
      ).to.equal(true);
      const leaf = (await get('/v1/log/leaves/0')).json!;
      const inclusion = (await get(`/v1/log/proofs/inclusion?index=0&treeSize=${second.treeSize}`)).json!;
      expect(
        verifyInclusion(
          0,
          second.treeSize,
          b(leaf['leafHash'] as string),
          (inclusion['proof'] as string[]).map(b),
          b(second.rootHash),
        ),
      ).to.equal(true);
    });

    it('refuses proofs beyond the tree, of size 0, first > second, huge or non-numbers with 400', async () => {
      const size = ((await get('/v1/log/checkpoint')).json as { treeSize: number }).treeSize;
      for (const path of [
        `/v1/log/proofs/inclusion?index=${size}&treeSize=${size}`,
        `/v1/log/proofs/inclusion?index=0&treeSize=${size + 1}`,
        '/v1/log/proofs/inclusion?index=0&treeSize=0',
        '/v1/log/proofs/inclusion?index=0&treeSize=99999999999999999999',
        '/v1/log/proofs/inclusion?index=x&treeSize=1',
        '/v1/log/proofs/inclusion?index=-1&treeSize=1',
        '/v1/log/proofs/consistency?first=0&second=1',
        `/v1/log/proofs/consistency?first=2&second=1`,
        `/v1/log/proofs/consistency?first=1&second=${size + 5}`,
        '/v1/log/proofs/consistency?first=1e3&second=2000',
        '/v1/log/leaves/abc',
      ]) {
        const answer = await get(path);
        expect(answer.status, path).to.equal(400);
      }
      expect((await get(`/v1/log/leaves/${size + 100}`)).status).to.equal(404);
    });
  });

  describe('records of processing (Art. 30)', () => {
    it('derives one activity per policy with purposes, legal basis, data categories and retention', async () => {
      const report = (await get('/v1/reports/processing')).json!;
      const activities = report['activities'] as Record<string, unknown>[];
      expect(activities.map((a) => (a['policy'] as { id: string }).id)).to.have.members([
        'elterngeld-geburtsurkunde',
        'elterngeld-meldebescheinigung',
        'wohngeld-meldebescheinigung',
      ]);
      for (const a of activities) {
        expect(a).to.have.keys(
          'policy',
          'description',
          'controller',
          'recipient',
          'recipients',
          'provider',
          'evidenceType',
          'purposes',
          'legalBasis',
          'dataCategories',
          'dataSubjects',
          'fields',
          'retention',
          'consentRequired',
          'previewRequired',
        );
      }
    });
  });

  describe('authorisation', () => {
    const paths = [
      '/v1/transfers',
      '/v1/transfers/export',
      '/v1/log/checkpoint',
      '/v1/log/leaves/0',
      '/v1/reports/processing',
    ];

    it('refuses DPO calls without a token (401), with a citizen token (403) and with an expired token (401)', async () => {
      const { key, issuer, audience } = gw.gateway.idp;
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({ roles: ['dpo'] })
        .setProtectedHeader({ alg: 'ES256', kid: key!.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject('dpo-demo')
        .setIssuedAt(now - 7200)
        .setExpirationTime(now - 3600)
        .sign(key!.privateKey);
      const citizen = await gw.citizenToken(ERIKA);
      for (const path of paths) {
        expect((await get(path, null)).status, path).to.equal(401);
        expect((await get(path, citizen)).status, path).to.equal(403);
        expect((await get(path, expired)).status, path).to.equal(401);
      }
    });

    it('shows a DPO limited to participants nothing of other participants', async () => {
      const limited = await gw.dpoToken([ELTERNGELDSTELLE]);
      expect((await get('/v1/transfers', limited)).json!['transfers']).to.deep.equal([]);
      expect((await get(`/v1/transfers?outcome=intent`, limited)).json!['transfers']).to.deep.equal([]);
      expect((await get(`/v1/transfers/${releasedId}`, limited)).status).to.equal(404);
      expect((await get('/v1/log/leaves/0', limited)).status).to.equal(404);
      const csv = await get('/v1/transfers/export', limited);
      expect(csv.text.trimEnd().split('\r\n')).to.have.lengthOf(1);
      const own = await gw.dpoToken([WOHNGELDSTELLE]);
      expect(((await get('/v1/transfers', own)).json!['transfers'] as Row[]).length).to.be.greaterThan(0);
      expect((await get(`/v1/transfers/${releasedId}`, own)).status).to.equal(200);
    });
  });

  describe('citizen access', () => {
    it('shows a citizen every transfer about them: who, which evidence, when, why, outcome', async () => {
      const answer = await get('/v1/me/transfers', await gw.citizenToken(ERIKA));
      expect(answer.status).to.equal(200);
      const rows = answer.json!['transfers'] as Record<string, unknown>[];
      expect(rows.length).to.be.at.least(4);
      expect(rows[0]).to.include({
        outcome: 'released',
        evidenceType: 'meldebescheinigung',
        purpose: 'wohngeld-antrag',
      });
      expect(rows[0]!['consumer']).to.deep.equal({
        id: WOHNGELDSTELLE,
        name: 'Stadt Musterstadt – Wohngeldstelle',
      });
      expect(rows[0]).to.have.property('legalBasis');
      expect(JSON.stringify(rows)).to.not.include('subjectRef').and.not.include(ERIKA);
      const max = (await get('/v1/me/transfers', await gw.citizenToken(MAX))).json!['transfers'] as Row[];
      expect(max.map((r) => r.outcome)).to.deep.equal(['refused']);
      expect(max[0]).to.include({ code: 'ERR_CONSENT_MISSING' });
    });

    it('exports everything about the citizen as one JSON attachment (Art. 15), and nothing of others', async () => {
      const answer = await get('/v1/me/export', await gw.citizenToken(MAX));
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('content-disposition')).to.match(/^attachment;/);
      expect(answer.json).to.include.keys(
        'transfers',
        'consents',
        'consentRequests',
        'previews',
        'generatedAt',
      );
      expect(answer.json!['transfers'] as unknown[]).to.have.lengthOf(1);
      expect(answer.json!['consents']).to.deep.equal([]);
    });

    it('refuses without a token (401) and with a subject in the query (400)', async () => {
      expect((await get('/v1/me/transfers', null)).status).to.equal(401);
      expect((await get(`/v1/me/transfers?subject=${ERIKA}`, await gw.citizenToken(MAX))).status).to.equal(
        400,
      );
      expect((await get('/v1/me/export', dpo)).status).to.equal(403);
    });
  });
});
