/**
 * 1. The JSON exchange end to end (Wohngeldstelle → Meldebehörde, Erika, consent on file): pre-signed requests
 * through the gateway process, its CPU and memory read from outside.
 */
import { loadSigner } from '../../gateway/adapters/files/index.js';
import { round, n, row } from '../lib/format.js';
import { assertAlive, type Gateway } from '../lib/gateway-process.js';
import { drive, gatewayCpuFrom } from '../lib/load.js';
import { memoryMiB, ownCpuSeconds } from '../lib/proc-stats.js';
import { signJsonRequests } from '../lib/requests.js';
import { participants, WOHNGELD } from '../lib/demo.js';
import { CONCURRENCY, JSON_REQUESTS, JSON_SECONDS, JSON_WARMUP } from '../lib/settings.js';

export async function runJsonExchange(gateway: Gateway) {
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
  const gatewayCpu = gatewayCpuFrom(pid);
  const own0 = ownCpuSeconds();
  const result = await drive(url, requests.slice(JSON_WARMUP), 'application/jose', CONCURRENCY, JSON_SECONDS);
  const loadCpu = ownCpuSeconds() - own0;
  assertAlive(gateway, 'the JSON run');
  const cpu = gatewayCpu(result);
  const after = memoryMiB(pid);
  return {
    ...result,
    warmupNon200: warmup.non200,
    warmupOutcomes: warmup.outcomes,
    signedPerSecond,
    ...cpu,
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

export type JsonExchange = Awaited<ReturnType<typeof runJsonExchange>>;

/** The table's JSON section; `peakMiB` is the gateway's VmHWM at the end of all its phases. */
export function printJsonExchange(json: JsonExchange, peakMiB: number): void {
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
}

/** The JSON line's `json` member. */
export function summarizeJsonExchange(json: JsonExchange) {
  return {
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
  };
}
