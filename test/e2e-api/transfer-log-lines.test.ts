/**
 * Issue 12: the operator's `transfer.*` log lines carry the HTTP request id (the access log's `requestId` and
 * the `X-Request-Id` header), so a refused or released exchange can be followed from its HTTP request.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from '../../gateway/log.js';
import { ERIKA, MAX, startTestGateway, type TestGateway } from '../helpers/start-test-gateway.js';

describe('e2e: transfer.* log lines carry the request id', () => {
  const lines: Record<string, unknown>[] = [];
  let gw: TestGateway;

  before(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    gw = await startTestGateway({ logger: createLogger({ level: 'info', destination }) });
  });
  after(() => gw.close());

  /** The transfer.* lines of this exchange, once the logger has written them. */
  async function transferLines(exchangeId: string): Promise<Record<string, unknown>[]> {
    const mine = () =>
      lines.filter((l) => String(l['event']).startsWith('transfer.') && l['exchangeId'] === exchangeId);
    for (let i = 0; i < 50 && mine().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    return mine();
  }

  it('a released exchange: transfer.released with the request id of its HTTP request', async () => {
    const answer = await gw.sendJws(await gw.signRequest({ subject: { idnr: ERIKA } }));
    expect(answer.status).to.equal(200);
    const requestId = answer.headers.get('x-request-id');
    expect(requestId).to.be.a('string');
    const found = await transferLines(String(answer.json?.['exchangeId']));
    expect(found.map((l) => [l['event'], l['requestId']])).to.deep.equal([['transfer.released', requestId]]);
  });

  it('a refused exchange: transfer.refused with the request id and the code', async () => {
    const body = await gw.signRequest({ subject: { idnr: MAX } });
    const answer = await gw.sendJws(body);
    expect(answer.status).to.equal(403);
    const requestId = answer.headers.get('x-request-id');
    expect(requestId).to.be.a('string');
    const messageId = JSON.parse(Buffer.from(body.split('.')[1]!, 'base64url').toString('utf8')) as {
      jti: string;
    };
    const [record] = await gw.recordsOfMessage(messageId.jti);
    const found = await transferLines(record!.exchangeId);
    expect(found.map((l) => [l['event'], l['requestId'], l['code']])).to.deep.equal([
      ['transfer.refused', requestId, 'ERR_CONSENT_MISSING'],
    ]);
  });
});
