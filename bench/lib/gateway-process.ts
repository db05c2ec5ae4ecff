/**
 * The gateway under test, started and asked the way an operator does: `oog start --demo` as its own process
 * (`node bin/oog.js`, or the JavaScript compiled for this run with BENCH_GATEWAY=compiled), and `oog demo token`
 * for a citizen's token. Nothing here imports the gateway's composition root: what is measured is the process
 * an operator runs, from outside.
 */
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fromRoot } from '../../gateway/paths.js';
import { output, running, spawnTracked, tempDir } from './processes.js';
import { DEMO_PORTS, GATEWAY_BUILD } from './settings.js';

export interface Gateway {
  readonly url: string;
  readonly child: ChildProcess;
  /** The environment the gateway runs with (its configuration), for the `oog` commands run beside it. */
  readonly env: NodeJS.ProcessEnv;
  /** The last lines the gateway wrote to stderr (LOG_LEVEL=warn: warnings and errors only). */
  readonly stderr: string[];
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function compile(): string {
  const outDir = fromRoot('.bench/dist');
  rmSync(outDir, { recursive: true, force: true });
  try {
    execFileSync(
      process.execPath,
      [
        fromRoot('node_modules/typescript/bin/tsc'),
        '-p',
        fromRoot('tsconfig.build.json'),
        '--outDir',
        outDir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
  } catch (error) {
    const out = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`the gateway does not compile (BENCH_GATEWAY=compiled):\n${out.slice(0, 2_000)}`);
  }
  return join(outDir, 'gateway/cli/main.js');
}

let entry: string | undefined;
/** The script behind the `oog` command, compiled once per run for BENCH_GATEWAY=compiled. */
function oogEntry(): string {
  entry ??= GATEWAY_BUILD === 'source' ? fromRoot('bin/oog.js') : compile();
  return entry;
}

/** Starts `oog start --demo`; `extraEnv` adds settings (DATABASE_URL for the PostgreSQL mode). */
export async function startGateway(extraEnv: Readonly<Record<string, string>> = {}): Promise<Gateway> {
  for (const port of DEMO_PORTS) {
    if (!(await portIsFree(port))) {
      throw new Error(
        `port ${port} on 127.0.0.1 is in use; the demo gateway needs ${DEMO_PORTS.join(', ')}: ` +
          'stop a running `npm start` (or whatever holds the port) before `npm run bench`',
      );
    }
  }
  const dataDir = tempDir('oog-bench-');
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    OOG_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const child = spawnTracked(process.execPath, [oogEntry(), 'start', '--demo'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr.push(...chunk.split('\n').filter((line) => line.trim() !== ''));
    if (stderr.length > 50) stderr.splice(0, stderr.length - 50);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!running(child)) throw new Error(`the gateway exited during start-up:\n${stderr.join('\n')}`);
    try {
      const ready = await fetch(`${url}/readyz`);
      if (ready.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the gateway did not become ready within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, child, env, stderr };
}

export function assertAlive(gateway: Gateway, phase: string): void {
  if (!running(gateway.child)) {
    throw new Error(`the gateway died during ${phase}:\n${gateway.stderr.slice(-20).join('\n')}`);
  }
}

/** A citizen's token from the demo identity provider, as `oog demo token --citizen <idnr>` prints it. */
export async function demoToken(gateway: Gateway, citizen: string): Promise<string> {
  const printed = await output(
    '`oog demo token`',
    process.execPath,
    [oogEntry(), 'demo', 'token', '--citizen', citizen],
    gateway.env,
  );
  return printed.trim();
}
