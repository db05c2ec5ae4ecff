/**
 * Fills a gateway store with synthetic but realistic transfers, to measure the transfer log at scale (issue 4,
 * item 7; README "Log at scale"):
 *
 *   npx tsx scripts/fill-log.ts --data-dir <dir> --count 1000000 [--years 2] [--end <ISO date>] [--batch 10000]
 *
 * Several consumers, providers, evidence types and purposes; exchanges of one (refused before forwarding) or two
 * records (intent, then released, refused by the provider or withheld by the citizen), in time order spread
 * over `--years` ending at `--end` (default now), subject references of 250,000 citizens, each record retained
 * P2Y from its time as the example policies say. Records go through SqliteTransferLogStore.append in batches, so
 * every leaf hash and Merkle node is real, and a checkpoint is signed at the end with the gateway's key (the
 * configured one, OOG_GATEWAY_KEY) and recorded in the log's anchor (OOG_LOG_ANCHOR_FILE). Deterministic for a given --seed. Refuses a store that already has leaves.
 * Prints the fill rate, the cost of a single append at the start and at the end, and the file size.
 */
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../gateway/config.js';
import type { TransferRecord } from '../gateway/core/ports.js';
import { addIsoDuration } from '../gateway/core/policy/index.js';
import { createTransferLog } from '../gateway/core/transfer-log/index.js';
import { createFileCheckpointAnchor, loadSigner } from '../gateway/adapters/files/index.js';
import { SqliteDatabase } from '../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from '../gateway/adapters/sqlite/sqlite-transfer-log-store.js';
import { systemClock } from '../gateway/adapters/system-clock.js';

interface Flow {
  readonly consumer: string;
  readonly provider: string;
  readonly evidenceType: string;
  readonly purpose: string;
  readonly legalBasis: string;
  readonly fields: readonly string[];
  readonly format: 'json' | 'xoev';
  readonly prefix: string;
  readonly weight: number;
}

const MELDE_FIELDS = ['familienname', 'vornamen', 'geburtsdatum', 'anschrift', 'einzugsdatum'];
const FLOWS: readonly Flow[] = [
  flow(
    'ags:09999001',
    'mld:09999001',
    'meldebescheinigung',
    'wohngeld-antrag',
    '§ 23 WoGG',
    'json',
    'WG',
    30,
  ),
  flow(
    'ags:09999002',
    'mld:09999001',
    'meldebescheinigung',
    'elterngeld-antrag',
    '§ 1 BEEG',
    'xoev',
    'EG',
    15,
  ),
  flow('ags:09999002', 'psw:09999001', 'geburtsurkunde', 'elterngeld-antrag', '§ 1 BEEG', 'xoev', 'EG', 15),
  flow(
    'ags:09999003',
    'mld:09999001',
    'meldebescheinigung',
    'gewerbeanmeldung',
    '§ 14 GewO',
    'json',
    'GA',
    12,
  ),
  flow(
    'ags:09999004',
    'mld:09999001',
    'meldebescheinigung',
    'kindergeld-antrag',
    '§ 67 EStG',
    'json',
    'KG',
    10,
  ),
  flow('ags:09999004', 'psw:09999001', 'geburtsurkunde', 'kindergeld-antrag', '§ 67 EStG', 'xoev', 'KG', 8),
  flow('ags:09999005', 'psw:09999001', 'eheurkunde', 'namensaenderung', '§ 1355 BGB', 'xoev', 'NA', 5),
  flow(
    'ags:09999006',
    'kba:09999001',
    'fahrerlaubnis',
    'fuehrerschein-umtausch',
    '§ 25 FeV',
    'json',
    'FE',
    5,
  ),
];

function flow(
  consumer: string,
  provider: string,
  evidenceType: string,
  purpose: string,
  legalBasis: string,
  format: 'json' | 'xoev',
  prefix: string,
  weight: number,
): Flow {
  const fields =
    evidenceType === 'meldebescheinigung' ? MELDE_FIELDS : ['familienname', 'vornamen', 'geburtsdatum'];
  return { consumer, provider, evidenceType, purpose, legalBasis, fields, format, prefix, weight };
}

/** Refusals before forwarding, by code, with their relative frequency. */
const EARLY_REFUSALS = [
  ['ERR_CONSENT_MISSING', 5],
  ['ERR_POLICY_FIELDS', 2],
  ['ERR_POLICY_DENIED', 1],
  ['ERR_REPLAY', 1],
  ['ERR_STALE', 1],
] as const;

/** mulberry32: a small seeded PRNG, so a fill can be repeated exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((sum, [, w]) => sum + w, 0);
  let r = random() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return items[items.length - 1]![0];
}

function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(random() * 4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    count: { type: 'string', default: '1000000' },
    years: { type: 'string', default: '2' },
    end: { type: 'string' },
    batch: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '4' },
  },
});
if (!values['data-dir']) throw new Error('--data-dir is required');
const count = Number(values.count);
const years = Number(values.years);
const batchSize = Number(values.batch);
const endMs = values.end === undefined ? Date.now() : Date.parse(values.end);
if (!Number.isSafeInteger(count) || count < 1) throw new Error('--count must be a positive integer');
if (!(years > 0) || !Number.isSafeInteger(batchSize) || batchSize < 1 || Number.isNaN(endMs))
  throw new Error('--years, --batch or --end is not usable');

const config = loadConfig(undefined, { dataDir: values['data-dir'] });
mkdirSync(config.dataDir, { recursive: true });
const file = join(config.dataDir, 'gateway.db');
const db = new SqliteDatabase(file);
const store = new SqliteTransferLogStore(db);
if ((await store.size()) > 0) throw new Error(`${file} already holds leaves; give an empty data dir`);
const signer = loadSigner(config.participantsFile, config.gatewayId);
// The checkpoint signed at the end is anchored as the gateway's own are, so the gateway starts on the store.
const anchor = createFileCheckpointAnchor(config.logAnchorFile);
if (!(await anchor.exists())) await anchor.create();
const log = createTransferLog({ store, signer, clock: systemClock, gatewayId: config.gatewayId, anchor });

const random = prng(Number(values.seed));
const startMs = endMs - years * 365.25 * 24 * 3600 * 1000;
const stepMs = (endMs - startMs) / count;
// Subject references as the gateway makes them (HMAC of the IDNr under its key), for 250,000 citizens.
const subjectKey = createHash('sha256').update('fill-log synthetic subject key').digest();
const citizens = Array.from({ length: 250_000 }, (_, i) =>
  createHmac('sha256', subjectKey)
    .update(String(10_000_000_000 + i * 7919))
    .digest('base64url'),
);
const flows = FLOWS.map((f) => [f, f.weight] as const);
const aktenzeichen = new Map<string, number>();

/** The records of one exchange at time `ms`: one (refused early) or two (intent and its outcome). */
function exchangeRecords(ms: number): TransferRecord[] {
  const f = pick(random, flows);
  const time = new Date(ms).toISOString();
  const retentionUntil = new Date(addIsoDuration(ms, 'P2Y')).toISOString();
  const year = new Date(ms).getUTCFullYear();
  const n = (aktenzeichen.get(`${f.prefix}${year}`) ?? 0) + 1;
  aktenzeichen.set(`${f.prefix}${year}`, n);
  const base = {
    v: 1 as const,
    time,
    exchangeId: uuid(random),
    format: f.format,
    authenticated: true,
    consumer: f.consumer,
    messageId: uuid(random),
    evidenceType: f.evidenceType,
    purpose: f.purpose,
    procedure: { reference: `${f.prefix}-${year}/${String(n).padStart(6, '0')}` },
    actor: `sachbearbeitung-${1 + Math.floor(random() * 40)}`,
    subjectRef: citizens[Math.floor(random() * citizens.length)]!,
    provider: f.provider,
    retentionUntil,
  };
  const roll = random();
  if (roll < 0.1) return [{ ...base, outcome: 'refused', code: pick(random, EARLY_REFUSALS) }];
  const decided = {
    ...base,
    policy: {
      id: `${f.purpose}-${f.evidenceType}`,
      version: '1',
      hash: createHash('sha256').update(`${f.purpose}/${f.evidenceType}`).digest('base64url'),
    },
    legalBasis: f.legalBasis,
    fields: [...f.fields],
    idnrUsed: true,
    consentId: uuid(random),
  };
  const later = new Date(ms + 200 + Math.floor(random() * 2000)).toISOString();
  const intent: TransferRecord = { ...decided, outcome: 'intent' };
  if (roll < 0.13)
    return [intent, { ...decided, time: later, outcome: 'refused', code: 'ERR_PROVIDER_UNAVAILABLE' }];
  if (roll < 0.15) return [intent, { ...decided, time: later, outcome: 'withheld', preview: 'rejected' }];
  const digest = createHash('sha256').update(base.exchangeId).digest('base64url');
  return [intent, { ...decided, time: later, outcome: 'released', evidenceDigest: digest }];
}

async function timeSingleAppends(n: number): Promise<number> {
  if (n === 0) return 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await store.append([exchangeRecords(startMs + filled * stepMs)[0]!]);
  filled += n;
  return Number(process.hrtime.bigint() - started) / 1e6 / n;
}

// 100 appends of one record each (one durable commit each) before and after the fill: O(log n) appends cost the
// same at a million leaves as at none.
const singles = count >= 1000 ? 100 : 0;
let filled = 0;
const firstAppendMs = await timeSingleAppends(singles);
const started = Date.now();
const bulk = count - singles;
let batch: TransferRecord[] = [];
let lastReport = started;
while (filled < bulk) {
  for (const record of exchangeRecords(startMs + filled * stepMs)) {
    if (filled + batch.length < bulk) batch.push(record);
  }
  if (batch.length >= batchSize || filled + batch.length >= bulk) {
    await store.append(batch);
    filled += batch.length;
    batch = [];
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      process.stdout.write(
        `${filled} leaves, ${Math.round(filled / ((lastReport - started) / 1000))} per s\n`,
      );
    }
  }
}
const fillS = (Date.now() - started) / 1000;
const lastAppendMs = await timeSingleAppends(singles);
const checkpoint = await log.checkpoint();
db.close();
const bytes = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
process.stdout.write(
  `${JSON.stringify({
    leaves: checkpoint.treeSize,
    fillSeconds: Math.round(fillS * 10) / 10,
    leavesPerSecond: Math.round((bulk - singles) / fillS),
    singleAppendMsAtStart: Math.round(firstAppendMs * 100) / 100,
    singleAppendMsAtEnd: Math.round(lastAppendMs * 100) / 100,
    databaseMiB: Math.round((bytes / 2 ** 20) * 10) / 10,
    checkpoint: { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash },
  })}\n`,
);
