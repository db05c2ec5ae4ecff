/**
 * 3. The XÖV path through the gateway (Elterngeldstelle, XÖV in → JSON Meldebehörde): Erika consents through the
 * citizen API first, then pre-signed XÖV requests go through the gateway process, its CPU read from outside.
 */
import { loadSigner } from '../../gateway/adapters/files/index.js';
import { signXoevRequest } from '../../gateway/core/envelope/index.js';
import { n, round, row } from '../lib/format.js';
import { assertAlive, demoToken, type Gateway } from '../lib/gateway-process.js';
import { drive, gatewayCpuFrom, post } from '../lib/load.js';
import { ELTERNGELD, ERIKA, GATEWAY_ID, participants } from '../lib/demo.js';
import {
  XOEV_CONCURRENCY,
  XOEV_REQUESTS,
  XOEV_SECONDS,
  XOEV_SIGNING_SECONDS,
  XOEV_WARMUP,
} from '../lib/settings.js';

export async function runXoevExchange(gateway: Gateway) {
  // Erika consents for the Elterngeldstelle, as a citizen would through the API.
  const token = await demoToken(gateway, ERIKA);
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
  const gatewayCpu = gatewayCpuFrom(gateway.child.pid!);
  const result = await drive(
    url,
    bodies.slice(XOEV_WARMUP),
    'application/xml',
    XOEV_CONCURRENCY,
    XOEV_SECONDS,
  );
  assertAlive(gateway, 'the XÖV run');
  return {
    ...result,
    warmupNon200: warmup.non200,
    warmupOutcomes: warmup.outcomes,
    signed: bodies.length,
    signedPerSecond,
    ...gatewayCpu(result),
    concurrency: XOEV_CONCURRENCY,
  };
}

export type XoevExchange = Awaited<ReturnType<typeof runXoevExchange>>;

/** The XÖV path beside bare xml-crypto verification (bench/xoev-bench.ts's rate, one core). */
export interface AgainstXmlCrypto {
  readonly ratio: number;
  readonly verify: number | undefined;
  readonly sign: number | undefined;
}

/** The table's XÖV section. */
export function printXoevExchange(xoev: XoevExchange, against: AgainstXmlCrypto): void {
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
    `${n(against.ratio, 2)}   (xml-crypto verify ${against.verify ?? '?'} /s, sign ${against.sign ?? '?'} /s, one core)`,
  );
}

/** The JSON line's `xoev` member. */
export function summarizeXoevExchange(xoev: XoevExchange, against: AgainstXmlCrypto) {
  return {
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
    ratioToXmlCryptoVerify: round(against.ratio, 3),
  };
}
