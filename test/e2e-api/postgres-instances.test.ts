/**
 * Issue 13: several gateway instances on one PostgreSQL database (a fresh one on the machine's PostgreSQL), each
 * with its own data directory and anchor (the second one anchored with `oog log anchor init` before its first
 * start, as the README says), over HTTP: exchanges sent to both alternately land in one gap-free
 * log that both verify and whose checkpoints are consistent; 50 concurrent replays of one message spread over
 * both give exactly one release; a restart finds the log where it was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { logCommand } from '../../gateway/cli/log-commands.js';
import { signCompactJws } from '../../gateway/core/envelope/index.js';
import { verifyCheckpointConsistency } from '../../gateway/core/transfer-log/index.js';
import { freshPostgresDatabase, type FreshDatabase } from '../helpers/postgres.js';
import {
  ERIKA,
  exampleSigner,
  startTestGateway,
  WOHNGELDSTELLE,
  type TestGateway,
} from '../helpers/start-test-gateway.js';

const TYP = 'evidence-request+jwt';

describe('e2e: two gateway instances on one PostgreSQL database (issue 13)', function () {
  this.timeout(60_000);
  const consumer = exampleSigner(WOHNGELDSTELLE);
  let fresh: FreshDatabase;
  let a: TestGateway;
  let b: TestGateway;
  let bDir: string;

  /** `oog log anchor init --data-dir <dir>` with DATABASE_URL set, as an operator runs it. */
  async function anchorInit(dir: string): Promise<string[]> {
    const lines: string[] = [];
    const saved = process.env['DATABASE_URL'];
    process.env['DATABASE_URL'] = fresh.url;
    try {
      const code = await logCommand(['anchor', 'init', '--data-dir', dir], {
        out: (text) => lines.push(text),
        err: (text) => lines.push(text),
      });
      expect(code, lines.join('\n')).to.equal(0);
    } finally {
      if (saved === undefined) delete process.env['DATABASE_URL'];
      else process.env['DATABASE_URL'] = saved;
    }
    return lines;
  }

  before(async () => {
    fresh = await freshPostgresDatabase();
    a = await startTestGateway({ meldebehoerde: 'ok', config: { databaseUrl: fresh.url } });
    bDir = mkdtempSync(join(tmpdir(), 'oog-e2e-b-'));
    await anchorInit(bDir);
    b = await startTestGateway({ meldebehoerde: 'ok', dataDir: bDir, config: sharedWith(a) });
  });

  /** The settings of an instance that shares `g`'s database and secrets. */
  function sharedWith(g: TestGateway) {
    return {
      databaseUrl: fresh.url,
      subjectKeyFile: g.gateway.config.subjectKeyFile,
      previewKeyFile: g.gateway.config.previewKeyFile,
      requestTokenKeyFile: g.gateway.config.requestTokenKeyFile,
    };
  }
  after(async () => {
    await a?.close();
    await b?.close();
    await fresh?.drop();
    if (bDir) rmSync(bDir, { recursive: true, force: true });
  });

  it('releases exchanges sent to both alternately into one gap-free log that both verify', async () => {
    const before = (await a.records()).length;
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const g = i % 2 === 0 ? a : b;
        return g.sendJws(await g.signRequest());
      }),
    );
    expect(
      answers.filter((x) => x.status !== 200).map((x) => x.text),
      'answers other than 200',
    ).to.deep.equal([]);
    const records = await a.records();
    expect(records.map((r) => r.index)).to.deep.equal(records.map((_, i) => i));
    expect(records.length - before).to.equal(40); // intent and released per exchange
    expect((await b.records()).length).to.equal(records.length);
    expect((await a.gateway.transferLog.verifyStored()).ok).to.equal(true);
    expect((await b.gateway.transferLog.verifyStored()).ok).to.equal(true);
  });

  it('signs checkpoints on both instances that are consistent with each other', async () => {
    const first = await a.gateway.transferLog.checkpoint();
    await b.sendJws(await b.signRequest());
    const second = await b.gateway.transferLog.checkpoint();
    expect(second.treeSize).to.be.greaterThan(first.treeSize);
    // The proof from the other instance than the one that signed the newer checkpoint.
    const proof = (m: number, n: number) => a.gateway.transferLog.consistencyProof(m, n);
    const consistent = await verifyCheckpointConsistency(
      first.jws,
      second.jws,
      proof,
      a.gateway.signer.publicKey,
      {
        issuer: a.gateway.config.gatewayId,
      },
    );
    expect(consistent.ok, JSON.stringify(consistent)).to.equal(true);
  });

  it('answers 50 concurrent copies of one message spread over both with exactly one 200', async () => {
    const token = await signCompactJws(consumer, TYP, a.requestClaims());
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).sendJws(token)),
    );
    const statuses = answers.map((x) => x.status).sort();
    expect(statuses.filter((s) => s === 200)).to.have.length(1);
    expect(statuses.filter((s) => s === 409)).to.have.length(49);
    expect(a.provider!.requests + b.provider!.requests).to.be.greaterThan(0);
  });

  it('refuses to start an instance whose subject key differs from the others’, naming the setting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oog-e2e-c-'));
    try {
      await anchorInit(dir);
      const started = await startTestGateway({
        meldebehoerde: 'ok',
        dataDir: dir,
        config: { ...sharedWith(a), subjectKeyFile: join(dir, 'other-subject.key') },
      }).then(
        (g) => g.close().then(() => undefined),
        (error: unknown) => error as Error,
      );
      expect(started?.message).to.match(/^OOG_SUBJECT_KEY_FILE names a secret other than the one the other/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds the log where it was after an instance restarts', async () => {
    const size = (await a.records()).length;
    await b.close({ keepDataDir: true });
    b = await startTestGateway({ meldebehoerde: 'ok', dataDir: bDir, config: sharedWith(a) });
    expect((await b.records()).length).to.equal(size);
    const answer = await b.sendJws(await b.signRequest());
    expect(answer.status, answer.text).to.equal(200);
    expect((await a.records()).length).to.equal(size + 2);
  });

  // Last: it withdraws Erika's standing consent, which the tests above rely on.
  it('orders a withdrawal on one instance and releases on the other as one process would', async () => {
    const token = await b.citizenToken(ERIKA);
    const listed = await b.request('GET', '/v1/me/consents', { bearer: token });
    const consent = (
      listed.json!['consents'] as { id: string; consumer: string; events: { type: string }[] }[]
    ).find((c) => c.consumer === WOHNGELDSTELLE && !c.events.some((e) => e.type === 'withdrawn'))!;
    const releasesBefore = (await a.records()).filter((r) => r.outcome === 'released').length;
    const [answers, withdrawnAt] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, async () => a.sendJws(await a.signRequest()))),
      new Promise((resolve) => setTimeout(resolve, 15)).then(async () => {
        const answer = await b.request('POST', `/v1/me/consents/${consent.id}/withdraw`, { bearer: token });
        expect(answer.status, answer.text).to.equal(200);
        const events = (answer.json!['consent'] as { events: { type: string; at: string }[] }).events;
        return Date.parse(events.find((e) => e.type === 'withdrawn')!.at);
      }),
    ]);
    for (const answer of answers.filter((x) => x.status !== 200)) {
      expect(answer.json, answer.text).to.include({ code: 'ERR_CONSENT_WITHDRAWN' });
    }
    const released = (await a.records()).filter((r) => r.outcome === 'released').slice(releasesBefore);
    expect(released).to.have.length(answers.filter((x) => x.status === 200).length);
    for (const record of released) expect(Date.parse(record.time)).to.be.at.most(withdrawnAt);
    for (const g of [a, b]) {
      const later = await g.sendJws(await g.signRequest());
      expect(later.json, later.text).to.include({ code: 'ERR_CONSENT_WITHDRAWN' });
    }
  });
});
