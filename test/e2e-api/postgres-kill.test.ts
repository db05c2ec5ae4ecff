/**
 * Issue 13 "kill -9 of one instance under load and restart": two gateway instances on one PostgreSQL database,
 * one of them its own process. Exchanges go to both; the process is killed (SIGKILL) in the middle of it; the
 * other instance keeps serving; the killed one restarts on its data dir. Afterwards every release that was
 * acknowledged with 200 has its `released` record, every intent has an outcome (the orphans of the kill are
 * settled), the log is gap-free and verifies on both, and `oog log verify` passes for the restarted instance.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { logCommand } from '../../gateway/cli/log-commands.js';
import { fromRoot } from '../../gateway/paths.js';
import { freshPostgresDatabase, type FreshDatabase } from '../helpers/postgres.js';
import { startTestGateway, type LoggedRecord, type TestGateway } from '../helpers/start-test-gateway.js';

async function startChild(
  dataDir: string,
  databaseUrl: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fromRoot('test/fixtures/gateway-on-postgres.ts'), dataDir, databaseUrl],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the gateway child exited with ${code}: ${stderr}`)));
    lines.on('line', (line) => {
      if (line.startsWith('{')) resolve((JSON.parse(line) as { url: string }).url);
    });
  });
  return { child, url };
}

/** `oog log <args>` with DATABASE_URL set, as an operator runs it; resolves with the exit code and lines. */
async function oogLog(databaseUrl: string, args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const saved = process.env['DATABASE_URL'];
  process.env['DATABASE_URL'] = databaseUrl;
  try {
    const code = await logCommand(args, { out: (t) => lines.push(t), err: (t) => lines.push(t) });
    return { code, lines };
  } finally {
    if (saved === undefined) delete process.env['DATABASE_URL'];
    else process.env['DATABASE_URL'] = saved;
  }
}

describe('e2e: kill -9 of one PostgreSQL instance under load (issue 13)', function () {
  this.timeout(120_000);
  let fresh: FreshDatabase;
  let aDir: string;
  let bDir: string;
  let child: ChildProcess | undefined;
  let b: TestGateway | undefined;
  let a: TestGateway | undefined;

  before(async () => {
    fresh = await freshPostgresDatabase();
    aDir = mkdtempSync(join(tmpdir(), 'oog-kill-a-'));
    bDir = mkdtempSync(join(tmpdir(), 'oog-kill-b-'));
  });
  after(async () => {
    child?.kill('SIGKILL');
    await a?.close({ keepDataDir: true });
    await b?.close({ keepDataDir: true });
    await fresh?.drop();
    rmSync(aDir, { recursive: true, force: true });
    rmSync(bDir, { recursive: true, force: true });
  });

  it('loses no acknowledged release, settles the orphans, and keeps one gap-free log that verifies', async () => {
    const started = await startChild(aDir, fresh.url);
    child = started.child;
    const shared = {
      databaseUrl: fresh.url,
      providerTimeoutMs: 500,
      subjectKeyFile: join(aDir, 'subject.key'),
      previewKeyFile: join(aDir, 'preview.key'),
      requestTokenKeyFile: join(aDir, 'request-token.key'),
    };
    expect((await oogLog(fresh.url, ['anchor', 'init', '--data-dir', bDir])).code).to.equal(0);
    b = await startTestGateway({ meldebehoerde: 'ok', dataDir: bDir, config: shared });
    const survivor = b;

    const acknowledged: string[] = [];
    let aFailures = 0;
    const send = async (toChild: boolean) => {
      const jws = await survivor.signRequest();
      if (!toChild) {
        const answer = await survivor.sendJws(jws);
        expect(answer.status, answer.text).to.equal(200);
        acknowledged.push(String(answer.json!['exchangeId']));
        return;
      }
      try {
        const response = await fetch(`${started.url}/v1/evidence-requests`, {
          method: 'POST',
          headers: { 'content-type': 'application/jose' },
          body: jws,
        });
        const body = (await response.json()) as { exchangeId?: string };
        if (response.status === 200) acknowledged.push(String(body.exchangeId));
        else aFailures += 1;
      } catch {
        aFailures += 1; // the connection died with the process
      }
    };
    const stopAt = Date.now() + 2_500;
    let killed = false;
    const load = Array.from({ length: 8 }, async (_, worker) => {
      while (Date.now() < stopAt) await send(worker % 2 === 0 && !killed);
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    killed = true;
    await exited;
    child = undefined;
    await Promise.all(load);
    expect(acknowledged.length).to.be.greaterThan(10);

    // The killed instance comes back on its own data dir and anchor.
    a = await startTestGateway({ meldebehoerde: 'ok', dataDir: aDir, config: { ...shared } });
    const outcomes = async () => {
      const records = await a!.records();
      const open = new Set<string>();
      for (const r of records) {
        if (r.outcome === 'intent') open.add(r.exchangeId);
        else if (r.outcome !== 'retention-extended' && r.outcome !== 'purged') open.delete(r.exchangeId);
      }
      return { records, open };
    };
    const deadline = Date.now() + 15_000;
    let state = await outcomes();
    while (state.open.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      state = await outcomes();
    }
    expect([...state.open], 'intents without an outcome').to.deep.equal([]);
    const released = new Set(
      state.records.filter((r: LoggedRecord) => r.outcome === 'released').map((r) => r.exchangeId),
    );
    for (const id of acknowledged)
      expect(released.has(id), `acknowledged ${id} has its record`).to.equal(true);
    expect(state.records.map((r) => r.index)).to.deep.equal(state.records.map((_, i) => i));
    expect((await a.gateway.transferLog.verifyStored()).ok).to.equal(true);
    expect((await b.gateway.transferLog.verifyStored()).ok).to.equal(true);
    const verify = await oogLog(fresh.url, ['verify', '--data-dir', aDir]);
    expect(verify.code, verify.lines.join('\n')).to.equal(0);
    console.log(
      `      (${acknowledged.length} acknowledged, ${aFailures} cut off by the kill, ${state.records.length} records)`,
    );
  });
});
