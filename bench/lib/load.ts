/** The load generator: keep-alive HTTP from this process, a fixed number of requests in flight. */
import http from 'node:http';
import { cpuSeconds } from './proc-stats.js';
import { CONCURRENCY, XOEV_CONCURRENCY } from './settings.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(CONCURRENCY, XOEV_CONCURRENCY) });

export function post(url: string, body: string, contentType: string, headers: Record<string, string> = {}) {
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

export interface DriveResult {
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
export async function drive(
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

export interface GatewayCpu {
  /** CPU cores the gateway process kept busy during the timed phase (2 = both cores). */
  readonly gatewayCores: number;
  /** Share of the timed phase the gateway's main thread was on a CPU (1 = its event loop never waited). */
  readonly gatewayMainThread: number;
  readonly gatewayCpuMsPerExchange: number;
}

/** Starts reading the gateway's CPU (from /proc, from outside); the function returned ends the reading. */
export function gatewayCpuFrom(pid: number): (timed: DriveResult) => GatewayCpu {
  const cpu0 = cpuSeconds(pid);
  return (timed) => {
    const cpu1 = cpuSeconds(pid);
    const gatewayCpu = cpu1.all - cpu0.all;
    return {
      gatewayCores: gatewayCpu / timed.seconds,
      gatewayMainThread: (cpu1.main - cpu0.main) / timed.seconds,
      gatewayCpuMsPerExchange: (gatewayCpu / timed.count) * 1_000,
    };
  };
}
