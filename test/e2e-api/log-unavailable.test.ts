/**
 * Issue 2 "the log database read-only or gone → 503, nothing forwarded" end to end ("no release without
 * record", DESIGN.md): the gateway's SQLite file is deleted while it runs, or is write-protected when it starts.
 * The consumer gets 503 ERR_LOG_UNAVAILABLE, the fake Meldebehörde receives nothing, and /readyz says so.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../helpers/start-test-gateway.js';
import { expectRefusal } from './expect-refusal.js';

const DB_FILES = ['gateway.db', 'gateway.db-wal', 'gateway.db-shm'];

/**
 * Write-protects files so that even their owner cannot write them: chmod for an ordinary user; for root, whom
 * modes do not stop, the immutable attribute (chattr +i, needs CAP_LINUX_IMMUTABLE). Returns the undo.
 */
function writeProtect(files: readonly string[]): () => void {
  if (process.getuid?.() !== 0) {
    for (const file of files) chmodSync(file, 0o444);
    return () => files.forEach((file) => chmodSync(file, 0o644));
  }
  try {
    execFileSync('chattr', ['+i', ...files], { stdio: 'pipe' });
  } catch (cause) {
    throw new Error(
      'running as root, the test needs chattr and CAP_LINUX_IMMUTABLE to write-protect a file',
      {
        cause,
      },
    );
  }
  return () => execFileSync('chattr', ['-i', ...files], { stdio: 'pipe' });
}

/** Sends a request for Erika and expects 503 ERR_LOG_UNAVAILABLE with nothing forwarded or recorded. */
async function expectLogUnavailable(g: TestGateway): Promise<void> {
  const claims = g.requestClaims();
  const before = g.provider!.requests;
  const answer = await g.sendJws(await g.signRequest(claims));
  await expectRefusal(g, answer, {
    status: 503,
    code: 'ERR_LOG_UNAVAILABLE',
    messageId: String(claims['jti']),
    logged: false,
    providerBefore: before,
  });
}

describe('e2e: transfer log unavailable (issue 2)', () => {
  describe('the log database deleted while the gateway runs', () => {
    let g: TestGateway;

    before(async () => {
      g = await startTestGateway({ meldebehoerde: 'ok' });
    });
    after(async () => {
      await g?.close();
    });

    it('releases while the log is there (control)', async () => {
      expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
      expect((await g.request('GET', '/readyz')).status).to.equal(200);
    });

    it('refuses with 503 ERR_LOG_UNAVAILABLE and forwards nothing once the file is gone', async () => {
      for (const name of DB_FILES) {
        const file = join(g.dataDir, name);
        if (existsSync(file)) unlinkSync(file);
      }
      await expectLogUnavailable(g);
      await expectLogUnavailable(g);
    });

    it('reports not ready on /readyz, with 503 ERR_LOG_UNAVAILABLE', async () => {
      const ready = await g.request('GET', '/readyz');
      expect({ status: ready.status, code: ready.json?.['code'] }).to.deep.equal({
        status: 503,
        code: 'ERR_LOG_UNAVAILABLE',
      });
    });

    it('still answers /healthz (the process is up)', async () => {
      expect((await g.request('GET', '/healthz')).status).to.equal(200);
    });
  });

  describe('a gateway started on a write-protected log database', () => {
    let dataDir: string;
    let g: TestGateway | undefined;
    let startError: unknown;
    let undo: (() => void) | undefined;

    before(async () => {
      const first = await startTestGateway({ meldebehoerde: 'ok' });
      dataDir = first.dataDir;
      expect((await first.sendJws(await first.signRequest())).status).to.equal(200);
      await first.close({ keepDataDir: true });
      undo = writeProtect(DB_FILES.map((name) => join(dataDir, name)).filter((file) => existsSync(file)));
      try {
        g = await startTestGateway({ meldebehoerde: 'ok', dataDir });
      } catch (error) {
        startError = error;
      }
    });
    after(async () => {
      try {
        await g?.close({ keepDataDir: true });
      } finally {
        undo?.();
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('refuses to start, or refuses every exchange with 503 ERR_LOG_UNAVAILABLE and forwards nothing', async () => {
      if (g === undefined) {
        // Failing closed at start is as good as refusing each exchange.
        expect(startError).to.be.instanceOf(Error);
        return;
      }
      await expectLogUnavailable(g);
    });

    it('reports not ready on /readyz, with 503 ERR_LOG_UNAVAILABLE', async () => {
      // BUG (gateway/adapters/sqlite/sqlite-database.ts, SqliteDatabase.writable()): it answers
      // `!this.db.readonly && !this.#closed`, but better-sqlite3's `readonly` is only the flag the file was
      // opened with; SQLite silently opens a write-protected file read-only, so /readyz says "ready" (200) while
      // every exchange fails with 503. One-line fix: inside writable()'s try, also
      // `accessSync(this.path, constants.W_OK)` (node:fs), which throws EACCES/EPERM for a write-protected file.
      // This test fails until then.
      if (g === undefined) return;
      const ready = await g.request('GET', '/readyz');
      expect({ status: ready.status, code: ready.json?.['code'] }).to.deep.equal({
        status: 503,
        code: 'ERR_LOG_UNAVAILABLE',
      });
    });
  });
});
