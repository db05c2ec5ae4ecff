/**
 * XÖV throughput, one core, in one run (issue 3 "Benchmark"): the gateway's XÖV request reader beside bare
 * xml-crypto sign and verify, plus the forwarder and the evidence verifier (bench/scenarios/xml-crypto-rates.ts).
 * `npm run bench` runs this as its process C.
 *
 *   npx tsx bench/xoev-bench.ts [iterations]
 */
import { measureXmlCryptoRates } from './scenarios/xml-crypto-rates.js';

await measureXmlCryptoRates(Number(process.argv[2] ?? 2_000));
