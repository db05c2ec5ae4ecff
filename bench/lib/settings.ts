/** What `npm run bench` is told through the environment (checked once, when the run starts), and its bounds. */
const knob = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
export const CONCURRENCY = knob('BENCH_CONCURRENCY', 64);
export const JSON_REQUESTS = knob('BENCH_REQUESTS', 20_000);
export const JSON_SECONDS = knob('BENCH_SECONDS', 20);
export const JSON_WARMUP = 500;
/**
 * The PostgreSQL mode: the JSON exchange again with DATABASE_URL on a fresh database of this server (the
 * machine's, user postgres); BENCH_POSTGRES=off skips it.
 */
export const POSTGRES_ADMIN_URL =
  process.env['BENCH_POSTGRES'] === 'off'
    ? undefined
    : (process.env['BENCH_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');
export const XOEV_CONCURRENCY = knob('BENCH_XOEV_CONCURRENCY', 16);
export const XOEV_REQUESTS = knob('BENCH_XOEV_REQUESTS', 1_500);
export const XOEV_SECONDS = knob('BENCH_XOEV_SECONDS', 15);
export const XOEV_WARMUP = 50;
/** xml-crypto signing runs at a few hundred per second: stop pre-signing after this long. */
export const XOEV_SIGNING_SECONDS = 6;
export const BARE = {
  warmup: 200,
  sequential: { count: 3_000, seconds: 5 },
  concurrent: { count: 30_000, seconds: 10 },
};
export const XML_ITERATIONS = 300;

const gatewayBuild = process.env['BENCH_GATEWAY'] ?? 'source';
if (gatewayBuild !== 'source' && gatewayBuild !== 'compiled') {
  throw new Error('BENCH_GATEWAY must be source or compiled');
}
/**
 * BENCH_GATEWAY=source (default): `node bin/oog.js`, which in a clone runs the TypeScript through tsx's loader
 * (as `npm start` does). BENCH_GATEWAY=compiled: compile first (tsconfig.build.json into .bench/dist) and run
 * the JavaScript as the production image does, without the loader's memory.
 */
export const GATEWAY_BUILD: 'source' | 'compiled' = gatewayBuild;

/** The whole run, start-up to clean-up, stays below three minutes. */
export const WATCHDOG_MS = 170_000;
export const DEMO_PORTS = [8081, 8082, 8090];
