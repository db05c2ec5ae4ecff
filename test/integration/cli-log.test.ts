/**
 * `oog log consistency` over real SQLite stores signed with the example gateway key: the commands run in-process
 * (logCommand with captured output, the exit code it returns, a throw being exit 2), and once as a user runs
 * them, as a child process of bin/oog.js.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqliteDatabase } from '../../gateway/adapters/sqlite/sqlite-database.js';
import type { TransferRecord } from '../../gateway/core/ports.js';
import { CHECKPOINT_TYP } from '../../gateway/core/transfer-log/index.js';
import { signLogToken } from '../../gateway/core/transfer-log/log-token.js';
import { fromRoot } from '../../gateway/paths.js';
import { sampleRecord } from '../unit/transfer-log/helpers/memory-store.js';
import { gatewaySigner, openGatewayLog, runLog, type Ran } from '../helpers/gateway-log.js';

describe('oog log consistency', function () {
  this.timeout(60_000);
  let dir: string;
  const dbs: SqliteDatabase[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oog-cli-log-'));
  });
  afterEach(() => {
    for (const db of dbs.splice(0)) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function file(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  /** A data dir with a log of `sizes.at(-1)` leaves and checkpoint files at each size. */
  async function logWithCheckpoints(
    name: string,
    sizes: readonly number[],
    record: (index: number) => TransferRecord = () => sampleRecord(),
  ) {
    const dataDir = join(dir, name);
    let now = Date.now();
    const ctx = openGatewayLog(dataDir, { nowMs: () => now });
    dbs.push(ctx.db);
    const files: string[] = [];
    for (const size of sizes) {
      for (let i = await ctx.store.size(); i < size; i++) await ctx.log.append(record(i));
      now += 1000;
      const cp = await ctx.log.checkpoint();
      files.push(file(`${name}-${size}.jws`, `${cp.jws}\n`));
    }
    return { ...ctx, dataDir, files };
  }

  it('says consistent with exit 0 for a pair from the store in --data-dir', async () => {
    const { dataDir, files } = await logWithCheckpoints('a', [5, 13]);
    const run = await runLog(['consistency', files[0]!, files[1]!, '--data-dir', dataDir]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^consistent: /);
  });

  it('says consistent with exit 0 offline, from a --proof file, without any store', async () => {
    const { log, files } = await logWithCheckpoints('a', [5, 13]);
    const proof = file('proof.json', JSON.stringify(await log.consistencyProof(5, 13)));
    const run = await runLog([
      'consistency',
      files[0]!,
      files[1]!,
      '--proof',
      proof,
      '--cert',
      fromRoot('certs-example/participants/oog-demo-gateway.cert.pem'),
    ]);
    expect(run.code, run.stderr).to.equal(0);
  });

  it('fails with size-decreased for the pair in swapped order', async () => {
    const { dataDir, files } = await logWithCheckpoints('a', [5, 13]);
    const run = await runLog(['consistency', files[1]!, files[0]!, '--data-dir', dataDir]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/^FAILED: size-decreased/);
  });

  it('fails with new-checkpoint (signature) for an edited root and inconsistent for a re-signed one', async () => {
    const { dataDir, files } = await logWithCheckpoints('a', [5, 13]);
    const jws = readFileSync(files[1]!, 'utf8').trim();
    const [h, p, s] = jws.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forgedPayload = { ...payload, rootHash: Buffer.alloc(32, 9).toString('base64url') };
    const edited = file(
      'edited.jws',
      `${h}.${Buffer.from(JSON.stringify(forgedPayload)).toString('base64url')}.${s}`,
    );
    let run = await runLog(['consistency', files[0]!, edited, '--data-dir', dataDir]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/^FAILED: new-checkpoint \(signature\)/);
    const resigned = file('resigned.jws', await signLogToken(gatewaySigner, CHECKPOINT_TYP, forgedPayload));
    run = await runLog(['consistency', files[0]!, resigned, '--data-dir', dataDir]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/^FAILED: inconsistent/);
  });

  it('fails with inconsistent for a rewritten log: a new checkpoint from a store whose old leaves changed', async () => {
    const records = Array.from({ length: 12 }, () => sampleRecord());
    const original = await logWithCheckpoints('a', [8], (i) => records[i]!);
    // The same leaves but one, then grown further and signed with the gateway key.
    const rewritten = await logWithCheckpoints('b', [8, 12], (i) =>
      i === 3 ? { ...records[i]!, outcome: 'refused' } : records[i]!,
    );
    let run = await runLog([
      'consistency',
      original.files[0]!,
      rewritten.files[1]!,
      '--data-dir',
      rewritten.dataDir,
    ]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/^FAILED: inconsistent/);
    // The honest store cannot vouch for the rewritten head either: it does not hold 12 leaves.
    run = await runLog([
      'consistency',
      original.files[0]!,
      rewritten.files[1]!,
      '--data-dir',
      original.dataDir,
    ]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/^FAILED: proof-unavailable/);
  });

  it('fails with exit 1 naming the file for bad checkpoint and proof files, exit 2 for missing ones', async () => {
    const { dataDir, files, log } = await logWithCheckpoints('a', [5, 13]);
    const proof = await log.consistencyProof(5, 13);
    const cases: [string[], RegExp][] = [
      [
        [file('junk.jws', 'not a checkpoint'), files[1]!, '--data-dir', dataDir],
        /^FAILED: old-checkpoint \(malformed\)/,
      ],
      [[files[0]!, file('empty.jws', ''), '--data-dir', dataDir], /^FAILED: new-checkpoint \(malformed\)/],
      [[files[0]!, files[1]!, '--proof', file('p1.json', '{not json')], /^FAILED: proof-malformed/],
      [[files[0]!, files[1]!, '--proof', file('p2.json', '{"proof":[]}')], /^FAILED: proof-malformed/],
      [
        [files[0]!, files[1]!, '--proof', file('p3.json', JSON.stringify(proof.slice(1)))],
        /^FAILED: inconsistent/,
      ],
      [
        [
          files[0]!,
          files[1]!,
          '--data-dir',
          dataDir,
          '--cert',
          fromRoot('certs-example/participants/ags-09999001.cert.pem'),
        ],
        /^FAILED: old-checkpoint \(signature\)/,
      ],
    ];
    for (const [args, expected] of cases) {
      const run = await runLog(['consistency', ...args]);
      expect(run.code, args.join(' ')).to.equal(1);
      expect(run.stderr, args.join(' ')).to.match(expected);
    }
    for (const args of [
      [join(dir, 'missing.jws'), files[1]!, '--data-dir', dataDir],
      [files[0]!, files[1]!, '--proof', join(dir, 'missing.json')],
      [files[0]!, '--data-dir', dataDir],
      [files[0]!, files[1]!, '--data-dir', join(dir, 'no-store-here')],
    ]) {
      expect((await runLog(['consistency', ...args])).code, args.join(' ')).to.equal(2);
    }
  });

  it('runs as a child process of bin/oog.js with the same exit codes', async () => {
    const { dataDir, files } = await logWithCheckpoints('a', [3, 7]);
    const oog = (args: string[]) =>
      new Promise<Ran>((resolve) => {
        execFile(
          process.execPath,
          [fromRoot('bin/oog.js'), 'log', ...args],
          { cwd: fromRoot('.'), env: { ...process.env, OOG_DATA_DIR: dataDir }, timeout: 60_000 },
          (error, stdout, stderr) =>
            resolve({
              code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
              stdout,
              stderr,
            }),
        );
      });
    const [good, swapped] = await Promise.all([
      oog(['consistency', files[0]!, files[1]!]),
      oog(['consistency', files[1]!, files[0]!]),
    ]);
    expect(good.code, good.stderr).to.equal(0);
    expect(good.stdout).to.match(/^consistent: /);
    expect(swapped.code).to.equal(1);
    expect(swapped.stderr).to.match(/^FAILED: size-decreased/);
  });
});
