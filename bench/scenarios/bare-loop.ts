/**
 * 2. The bare loop in this process: the same signatures (verify request, sign forwarded, sign evidence, verify
 * evidence, sign receipt) and the same two durable log appends per exchange through the real
 * SqliteTransferLogStore, one exchange at a time and at the load run's concurrency. It runs after the gateway
 * has been stopped, so it has the machine to itself.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { compactVerify } from 'jose';
import { loadSigner } from '../../gateway/adapters/files/index.js';
import { SqliteDatabase } from '../../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from '../../gateway/adapters/sqlite/sqlite-transfer-log-store.js';
import { signCompactJws } from '../../gateway/core/envelope/index.js';
import type { TransferRecord } from '../../gateway/core/ports.js';
import { n, round, row } from '../lib/format.js';
import { tempDir } from '../lib/processes.js';
import { ownCpuSeconds } from '../lib/proc-stats.js';
import { signJsonRequests } from '../lib/requests.js';
import { ERIKA, GATEWAY_ID, MELDEBEHOERDE, participants, WOHNGELD } from '../lib/demo.js';
import { BARE } from '../lib/settings.js';

/** The same signatures and durable log writes as one JSON exchange, without HTTP, parsing, policy or consent. */
export async function runBareLoop(concurrency: number) {
  const dir = tempDir('oog-bench-bare-');
  const db = new SqliteDatabase(join(dir, 'bare.db'));
  const store = new SqliteTransferLogStore(db);
  const consumer = loadSigner(participants, WOHNGELD);
  const gateway = loadSigner(participants, GATEWAY_ID);
  const provider = loadSigner(participants, MELDEBEHOERDE);
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
    provider: MELDEBEHOERDE,
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
      aud: MELDEBEHOERDE,
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
      iss: MELDEBEHOERDE,
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

export type BareLoop = Awaited<ReturnType<typeof runBareLoop>>;

/** The table's bare-loop section; `ratio` is the gateway's JSON rate over the bare loop's concurrent one. */
export function printBareLoop(bare: BareLoop, ratio: number): void {
  console.log('Bare loop in process B (verify + sign + sign + verify + sign ES256, 2 durable log appends)');
  row(
    'one exchange at a time',
    `${n(bare.sequential.perSecond)} /s   (${n(bare.sequential.cpuMsPerExchange, 2)} ms CPU per exchange)`,
  );
  row(
    `concurrency ${bare.concurrency}`,
    `${n(bare.concurrent.perSecond)} /s   (${n(bare.concurrent.cpuMsPerExchange, 2)} ms CPU per exchange, ` +
      `${n(bare.concurrent.cores, 2)} cores busy)`,
  );
  row('gateway / bare', `${n(ratio, 2)}   (against the bare loop at concurrency ${bare.concurrency})`);
  console.log(
    '  not in the bare loop: HTTP in and out, the provider verifying the forwarded request and reading its\n' +
      '  register, schema/policy/consent checks, the durable replay write, checkpoint signing and saving.',
  );
}

/** The JSON line's `bare` member. */
export function summarizeBareLoop(bare: BareLoop) {
  return {
    sequential: round(bare.sequential.perSecond),
    concurrent: round(bare.concurrent.perSecond),
    concurrentCpuMsPerExchange: round(bare.concurrent.cpuMsPerExchange, 2),
  };
}
