/**
 * `npm run bench` (issue 2 "Benchmark", issue 3 "Benchmark"). On this machine, in one run:
 *  1. the JSON exchange end to end: the gateway as its own process (`oog start --demo`, which also hosts the demo
 *     Meldebehörde, Standesamt and identity provider in that process), driven by a keep-alive load generator in
 *     this process with pre-signed requests — exchanges/s, p50/p95/p99 latency, the gateway's CPU use and peak
 *     RSS (VmHWM);
 *  2. a bare loop in this process doing the same signatures (verify request, sign forwarded, sign evidence,
 *     verify evidence, sign receipt) and the same two durable log appends per exchange through the real
 *     SqliteTransferLogStore — one exchange at a time and at the load run's concurrency — and the ratio;
 *  3. the XÖV path through the gateway (Elterngeldstelle, XÖV in, JSON Meldebehörde behind) beside the bare
 *     xml-crypto sign/verify rates of bench/xoev-bench.ts (run as a child on an idle machine).
 * Loopback only; every phase is bounded in count and time, the whole run by a watchdog. Prints a table and one
 * JSON line. Exits 1 if the set-up fails or any exchange is not answered 200 (the figures are printed first).
 *
 * Knobs (environment): BENCH_CONCURRENCY (64), BENCH_REQUESTS (20000), BENCH_SECONDS (20),
 * BENCH_XOEV_CONCURRENCY (16), BENCH_XOEV_REQUESTS (1500), BENCH_XOEV_SECONDS (15).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify } from 'jose';
import { loadSigner } from '../gateway/adapters/files/index.js';
import { SqliteDatabase } from '../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from '../gateway/adapters/sqlite/sqlite-transfer-log-store.js';
import { mintDemoToken } from '../gateway/adapters/idp/demo-identity-provider.js';
import { signCompactJws, signXoevRequest } from '../gateway/core/envelope/index.js';
import type { Signer, TransferRecord } from '../gateway/core/ports.js';
import { loadDemoIdpKey } from '../gateway/main.js';
import { fromRoot } from '../gateway/paths.js';

const knob = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const CONCURRENCY = knob('BENCH_CONCURRENCY', 64);
const JSON_REQUESTS = knob('BENCH_REQUESTS', 20_000);
const JSON_SECONDS = knob('BENCH_SECONDS', 20);
const JSON_WARMUP = 500;
const XOEV_CONCURRENCY = knob('BENCH_XOEV_CONCURRENCY', 16);
const XOEV_REQUESTS = knob('BENCH_XOEV_REQUESTS', 1_500);
const XOEV_SECONDS = knob('BENCH_XOEV_SECONDS', 15);
const XOEV_WARMUP = 50;
/** xml-crypto signing runs at a few hundred per second: stop pre-signing after this long. */
const XOEV_SIGNING_SECONDS = 6;
const BARE = {
  warmup: 200,
  sequential: { count: 3_000, seconds: 5 },
  concurrent: { count: 30_000, seconds: 10 },
};
const XML_ITERATIONS = 300;
/**
 * BENCH_GATEWAY=source (default): `node bin/oog.js`, which in a clone runs the TypeScript through tsx's loader
 * (as `npm start` does). BENCH_GATEWAY=compiled: compile first (tsconfig.build.json into .bench/dist) and run
 * the JavaScript as the production image does, without the loader's memory.
 */
const GATEWAY_BUILD = process.env['BENCH_GATEWAY'] ?? 'source';
if (GATEWAY_BUILD !== 'source' && GATEWAY_BUILD !== 'compiled') {
  throw new Error('BENCH_GATEWAY must be source or compiled');
}
/** The whole run, start-up to clean-up, stays below three minutes. */
const WATCHDOG_MS = 170_000;
const DEMO_PORTS = [8081, 8082, 8090];
const GATEWAY_ID = 'oog:demo-gateway';
const WOHNGELD = 'ags:09999001';
const ELTERNGELD = 'ags:09999002';
const ERIKA = '93141705862';
const participants = fromRoot('certs-example/participants.json');

// ---- processes and clean-up -----------------------------------------------------------------------------

const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** Last resort on any exit: nothing this run started outlives it. */
function killAll(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', killAll);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
async function stop(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (running(child)) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  children.delete(child);
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

interface Gateway {
  readonly url: string;
  readonly child: ChildProcess;
  /** The last lines the gateway wrote to stderr (LOG_LEVEL=warn: warnings and errors only). */
  readonly stderr: string[];
}

/** The script that starts the gateway, compiling it first for BENCH_GATEWAY=compiled. */
function gatewayEntry(): string {
  if (GATEWAY_BUILD === 'source') return fromRoot('bin/oog.js');
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

async function startGateway(): Promise<Gateway> {
  for (const port of DEMO_PORTS) {
    if (!(await portIsFree(port))) {
      throw new Error(
        `port ${port} on 127.0.0.1 is in use; the demo gateway needs ${DEMO_PORTS.join(', ')}: ` +
          'stop a running `npm start` (or whatever holds the port) before `npm run bench`',
      );
    }
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'oog-bench-'));
  dirs.push(dataDir);
  const port = await freePort();
  const child = spawn(process.execPath, [gatewayEntry(), 'start', '--demo'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      OOG_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
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
  return { url, child, stderr };
}

function assertAlive(gateway: Gateway, phase: string): void {
  if (!running(gateway.child)) {
    throw new Error(`the gateway died during ${phase}:\n${gateway.stderr.slice(-20).join('\n')}`);
  }
}

// ---- /proc readings of the gateway process -------------------------------------------------------------

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new Error(`the gateway process is gone (${path} cannot be read)`, { cause });
  }
}

/** VmRSS and VmHWM (the RSS high-water mark) in MiB. */
function memoryMiB(pid: number): { rss: number; hwm: number } {
  const status = readProc(`/proc/${pid}/status`);
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** User + system CPU seconds from a /proc stat line (fields 14 and 15, utime and stime). */
function statCpuSeconds(path: string): number {
  const stat = readProc(path);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds the process has used so far: all threads, and its main (event-loop) thread alone. */
function cpuSeconds(pid: number): { all: number; main: number } {
  return { all: statCpuSeconds(`/proc/${pid}/stat`), main: statCpuSeconds(`/proc/${pid}/task/${pid}/stat`) };
}

const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

// ---- load generator ---------------------------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(CONCURRENCY, XOEV_CONCURRENCY) });

function post(url: string, body: string, contentType: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': contentType, accept: 'application/json', ...headers },
    });
    request.setTimeout(30_000, () => request.destroy(new Error('no answer within 30 s')));
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('error', reject);
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
    });
    request.end(body);
  });
}

interface DriveResult {
  readonly count: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Answers by HTTP status, non-200 with their problem `code`; transport failures as `error <code>`. */
  readonly outcomes: Record<string, number>;
  readonly non200: number;
}

/** Sends bodies with `concurrency` in flight until they run out or `seconds` have passed. */
async function drive(
  url: string,
  bodies: readonly string[],
  contentType: string,
  concurrency: number,
  seconds: number,
): Promise<DriveResult> {
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length && performance.now() < deadline) {
        const body = bodies[next++]!;
        const t0 = performance.now();
        let key: string;
        try {
          const answer = await post(url, body, contentType);
          key = String(answer.status);
          if (answer.status !== 200) {
            try {
              key += ` ${(JSON.parse(answer.body) as { code?: string }).code ?? '(no code)'}`;
            } catch {
              key += ' (not JSON)';
            }
          }
        } catch (error) {
          key = `error ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
        }
        latencies.push(performance.now() - t0);
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1_000;
  latencies.sort((a, b) => a - b);
  // Nearest-rank percentile.
  const pct = (p: number) =>
    latencies.length === 0 ? NaN : latencies[Math.max(0, Math.ceil((p / 100) * latencies.length) - 1)]!;
  return {
    count: latencies.length,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    p50: pct(50),
    p95: pct(95),
    p99: pct(99),
    outcomes: Object.fromEntries(outcomes),
    non200: latencies.length - (outcomes.get('200') ?? 0),
  };
}

/** PROTOCOL.md §1a evidence requests of the Wohngeldstelle for Erika, each with its own jti. */
async function signJsonRequests(signer: Signer, count: number): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    bodies.push(
      await signCompactJws(signer, 'evidence-request+jwt', {
        iss: WOHNGELD,
        aud: GATEWAY_ID,
        iat: now,
        exp: now + 300,
        jti: randomUUID(),
        evidenceType: 'meldebescheinigung',
        subject: { idnr: ERIKA },
        purpose: 'wohngeld-antrag',
        procedure: { reference: `WG-BENCH-${i}`, service: '99107005000000' },
        actor: 'sachbearbeitung-bench',
      }),
    );
  }
  return bodies;
}

// ---- 1. the JSON exchange through the gateway -------------------------------------------------------------

async function jsonThroughGateway(gateway: Gateway) {
  const signer = loadSigner(participants, WOHNGELD);
  const signStart = performance.now();
  const requests = await signJsonRequests(signer, JSON_WARMUP + JSON_REQUESTS);
  const signedPerSecond = requests.length / ((performance.now() - signStart) / 1_000);
  const url = `${gateway.url}/v1/evidence-requests`;
  const pid = gateway.child.pid!;
  const atReady = memoryMiB(pid);
  const warmup = await drive(url, requests.slice(0, JSON_WARMUP), 'application/jose', CONCURRENCY, 30);
  assertAlive(gateway, 'the JSON warm-up');
  const afterWarmup = memoryMiB(pid);
  const cpu0 = cpuSeconds(pid);
  const own0 = ownCpuSeconds();
  const result = await drive(url, requests.slice(JSON_WARMUP), 'application/jose', CONCURRENCY, JSON_SECONDS);
  const loadCpu = ownCpuSeconds() - own0;
  assertAlive(gateway, 'the JSON run');
  const cpu1 = cpuSeconds(pid);
  const gatewayCpu = cpu1.all - cpu0.all;
  const after = memoryMiB(pid);
  return {
    ...result,
    warmupNon200: warmup.non200,
    warmupOutcomes: warmup.outcomes,
    signedPerSecond,
    /** CPU cores the gateway process kept busy during the timed phase (2 = both cores). */
    gatewayCores: gatewayCpu / result.seconds,
    /** Share of the timed phase the gateway's main thread was on a CPU (1 = its event loop never waited). */
    gatewayMainThread: (cpu1.main - cpu0.main) / result.seconds,
    gatewayCpuMsPerExchange: (gatewayCpu / result.count) * 1_000,
    loadGeneratorCores: loadCpu / result.seconds,
    memoryMiB: {
      peakAtReady: atReady.hwm,
      peakAfterWarmup: afterWarmup.hwm,
      rssAtReady: atReady.rss,
      rssAfterWarmup: afterWarmup.rss,
      rssAfterRun: after.rss,
      peak: after.hwm,
    },
  };
}

// ---- 2. the bare loop ---------------------------------------------------------------------------------------

/** The same signatures and durable log writes as one JSON exchange, without HTTP, parsing, policy or consent. */
async function bareLoop(concurrency: number) {
  const dir = mkdtempSync(join(tmpdir(), 'oog-bench-bare-'));
  dirs.push(dir);
  const db = new SqliteDatabase(join(dir, 'bare.db'));
  const store = new SqliteTransferLogStore(db);
  const consumer = loadSigner(participants, WOHNGELD);
  const gateway = loadSigner(participants, GATEWAY_ID);
  const provider = loadSigner(participants, 'mld:09999001');
  const [request] = await signJsonRequests(consumer, 1);
  const consumerKey = consumer.certificate.publicKey;
  const providerKey = provider.certificate.publicKey;
  // Records and tokens of the gateway's sizes, so hashing and row sizes match too.
  const record = (outcome: TransferRecord['outcome'], i: number): TransferRecord => ({
    v: 1,
    time: new Date().toISOString(),
    exchangeId: `bare-${i}`,
    messageId: randomUUID(),
    outcome,
    authenticated: true,
    consumer: WOHNGELD,
    provider: 'mld:09999001',
    evidenceType: 'meldebescheinigung',
    purpose: 'wohngeld-antrag',
    legalBasis: '§ 23 Abs. 3 WoGG',
    procedure: { reference: `WG-BENCH-${i}`, service: '99107005000000' },
    actor: 'sachbearbeitung-bench',
    subjectRef: 'x'.repeat(43),
    idnrUsed: true,
    consentId: randomUUID(),
    policy: { id: 'wohngeld-meldebescheinigung', version: '1', hash: 'h'.repeat(43) },
    fields: ['name', 'anschrift', 'geburtsdatum'],
    format: 'json',
    retentionUntil: '2032-01-01',
    ...(outcome === 'released' ? { evidenceDigest: 'd'.repeat(43) } : {}),
  });
  const one = async (i: number) => {
    await compactVerify(request!, consumerKey, { algorithms: ['ES256'] });
    const intent = await store.append([record('intent', i)]);
    const now = Math.floor(Date.now() / 1000);
    const forwarded = await signCompactJws(gateway, 'forwarded-request+jwt', {
      iss: GATEWAY_ID,
      aud: 'mld:09999001',
      iat: now,
      exp: now + 60,
      jti: randomUUID(),
      exchangeId: `bare-${i}`,
      consumer: WOHNGELD,
      evidenceType: 'meldebescheinigung',
      subject: { idnr: ERIKA },
      purpose: 'wohngeld-antrag',
      legalBasis: '§ 23 Abs. 3 WoGG',
      procedure: { reference: `WG-BENCH-${i}` },
      actor: 'sachbearbeitung-bench',
      fields: ['name', 'anschrift', 'geburtsdatum'],
      policy: 'wohngeld-meldebescheinigung@1',
    });
    const evidence = await signCompactJws(provider, 'evidence+jwt', {
      iss: 'mld:09999001',
      iat: now,
      exchangeId: `bare-${i}`,
      requestDigest: forwarded.slice(-43),
      evidenceType: 'meldebescheinigung',
      subject: { idnr: ERIKA },
      data: {
        name: { familienname: 'Mustermann', vornamen: 'Erika' },
        anschrift: { strasse: 'Heidestraße 17', plz: '51147', ort: 'Köln' },
        geburtsdatum: '1964-08-12',
      },
    });
    await compactVerify(evidence, providerKey, { algorithms: ['ES256'] });
    const [leaf] = await store.append([record('released', i)]);
    await signCompactJws(gateway, 'transfer-receipt+jwt', {
      iss: GATEWAY_ID,
      exchangeId: `bare-${i}`,
      leafIndex: leaf!.index,
      leafHash: leaf!.leafHash,
      checkpoint: forwarded,
      inclusionProof: Array.from({ length: 15 }, () => intent[0]!.leafHash),
      iat: now,
    });
  };
  const run = async (width: number, count: number, seconds: number) => {
    let next = 0;
    let done = 0;
    const t0 = performance.now();
    const deadline = t0 + seconds * 1_000;
    const cpu0 = ownCpuSeconds();
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next < count && performance.now() < deadline) {
          await one(next++);
          done++;
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1_000;
    const cpu = ownCpuSeconds() - cpu0;
    return {
      count: done,
      perSecond: done / elapsed,
      cores: cpu / elapsed,
      cpuMsPerExchange: (cpu / done) * 1_000,
    };
  };
  try {
    await run(1, BARE.warmup, 30);
    const sequential = await run(1, BARE.sequential.count, BARE.sequential.seconds);
    const concurrent = await run(concurrency, BARE.concurrent.count, BARE.concurrent.seconds);
    return { sequential, concurrent, concurrency };
  } finally {
    db.close();
  }
}

// ---- 3. the XÖV path and bare xml-crypto ---------------------------------------------------------------------

async function xoevThroughGateway(gateway: Gateway) {
  // Erika consents for the Elterngeldstelle, as a citizen would through the API.
  const token = await mintDemoToken(await loadDemoIdpKey(), {
    issuer: 'http://127.0.0.1:8090',
    audience: GATEWAY_ID,
    citizen: ERIKA,
  });
  const given = await post(
    `${gateway.url}/v1/me/consents`,
    JSON.stringify({
      consumer: ELTERNGELD,
      evidenceTypes: ['meldebescheinigung'],
      purpose: 'elterngeld-antrag',
    }),
    'application/json',
    { authorization: `Bearer ${token}` },
  );
  if (given.status !== 201 && given.status !== 200) {
    throw new Error(`Erika's consent for ${ELTERNGELD} was not given: HTTP ${given.status} ${given.body}`);
  }
  const signer = loadSigner(participants, ELTERNGELD);
  const clock = { nowMs: () => Date.now() };
  const bodies: string[] = [];
  const signStart = performance.now();
  const signUntil = signStart + XOEV_SIGNING_SECONDS * 1_000;
  while (bodies.length < XOEV_WARMUP + XOEV_REQUESTS && performance.now() < signUntil) {
    bodies.push(
      signXoevRequest(
        { signer, clock },
        { to: { id: GATEWAY_ID, name: 'Once-Only Gateway' } },
        {
          evidenceType: 'meldebescheinigung',
          subjectIdnr: ERIKA,
          purpose: 'elterngeld-antrag',
          procedure: { reference: `EG-BENCH-${bodies.length}` },
          actor: 'sachbearbeitung-bench',
        },
      ),
    );
  }
  const signedPerSecond = bodies.length / ((performance.now() - signStart) / 1_000);
  const url = `${gateway.url}/v1/evidence-requests`;
  const warmup = await drive(url, bodies.slice(0, XOEV_WARMUP), 'application/xml', XOEV_CONCURRENCY, 30);
  assertAlive(gateway, 'the XÖV warm-up');
  const pid = gateway.child.pid!;
  const cpu0 = cpuSeconds(pid);
  const result = await drive(
    url,
    bodies.slice(XOEV_WARMUP),
    'application/xml',
    XOEV_CONCURRENCY,
    XOEV_SECONDS,
  );
  assertAlive(gateway, 'the XÖV run');
  const cpu1 = cpuSeconds(pid);
  const gatewayCpu = cpu1.all - cpu0.all;
  return {
    ...result,
    warmupNon200: warmup.non200,
    warmupOutcomes: warmup.outcomes,
    signed: bodies.length,
    signedPerSecond,
    gatewayCores: gatewayCpu / result.seconds,
    gatewayMainThread: (cpu1.main - cpu0.main) / result.seconds,
    gatewayCpuMsPerExchange: (gatewayCpu / result.count) * 1_000,
    concurrency: XOEV_CONCURRENCY,
  };
}

/** bench/xoev-bench.ts as a child (one core, nothing else running): its rates by line name, per second. */
function bareXmlCrypto(): Promise<{ text: string; rates: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fromRoot('bench/xoev-bench.ts'), String(XML_ITERATIONS)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      children.delete(child);
      if (code !== 0) {
        reject(new Error(`bench/xoev-bench.ts exited with ${code}:\n${err}`));
        return;
      }
      const rates: Record<string, number> = {};
      for (const line of out.split('\n')) {
        const match = /^(.+?)\s+(\d+) \/s\s+[\d.]+ ms$/.exec(line.trim());
        if (match) rates[match[1]!] = Number(match[2]);
      }
      resolve({ text: out, rates });
    });
  });
}

// ---- the run -------------------------------------------------------------------------------------------------

const n = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const row = (label: string, value: string) => console.log(`  ${label.padEnd(30)} ${value}`);
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

async function main(): Promise<number> {
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${WATCHDOG_MS / 1000} s; stopping`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();

  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`;
  console.log(`Once-Only Gateway benchmark — node ${process.version}, ${machine}, loopback only`);
  console.log(
    'Set-up: process A = `oog start --demo` (gateway + demo Meldebehörde + demo Standesamt + demo IdP, one\n' +
      '        Node process, SQLite WAL synchronous=FULL in a temp dir, LOG_LEVEL=warn), run from\n' +
      (GATEWAY_BUILD === 'source'
        ? '        the TypeScript sources through tsx (bin/oog.js; BENCH_GATEWAY=compiled runs compiled JS);\n'
        : '        JavaScript compiled for this run into .bench/dist (BENCH_GATEWAY=compiled);\n') +
      '        process B = this one: load generator (keep-alive, pre-signed requests), then the bare loop.\n' +
      '        Both share the machine; the bare loop runs after A has been stopped.\n',
  );

  const gateway = await startGateway();
  let json: Awaited<ReturnType<typeof jsonThroughGateway>>;
  let xoev: Awaited<ReturnType<typeof xoevThroughGateway>>;
  let peakMiB: number;
  try {
    json = await jsonThroughGateway(gateway);
    xoev = await xoevThroughGateway(gateway);
    peakMiB = memoryMiB(gateway.child.pid!).hwm;
  } finally {
    await stop(gateway.child);
  }
  const warnings = gateway.stderr.length;

  const bare = await bareLoop(CONCURRENCY);
  const xml = await bareXmlCrypto();
  const ratio = json.perSecond / bare.concurrent.perSecond;
  const xmlVerify = Object.entries(xml.rates).find(([name]) => name.startsWith('xml-crypto verify'))?.[1];
  const xmlSign = Object.entries(xml.rates).find(([name]) => name.startsWith('xml-crypto sign'))?.[1];
  const xoevRatio = xmlVerify === undefined ? NaN : xoev.perSecond / xmlVerify;

  console.log(`JSON exchange through the gateway (Wohngeldstelle → Meldebehörde, Erika, consent on file)`);
  row(
    'concurrency',
    `${CONCURRENCY} (warm-up ${JSON_WARMUP}, then ≤ ${JSON_REQUESTS} or ≤ ${JSON_SECONDS} s)`,
  );
  row('exchanges/s', `${n(json.perSecond)}   (${n(json.count)} in ${n(json.seconds, 1)} s)`);
  row('latency p50 / p95 / p99', `${n(json.p50, 1)} / ${n(json.p95, 1)} / ${n(json.p99, 1)} ms`);
  row('answers', JSON.stringify(json.outcomes));
  row(
    'gateway CPU',
    `${n(json.gatewayCores, 2)} cores busy (main thread ${n(json.gatewayMainThread * 100)} %), ` +
      `${n(json.gatewayCpuMsPerExchange, 2)} ms CPU per exchange`,
  );
  row('load generator CPU', `${n(json.loadGeneratorCores, 2)} cores busy`);
  row(
    'gateway RSS',
    `${n(json.memoryMiB.rssAtReady)} MiB ready → ${n(json.memoryMiB.rssAfterWarmup)} after warm-up → ` +
      `${n(json.memoryMiB.rssAfterRun)} after run`,
  );
  row(
    'gateway peak RSS (VmHWM)',
    `${n(json.memoryMiB.peakAtReady)} MiB at ready → ${n(json.memoryMiB.peakAfterWarmup)} after warm-up → ` +
      `${n(json.memoryMiB.peak)} after the JSON run → ${n(peakMiB)} at the end`,
  );
  console.log('Bare loop in process B (verify + sign + sign + verify + sign ES256, 2 durable log appends)');
  row(
    'one exchange at a time',
    `${n(bare.sequential.perSecond)} /s   (${n(bare.sequential.cpuMsPerExchange, 2)} ms CPU per exchange)`,
  );
  row(
    `concurrency ${CONCURRENCY}`,
    `${n(bare.concurrent.perSecond)} /s   (${n(bare.concurrent.cpuMsPerExchange, 2)} ms CPU per exchange, ` +
      `${n(bare.concurrent.cores, 2)} cores busy)`,
  );
  row('gateway / bare', `${n(ratio, 2)}   (against the bare loop at concurrency ${CONCURRENCY})`);
  console.log(
    '  not in the bare loop: HTTP in and out, the provider verifying the forwarded request and reading its\n' +
      '  register, schema/policy/consent checks, the durable replay write, checkpoint signing and saving.',
  );
  console.log(
    `XÖV request through the gateway (Elterngeldstelle, XÖV in → JSON Meldebehörde, Erika's consent)`,
  );
  row(
    'concurrency',
    `${XOEV_CONCURRENCY} (warm-up ${XOEV_WARMUP}, then ≤ ${n(xoev.signed - XOEV_WARMUP)} pre-signed or ≤ ${XOEV_SECONDS} s)`,
  );
  row('exchanges/s', `${n(xoev.perSecond)}   (${n(xoev.count)} in ${n(xoev.seconds, 1)} s)`);
  row('latency p50 / p95 / p99', `${n(xoev.p50, 1)} / ${n(xoev.p95, 1)} / ${n(xoev.p99, 1)} ms`);
  row('answers', JSON.stringify(xoev.outcomes));
  row(
    'gateway CPU',
    `${n(xoev.gatewayCores, 2)} cores busy (main thread ${n(xoev.gatewayMainThread * 100)} %), ` +
      `${n(xoev.gatewayCpuMsPerExchange, 2)} ms CPU per exchange`,
  );
  row(
    'XÖV / bare xml-crypto verify',
    `${n(xoevRatio, 2)}   (xml-crypto verify ${xmlVerify ?? '?'} /s, sign ${xmlSign ?? '?'} /s, one core)`,
  );
  console.log(`bench/xoev-bench.ts ${XML_ITERATIONS} (process C, alone on the machine):`);
  console.log(xml.text.trimEnd().replace(/^/gm, '  '));
  if (warnings > 0) {
    console.log(`Gateway stderr (LOG_LEVEL=warn), last of ${warnings} lines:`);
    console.log(gateway.stderr.slice(-5).join('\n').replace(/^/gm, '  '));
  }

  const summary = {
    node: process.version,
    cpus: cpus().length,
    setup: 'gateway+demo providers+IdP in one process; load generator and bare loop in another',
    gatewayBuild: GATEWAY_BUILD,
    concurrency: CONCURRENCY,
    json: {
      perSecond: round(json.perSecond),
      count: json.count,
      seconds: round(json.seconds, 2),
      p50: round(json.p50),
      p95: round(json.p95),
      p99: round(json.p99),
      outcomes: json.outcomes,
      gatewayCores: round(json.gatewayCores, 2),
      gatewayMainThread: round(json.gatewayMainThread, 2),
      gatewayCpuMsPerExchange: round(json.gatewayCpuMsPerExchange, 2),
      loadGeneratorCores: round(json.loadGeneratorCores, 2),
      rssMiB: {
        ready: Math.round(json.memoryMiB.rssAtReady),
        afterWarmup: Math.round(json.memoryMiB.rssAfterWarmup),
        afterRun: Math.round(json.memoryMiB.rssAfterRun),
      },
      peakRssMiB: Math.round(json.memoryMiB.peak),
      peakRssMiBAtReady: Math.round(json.memoryMiB.peakAtReady),
      peakRssMiBAfterWarmup: Math.round(json.memoryMiB.peakAfterWarmup),
    },
    bare: {
      sequential: round(bare.sequential.perSecond),
      concurrent: round(bare.concurrent.perSecond),
      concurrentCpuMsPerExchange: round(bare.concurrent.cpuMsPerExchange, 2),
    },
    ratio: round(ratio, 3),
    ratioAgainst: `bare loop at concurrency ${CONCURRENCY}`,
    xoev: {
      perSecond: round(xoev.perSecond),
      count: xoev.count,
      concurrency: XOEV_CONCURRENCY,
      p50: round(xoev.p50),
      p95: round(xoev.p95),
      p99: round(xoev.p99),
      outcomes: xoev.outcomes,
      gatewayCores: round(xoev.gatewayCores, 2),
      gatewayMainThread: round(xoev.gatewayMainThread, 2),
      gatewayCpuMsPerExchange: round(xoev.gatewayCpuMsPerExchange, 2),
      ratioToXmlCryptoVerify: round(xoevRatio, 3),
    },
    xmlCrypto: xml.rates,
    peakRssMiBEnd: Math.round(peakMiB),
  };
  console.log(JSON.stringify(summary));

  const failed =
    json.non200 + json.warmupNon200 + xoev.non200 + xoev.warmupNon200 + (json.count === 0 ? 1 : 0);
  if (failed > 0) {
    console.error(
      `bench: ${failed} exchanges were not answered 200 (see "answers"); the figures are not valid`,
    );
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    killAll();
    process.exit(code);
  },
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    killAll();
    process.exit(1);
  },
);
