/**
 * Append throughput of the transfer log stores, SQLite beside PostgreSQL, in one run (issue 13 item 2): the same
 * records appended through the store port, one `append([record])` per call as the transfer log makes them, in
 * waves of concurrent calls (each wave awaited), and all at once. Prints wall time, appends/s and the CPU ms per
 * append of this process and of the PostgreSQL server processes (read from /proc; other users of the server
 * count too), and the load average.
 *
 *   npx tsx bench/transfer-log-stores.ts [appends=10000] [wave=64]
 *
 * PostgreSQL: OOG_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres); a fresh database
 * is created and dropped. SQLite: a file in a temporary directory (WAL, synchronous = FULL, as the gateway).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import pg from 'pg';
import { PostgresDatabase } from '../gateway/adapters/postgres/postgres-database.js';
import {
  POSTGRES_TRANSFER_LOG_MIGRATIONS,
  PostgresTransferLogStore,
} from '../gateway/adapters/postgres/postgres-transfer-log-store.js';
import { SqliteDatabase } from '../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from '../gateway/adapters/sqlite/sqlite-transfer-log-store.js';
import type { TransferLogStore, TransferRecord } from '../gateway/core/ports.js';
import { createTransferLog } from '../gateway/core/transfer-log/index.js';

const APPENDS = Number(process.argv[2] ?? 10_000);
const WAVE = Number(process.argv[3] ?? 64);
const ADMIN_URL = process.env['OOG_BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TICKS = 100; // USER_HZ on Linux

let counter = 0;
function record(): TransferRecord {
  counter++;
  return {
    v: 1,
    time: new Date(Date.UTC(2026, 0, 1) + counter).toISOString(),
    exchangeId: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    outcome: counter % 2 ? 'intent' : 'released',
    authenticated: true,
    consumer: 'ags:09999001',
    provider: 'psw:09999001',
    evidenceType: 'meldebescheinigung',
    purpose: 'wohngeld',
    subjectRef: randomBytes(16).toString('base64url'),
    retentionUntil: '2030-01-01',
  };
}

/** CPU ms of the PostgreSQL server's processes (comm "postgres"), from /proc. */
function postgresCpuMs(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      const fields = stat.slice(close + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // gone meanwhile
    }
  }
  return (ticks * 1000) / TICKS;
}

interface Result {
  readonly store: string;
  readonly mode: string;
  readonly wallMs: number;
  readonly perSecond: number;
  readonly clientCpuMsPerAppend: number;
  readonly serverCpuMsPerAppend: number | null;
}

async function measure(
  name: string,
  mode: string,
  store: TransferLogStore,
  server: boolean,
): Promise<Result> {
  const records = Array.from({ length: APPENDS }, record);
  const cpu = process.cpuUsage();
  const serverBefore = server ? postgresCpuMs() : 0;
  const start = performance.now();
  if (mode === 'all at once') {
    await Promise.all(records.map((r) => store.append([r])));
  } else {
    for (let i = 0; i < records.length; i += WAVE) {
      await Promise.all(records.slice(i, i + WAVE).map((r) => store.append([r])));
    }
  }
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return {
    store: name,
    mode,
    wallMs: Math.round(wallMs),
    perSecond: Math.round((APPENDS / wallMs) * 1000),
    clientCpuMsPerAppend: Number(((used.user + used.system) / 1000 / APPENDS).toFixed(4)),
    serverCpuMsPerAppend: server ? Number(((postgresCpuMs() - serverBefore) / APPENDS).toFixed(4)) : null,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'oog-bench-log-'));
const name = `oog_bench_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
const results: Result[] = [];
const verifications: { store: string; leaves: number; ok: boolean; wallMs: number }[] = [];
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** Signs a checkpoint, then verifies the whole stored log against it (what the start does). */
async function verify(name: string, store: TransferLogStore): Promise<void> {
  const log = createTransferLog({
    store,
    signer: {
      alg: 'ES256',
      kid: 'k'.repeat(43),
      publicKey,
      sign: async (data) => sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
    },
    clock: { nowMs: () => Date.now() },
    gatewayId: 'oog:bench',
  });
  await log.checkpoint();
  const start = performance.now();
  const result = await log.verifyStored();
  verifications.push({
    store: name,
    leaves: result.size,
    ok: result.ok,
    wallMs: Math.round(performance.now() - start),
  });
}
const sqliteDb = new SqliteDatabase(join(dir, 'gateway.db'));
const postgresDb = await PostgresDatabase.open(url.toString());
try {
  const sqlite = new SqliteTransferLogStore(sqliteDb);
  await postgresDb.migrate(POSTGRES_TRANSFER_LOG_MIGRATIONS);
  const postgres = new PostgresTransferLogStore(postgresDb);
  for (const mode of [`waves of ${WAVE}`, 'all at once']) {
    results.push(await measure('sqlite', mode, sqlite, false));
    results.push(await measure('postgres', mode, postgres, true));
  }
  await verify('sqlite', sqlite);
  await verify('postgres', postgres);
} finally {
  sqliteDb.close();
  await postgresDb.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
console.table(results);
console.table(verifications);
console.log(JSON.stringify({ appends: APPENDS, wave: WAVE, loadavg: loadavg(), results, verifications }));
