/**
 * `npm run bench` (issue 2 "Benchmark", issue 3 "Benchmark"). On this machine, in one run:
 *  1. the JSON exchange end to end: the gateway as its own process (`oog start --demo`, which also hosts the demo
 *     Meldebehörde and identity provider), driven by a keep-alive load generator in this process with pre-signed
 *     requests — exchanges/s, p50/p95/p99 latency, the gateway's peak RSS (VmHWM);
 *  2. a bare loop doing the same signatures (verify request, sign forwarded, sign evidence, verify evidence, sign
 *     receipt) and the same two durable log appends per exchange, at the same concurrency — and the ratio;
 *  3. the XÖV path through the gateway (Elterngeldstelle → JSON Meldebehörde, XÖV in) beside bare xml-crypto
 *     sign/verify rates (bench/xoev-bench.ts, run as a child).
 * Loopback only; every phase is bounded in count and time. Figures are printed as a table and one JSON line.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify } from 'jose';
import { loadSigner } from '../gateway/adapters/files/index.js';
import { SqliteDatabase } from '../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from '../gateway/adapters/sqlite/sqlite-transfer-log-store.js';
import { mintDemoToken } from '../gateway/adapters/idp/demo-identity-provider.js';
import { signCompactJws, signXoevRequest } from '../gateway/core/envelope/index.js';
import type { TransferRecord } from '../gateway/core/ports.js';
import { loadDemoIdpKey } from '../gateway/main.js';
import { fromRoot } from '../gateway/paths.js';

const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
const JSON_REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 12_000);
const WARMUP = 500;
const XOEV_REQUESTS = Number(process.env['BENCH_XOEV_REQUESTS'] ?? 400);
const BARE_EXCHANGES = 6_000;
const participants = fromRoot('certs-example/participants.json');
const GATEWAY_ID = 'oog:demo-gateway';

const children: ChildProcess[] = [];
const dirs: string[] = [];
function cleanup() {
  for (const child of children) child.kill('SIGTERM');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

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

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(url: string, body: string, contentType: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': contentType, accept: 'application/json', ...headers },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
    });
    request.end(body);
  });
}

/** Sends the bodies with a fixed number in flight; returns latencies (ms) and answers by status/code. */
async function drive(url: string, bodies: string[], contentType: string, concurrency: number) {
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const t0 = performance.now();
        const answer = await post(url, body, contentType);
        latencies.push(performance.now() - t0);
        let key = String(answer.status);
        if (answer.status !== 200) {
          try {
            key += ` ${(JSON.parse(answer.body) as { code?: string }).code}`;
          } catch {
            key += ' (not JSON)';
          }
        }
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return {
    count: bodies.length,
    perSecond: bodies.length / seconds,
    p50: pct(50),
    p95: pct(95),
    p99: pct(99),
    outcomes: Object.fromEntries(outcomes),
  };
}

async function startGateway() {
  for (const port of [8081, 8082, 8090]) {
    if (!(await portIsFree(port))) {
      throw new Error(
        `port ${port} is in use: stop the running demo gateway (npm start) before npm run bench`,
      );
    }
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'oog-bench-'));
  dirs.push(dataDir);
  const port = await freePort();
  const child = spawn(process.execPath, [fromRoot('bin/oog.js'), 'start', '--demo'], {
    env: { ...process.env, PORT: String(port), OOG_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('the gateway exited during start-up');
    try {
      const ready = await fetch(`${url}/readyz`);
      if (ready.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the gateway did not become ready within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, child };
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function signJsonRequests(count: number): Promise<string[]> {
  const signer = loadSigner(participants, 'ags:09999001');
  const now = Math.floor(Date.now() / 1000);
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    bodies.push(
      await signCompactJws(signer, 'evidence-request+jwt', {
        iss: 'ags:09999001',
        aud: GATEWAY_ID,
        iat: now,
        exp: now + 300,
        jti: randomUUID(),
        evidenceType: 'meldebescheinigung',
        subject: { idnr: '93141705862' },
        purpose: 'wohngeld-antrag',
        procedure: { reference: `WG-BENCH-${i}` },
        actor: 'bench',
      }),
    );
  }
  return bodies;
}

/** The same crypto and durable log writes as one exchange, without HTTP, parsing or policy. */
async function bareLoop(concurrency: number) {
  const dir = mkdtempSync(join(tmpdir(), 'oog-bench-bare-'));
  dirs.push(dir);
  const db = new SqliteDatabase(join(dir, 'bare.db'));
  const store = new SqliteTransferLogStore(db);
  const consumer = loadSigner(participants, 'ags:09999001');
  const gateway = loadSigner(participants, GATEWAY_ID);
  const provider = loadSigner(participants, 'mld:09999001');
  const request = (await signJsonRequests(1))[0]!;
  const consumerKey = consumer.certificate.publicKey;
  const providerKey = provider.certificate.publicKey;
  const record = (outcome: TransferRecord['outcome'], i: number): TransferRecord => ({
    v: 1,
    time: new Date().toISOString(),
    exchangeId: `bare-${i}`,
    outcome,
    authenticated: true,
    consumer: 'ags:09999001',
    provider: 'mld:09999001',
    evidenceType: 'meldebescheinigung',
    purpose: 'wohngeld-antrag',
  });
  const one = async (i: number) => {
    await compactVerify(request, consumerKey, { algorithms: ['ES256'] });
    await store.append([record('intent', i)]);
    const forwarded = await signCompactJws(gateway, 'forwarded-request+jwt', { i, exchangeId: `bare-${i}` });
    const evidence = await signCompactJws(provider, 'evidence+jwt', { i, forwarded: forwarded.length });
    await compactVerify(evidence, providerKey, { algorithms: ['ES256'] });
    await store.append([record('released', i)]);
    await signCompactJws(gateway, 'transfer-receipt+jwt', { i });
  };
  const run = async (width: number, count: number) => {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next < count) await one(next++);
      }),
    );
    return count / ((performance.now() - t0) / 1000);
  };
  const sequential = await run(1, Math.min(1_000, BARE_EXCHANGES));
  const concurrent = await run(concurrency, BARE_EXCHANGES);
  db.close();
  return { sequential, concurrent };
}

async function xoevThroughGateway(url: string) {
  // Erika consents for the Elterngeldstelle, as a citizen would through the API.
  const key = await loadDemoIdpKey();
  const token = await mintDemoToken(key, {
    issuer: 'http://127.0.0.1:8090',
    audience: GATEWAY_ID,
    citizen: '93141705862',
  });
  const given = await post(
    `${url}/v1/me/consents`,
    JSON.stringify({
      consumer: 'ags:09999002',
      evidenceTypes: ['meldebescheinigung'],
      purpose: 'elterngeld-antrag',
    }),
    'application/json',
    { authorization: `Bearer ${token}` },
  );
  if (given.status !== 201 && given.status !== 200)
    throw new Error(`consent was not given: HTTP ${given.status}`);
  const signer = loadSigner(participants, 'ags:09999002');
  const clock = { nowMs: () => Date.now() };
  const bodies: string[] = [];
  for (let i = 0; i < XOEV_REQUESTS; i++) {
    bodies.push(
      signXoevRequest(
        { signer, clock },
        { to: { id: GATEWAY_ID, name: 'Once-Only Gateway' } },
        {
          evidenceType: 'meldebescheinigung',
          subjectIdnr: '93141705862',
          purpose: 'elterngeld-antrag',
          procedure: { reference: `EG-BENCH-${i}` },
          actor: 'bench',
        },
      ),
    );
  }
  return drive(`${url}/v1/evidence-requests`, bodies, 'application/xml', 8);
}

function bareXmlCrypto(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fromRoot('bench/xoev-bench.ts'), '300'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`xoev-bench exited ${code}`))));
  });
}

const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(8);

async function main() {
  console.log(
    `Once-Only Gateway benchmark — node ${process.version}, concurrency ${CONCURRENCY}, loopback only`,
  );
  console.log(
    'setup: gateway process (with in-process demo Meldebehörde and IdP) + load generator process\n',
  );

  const { url, child } = await startGateway();
  const requests = await signJsonRequests(WARMUP + JSON_REQUESTS);
  await drive(`${url}/v1/evidence-requests`, requests.slice(0, WARMUP), 'application/jose', CONCURRENCY);
  const json = await drive(
    `${url}/v1/evidence-requests`,
    requests.slice(WARMUP),
    'application/jose',
    CONCURRENCY,
  );
  const xoev = await xoevThroughGateway(url);
  const peak = peakRssMb(child.pid!);
  child.kill('SIGTERM');

  const bare = await bareLoop(CONCURRENCY);
  const xml = await bareXmlCrypto();
  const ratio = json.perSecond / bare.concurrent;

  console.log('JSON exchange through the gateway');
  console.log(`  exchanges/s          ${fmt(json.perSecond)}   (${json.count} requests)`);
  console.log(`  latency p50/p95/p99  ${fmt(json.p50, 1)} ${fmt(json.p95, 1)} ${fmt(json.p99, 1)} ms`);
  console.log(`  answers              ${JSON.stringify(json.outcomes)}`);
  console.log(`  gateway peak RSS     ${fmt(peak)} MiB`);
  console.log('Bare loop (5 ES256 sign/verify + 2 durable log appends per exchange)');
  console.log(`  sequential           ${fmt(bare.sequential)} /s`);
  console.log(`  concurrency ${String(CONCURRENCY).padEnd(8)} ${fmt(bare.concurrent)} /s`);
  console.log(`  gateway / bare       ${fmt(ratio, 2)}   (against the concurrent bare loop)`);
  console.log('XÖV request (Elterngeldstelle → Meldebehörde) through the gateway, concurrency 8');
  console.log(
    `  exchanges/s          ${fmt(xoev.perSecond)}   p50 ${xoev.p50.toFixed(1)} ms, p99 ${xoev.p99.toFixed(1)} ms`,
  );
  console.log(`  answers              ${JSON.stringify(xoev.outcomes)}`);
  console.log('Bare xml-crypto in the same run (bench/xoev-bench.ts, one core):');
  console.log(xml.trimEnd().replace(/^/gm, '  '));
  console.log(
    JSON.stringify({
      json: { ...json, peakRssMiB: Math.round(peak) },
      bare,
      ratio: Number(ratio.toFixed(3)),
      xoev,
      concurrency: CONCURRENCY,
      node: process.version,
    }),
  );
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    cleanup();
    process.exit(1);
  },
);
