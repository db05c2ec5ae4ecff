/**
 * Issue 11 "orphaned exchanges after a crash": a gateway killed (SIGKILL) while a provider holds its answer
 * leaves the exchange's intent in the log with no outcome. Before, the consumer's poll said `pending` forever and
 * the DPO's default list (final outcomes) never showed it. Now the next start records `refused` with
 * ERR_OUTCOME_UNKNOWN once the intent is older than the provider timeout, and poll and list show it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { fromRoot } from '../../gateway/paths.js';
import {
  startTestGateway,
  WOHNGELDSTELLE,
  type LoggedRecord,
  type TestGateway,
} from '../helpers/start-test-gateway.js';

/** Starts the gateway in a child process; resolves with it and its URL once it listens. */
async function startChild(
  dataDir: string,
): Promise<{ child: ChildProcess; url: string; forwarded: Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fromRoot('test/fixtures/gateway-to-kill.ts'), dataDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  let forwarded!: () => void;
  const forwardedSeen = new Promise<void>((resolve) => (forwarded = resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the gateway child exited with ${code}: ${stderr}`)));
    lines.on('line', (line) => {
      if (line === 'forwarded') forwarded();
      else if (line.startsWith('{')) resolve((JSON.parse(line) as { url: string }).url);
    });
  });
  return { child, url, forwarded: forwardedSeen };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('e2e: exchanges orphaned by a crash get a recorded outcome (issue 11)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let child: ChildProcess | undefined;
  let g: TestGateway | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'oog-orphans-'));
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    await g?.close({ keepDataDir: true });
    g = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records refused with ERR_OUTCOME_UNKNOWN after a kill -9 mid-exchange; the poll and the DPO list show it', async () => {
    // The request is signed by a gateway helper on the same data dir's configuration; the child only serves it.
    const started = await startChild(dataDir);
    child = started.child;
    const signer = await startTestGateway({ meldebehoerde: 'ok' });
    const claims = signer.requestClaims();
    const jws = await signer.signRequest(claims);
    await signer.close();
    const answer = fetch(`${started.url}/v1/evidence-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: jws,
    }).catch(() => undefined); // the connection dies with the child
    await started.forwarded;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    child = undefined;
    await answer;

    g = await startTestGateway({ dataDir, meldebehoerde: 'ok', config: { providerTimeoutMs: 500 } });
    const messageId = String(claims['jti']);
    const records = await waitFor('the settled outcome', async () => {
      const rs = await g!.recordsOfMessage(messageId);
      return rs.length >= 2 ? rs : undefined;
    });
    expect(records.map((r: LoggedRecord) => r.outcome)).to.deep.equal(['intent', 'refused']);
    const [intent, settled] = records as [LoggedRecord, LoggedRecord];
    expect(settled).to.include({
      code: 'ERR_OUTCOME_UNKNOWN',
      exchangeId: intent.exchangeId,
      consumer: WOHNGELDSTELLE,
    });
    expect(settled.provider).to.equal(intent.provider);
    expect(settled.retentionUntil).to.equal(intent.retentionUntil);

    const poll = await g.request('GET', `/v1/evidence-requests/${intent.exchangeId}`, {
      bearer: await g.agencyToken(WOHNGELDSTELLE),
    });
    expect(poll.status).to.equal(200);
    expect(poll.json).to.include({ status: 'refused', code: 'ERR_OUTCOME_UNKNOWN' });
    expect(poll.json).to.not.have.property('evidence');

    const list = await g.request('GET', '/v1/transfers', { bearer: await g.dpoToken() });
    expect(list.status).to.equal(200);
    const items = list.json!['transfers'] as { exchangeId: string; code?: string }[];
    expect(items.find((t) => t.exchangeId === intent.exchangeId)).to.include({ code: 'ERR_OUTCOME_UNKNOWN' });

    // Settled once: a restart does not record it again.
    await g.close({ keepDataDir: true });
    g = await startTestGateway({ dataDir, meldebehoerde: 'ok', config: { providerTimeoutMs: 500 } });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await g.recordsOfMessage(messageId)).map((r) => r.outcome)).to.deep.equal(['intent', 'refused']);
  });
});
