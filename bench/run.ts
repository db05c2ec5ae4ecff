/**
 * `npm run bench` (issue 2 "Benchmark", issue 3 "Benchmark"). On this machine, in one run, one scenario a file
 * in bench/scenarios/:
 *  1. json-exchange: the JSON exchange end to end: the gateway as its own process (`oog start --demo`, which
 *     also hosts the demo Meldebehörde, Standesamt and identity provider in that process), driven by a keep-alive
 *     load generator in this process with pre-signed requests — exchanges/s, p50/p95/p99 latency, the gateway's
 *     CPU use and peak RSS (VmHWM), read from /proc from outside;
 *     then the same with DATABASE_URL on a fresh PostgreSQL database (BENCH_POSTGRES: its admin URL, or off);
 *  2. xoev-exchange: the XÖV path through the same gateway process (Elterngeldstelle, XÖV in, JSON Meldebehörde
 *     behind), after Erika's consent through the citizen API with a token from `oog demo token`;
 *  3. bare-loop: a bare loop in this process doing the same signatures (verify request, sign forwarded, sign
 *     evidence, verify evidence, sign receipt) and the same two durable log appends per exchange through the real
 *     SqliteTransferLogStore — one exchange at a time and at the load run's concurrency — and the ratio;
 *  4. xml-crypto: the bare xml-crypto sign/verify rates of bench/xoev-bench.ts (run as a child on an idle
 *     machine) beside which the XÖV path is put.
 * The gateway is started and asked only as an operator does (bench/lib/gateway-process.ts): nothing here imports
 * its composition root. Loopback only; every phase is bounded in count and time, the whole run by a watchdog.
 * Prints a table and one JSON line. Exits 1 if the set-up fails or any exchange is not answered 200 (the figures
 * are printed first).
 *
 * Knobs (environment, bench/lib/settings.ts): BENCH_CONCURRENCY (64), BENCH_REQUESTS (20000), BENCH_SECONDS (20),
 * BENCH_XOEV_CONCURRENCY (16), BENCH_XOEV_REQUESTS (1500), BENCH_XOEV_SECONDS (15), BENCH_GATEWAY (source or
 * compiled).
 */
import { cpus } from 'node:os';
import { startGateway } from './lib/gateway-process.js';
import { installCleanup, killAll, stop } from './lib/processes.js';
import { round } from './lib/format.js';
import { memoryMiB } from './lib/proc-stats.js';
import { CONCURRENCY, GATEWAY_BUILD, POSTGRES_ADMIN_URL, WATCHDOG_MS } from './lib/settings.js';
import { withFreshDatabase } from './lib/postgres.js';
import { printBareLoop, runBareLoop, summarizeBareLoop } from './scenarios/bare-loop.js';
import {
  printJsonExchange,
  runJsonExchange,
  summarizeJsonExchange,
  type JsonExchange,
} from './scenarios/json-exchange.js';
import { printXmlCrypto, runXmlCrypto } from './scenarios/xml-crypto.js';
import {
  printXoevExchange,
  runXoevExchange,
  summarizeXoevExchange,
  type XoevExchange,
} from './scenarios/xoev-exchange.js';

installCleanup();

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
  let json: JsonExchange;
  let xoev: XoevExchange;
  let peakMiB: number;
  try {
    json = await runJsonExchange(gateway);
    xoev = await runXoevExchange(gateway);
    peakMiB = memoryMiB(gateway.child.pid!).hwm;
  } finally {
    await stop(gateway.child);
  }
  const warnings = gateway.stderr.length;

  // The same JSON exchange with every store in PostgreSQL (one instance, fresh database).
  let onPostgres: { json: JsonExchange; peakMiB: number } | undefined;
  if (POSTGRES_ADMIN_URL !== undefined) {
    onPostgres = await withFreshDatabase(POSTGRES_ADMIN_URL, async (url) => {
      const pgGateway = await startGateway({ DATABASE_URL: url });
      try {
        const result = await runJsonExchange(pgGateway);
        return { json: result, peakMiB: memoryMiB(pgGateway.child.pid!).hwm };
      } finally {
        await stop(pgGateway.child);
      }
    });
  }

  const bare = await runBareLoop(CONCURRENCY);
  const xml = await runXmlCrypto();
  const ratio = json.perSecond / bare.concurrent.perSecond;
  const againstXml = {
    ratio: xml.verify === undefined ? NaN : xoev.perSecond / xml.verify,
    verify: xml.verify,
    sign: xml.sign,
  };

  printJsonExchange(json, peakMiB);
  if (onPostgres) {
    console.log('… the same with DATABASE_URL (every store in PostgreSQL 15 on this machine, one instance):');
    printJsonExchange(onPostgres.json, onPostgres.peakMiB);
  }
  printBareLoop(bare, ratio);
  printXoevExchange(xoev, againstXml);
  printXmlCrypto(xml);
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
    json: summarizeJsonExchange(json),
    ...(onPostgres ? { jsonOnPostgres: summarizeJsonExchange(onPostgres.json) } : {}),
    bare: summarizeBareLoop(bare),
    ratio: round(ratio, 3),
    ratioAgainst: `bare loop at concurrency ${CONCURRENCY}`,
    xoev: summarizeXoevExchange(xoev, againstXml),
    xmlCrypto: xml.rates,
    peakRssMiBEnd: Math.round(peakMiB),
  };
  console.log(JSON.stringify(summary));

  const failed =
    json.non200 +
    json.warmupNon200 +
    (onPostgres ? onPostgres.json.non200 + onPostgres.json.warmupNon200 : 0) +
    xoev.non200 +
    xoev.warmupNon200 +
    (json.count === 0 ? 1 : 0);
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
