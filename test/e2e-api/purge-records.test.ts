/**
 * Purge records (issue 11 item 4) on the demo gateway: a purge logs itself as a record of its own, and that record
 * is not a transfer. The DPO's list, charts and export, the citizen's view and the consumer's poll leave it out;
 * the DPO can still open it, with its inclusion proof, on the API and the portal.
 */
import { expect } from 'chai';
import type { TransferRecord } from '../../gateway/core/ports.js';
import {
  ERIKA,
  startTestGateway,
  WOHNGELDSTELLE,
  type LoggedRecord,
  type TestGateway,
} from '../helpers/start-test-gateway.js';
import { loginAs } from '../helpers/web-client.js';

describe('e2e: purge records are not transfers', function () {
  this.timeout(60_000);
  let g: TestGateway;
  let kept: string;
  let purge: LoggedRecord;

  before(async () => {
    g = await startTestGateway();
    const released = await g.sendJws(await g.signRequest()); // Erika's standing demo consent
    expect(released.status, released.text).to.equal(200);
    kept = String(released.json!['exchangeId']);
    // An exchange of Erika's whose retention has ended, as the gateway would have logged it years ago.
    const [intent, outcome] = await g.recordsOf(kept);
    const expired: TransferRecord = {
      ...outcome!,
      exchangeId: '3f1e2d4c-5b6a-4789-8abc-def012345678',
      time: '2023-01-02T10:00:00.000Z',
      retentionUntil: '2025-01-02T10:00:00.000Z',
    };
    for (const r of [{ ...expired, outcome: intent!.outcome }, expired]) {
      const { index: _, ...record } = r as LoggedRecord;
      await g.gateway.transferLog.append(record);
    }
    expect(await g.gateway.logStore.purgeRecords(new Date(g.clock.nowMs()).toISOString())).to.equal(2);
    const records = await g.records();
    purge = records.find((r) => r.outcome === 'purged')!;
    expect(purge, 'a purge record').to.not.equal(undefined);
  });
  after(async () => {
    await g?.close();
  });

  it('leaves the purge record out of the DPO transfer list and the export, by default', async () => {
    const bearer = await g.dpoToken();
    const list = await g.request('GET', '/v1/transfers', { bearer });
    expect(list.status).to.equal(200);
    const transfers = list.json!['transfers'] as { exchangeId: string; outcome: string }[];
    expect(transfers.map((t) => t.exchangeId)).to.deep.equal([kept]);
    const exported = await g.request('GET', '/v1/transfers/export?format=jsonl', { bearer });
    expect(exported.status).to.equal(200);
    expect(exported.text).to.not.contain(purge.exchangeId);
  });

  it('does not count the purge record in the charts', async () => {
    const now = g.clock.nowMs();
    const counts = await g.gateway.logStore.countTransfers({
      from: new Date(now - 86_400_000).toISOString(),
      to: new Date(now + 86_400_000).toISOString(),
    });
    expect(counts.map((c) => [c.outcome, c.count])).to.deep.equal([['released', 1]]);
  });

  it('shows the purge record to a DPO who opens it, with its inclusion proof, and to no limited DPO', async () => {
    const detail = await g.request('GET', `/v1/transfers/${purge.exchangeId}`, {
      bearer: await g.dpoToken(),
    });
    expect(detail.status, detail.text).to.equal(200);
    const [leaf] = detail.json!['records'] as { index: number; record: TransferRecord }[];
    expect(leaf!.index).to.equal(purge.index);
    expect(leaf!.record.outcome).to.equal('purged');
    const limited = await g.request('GET', `/v1/transfers/${purge.exchangeId}`, {
      bearer: await g.dpoToken([WOHNGELDSTELLE]),
    });
    expect(limited.status).to.equal(404);
  });

  it('renders the purge record on the portal detail page as verified, and not in the list', async () => {
    const dpo = await loginAs(g.url, 'dpo');
    const page = await dpo.get(`/dpo/uebermittlungen/${purge.exchangeId}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('id="verified" class="notice"');
    const list = await dpo.get('/dpo/uebermittlungen');
    expect(list.text).to.contain(`/dpo/uebermittlungen/${kept}"`);
    expect(list.text).to.not.contain(purge.exchangeId);
  });

  it('shows the citizen her transfers, not the purge of her old one', async () => {
    const mine = await g.request('GET', '/v1/me/transfers', { bearer: await g.citizenToken(ERIKA) });
    expect(mine.status).to.equal(200);
    const ids = (mine.json!['transfers'] as { exchangeId: string }[]).map((t) => t.exchangeId);
    expect(ids).to.deep.equal([kept]);
  });

  it("answers a consumer polling the purge record's id with 404, and its own exchange as before", async () => {
    const polled = await g.request('GET', `/v1/evidence-requests/${purge.exchangeId}`, {
      bearer: await g.agencyToken(WOHNGELDSTELLE),
    });
    expect([polled.status, polled.json?.['code']]).to.deep.equal([404, 'ERR_NOT_FOUND']);
    const own = await g.request('GET', `/v1/evidence-requests/${kept}`, {
      bearer: await g.agencyToken(WOHNGELDSTELLE),
    });
    expect([own.status, own.json?.['status']]).to.deep.equal([200, 'released']);
  });

  it('keeps the log verifiable with the purge in it', async () => {
    expect(await g.gateway.transferLog.verifyStored()).to.deep.include({ ok: true, size: purge.index + 1 });
  });
});
