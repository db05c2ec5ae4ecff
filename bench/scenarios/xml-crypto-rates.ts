/**
 * 4. XÖV throughput, one core, in one process (issue 3 "Benchmark"): the gateway's XÖV request reader (gate,
 * libxml2 parse, signature profile, xml-crypto verification, signed-content parse and XSD, header checks) beside
 * the bare xml-crypto sign and verify rate on the same realistic message (ES256 / ecdsa-sha256, exc-c14n,
 * SHA-256), plus the forwarder and the evidence verifier. Keys: certs-example/. It prints one line a rate;
 * bench/xoev-bench.ts runs it (alone, or as process C of `npm run bench`, which reads those lines).
 */
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { loadSigner, loadTrustMaterial } from '../../gateway/adapters/files/index.js';
import { loadXoevSchemas } from '../../gateway/adapters/files/load-xoev-schemas.js';
import {
  buildXoevRequest,
  compileXoevSchemas,
  createXoevEvidenceVerifier,
  createXoevForwarder,
  createXoevRequestReader,
  DSIG_NS,
  ECDSA_SHA256,
  ENVELOPED_SIGNATURE,
  EXC_C14N,
  SHA256,
  signXoev,
  signXoevEvidence,
  xmlCryptoAlgorithm,
  xmlSignatureFunction,
  xoevRequestDigest,
} from '../../gateway/core/envelope/xoev/index.js';
import type { ForwardedRequestInput } from '../../gateway/core/exchange/types.js';
import { createTrustStore } from '../../gateway/core/trust/index.js';
import { participants } from '../lib/demo.js';

const NOW = Date.UTC(2030, 5, 1, 10, 0, 0);

export async function measureXmlCryptoRates(iterations: number): Promise<void> {
  const clock = { nowMs: () => NOW };
  const trust = createTrustStore(loadTrustMaterial(participants).material, clock);
  const consumer = loadSigner(participants, 'ags:09999002');
  const gateway = loadSigner(participants, 'oog:demo-gateway');
  const standesamt = loadSigner(participants, 'psw:09999001');
  const schemas = compileXoevSchemas(loadXoevSchemas());

  let counter = 0;
  const uuid = () => `6f1c2d3e-4b5a-4c6d-8e7f-${(counter++).toString(16).padStart(12, '0')}`;
  const unsigned = () =>
    buildXoevRequest(
      {
        messageId: uuid(),
        issuedAtMs: NOW - 1_000,
        autor: { id: 'ags:09999002', name: 'Landkreis Beispielkreis – Elterngeldstelle' },
        leser: { id: 'oog:demo-gateway', name: 'Once-Only Gateway (Demo)' },
      },
      {
        evidenceType: 'geburtsurkunde',
        provider: 'psw:09999001',
        subjectIdnr: '93141705862',
        purpose: 'elterngeld-antrag',
        procedure: { reference: 'EG-2030/0815', service: '99041008000000' },
        actor: 'sachbearbeitung-3',
        consentId: 'c-2030-0001',
        fields: ['kind', 'geburtsdatum', 'geburtsort', 'eltern'],
      },
    );

  const warmups = Math.min(200, iterations);
  const print = (name: string, ms: number) =>
    console.log(
      `${name.padEnd(44)} ${((iterations / ms) * 1000).toFixed(0).padStart(7)} /s  ${(ms / iterations).toFixed(3)} ms`,
    );
  // Two loops, not one that awaits everything: a synchronous operation is timed without a microtask each.
  const rate = (name: string, run: () => unknown) => {
    for (let i = 0; i < warmups; i++) run();
    const start = performance.now();
    for (let i = 0; i < iterations; i++) run();
    print(name, performance.now() - start);
  };
  const rateAsync = async (name: string, run: () => Promise<unknown>) => {
    for (let i = 0; i < warmups; i++) await run();
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await run();
    print(name, performance.now() - start);
  };

  const message = signXoev(consumer, unsigned());
  console.log(
    `message: ${Buffer.byteLength(message)} bytes signed (${Buffer.byteLength(unsigned())} unsigned), ${iterations} iterations\n`,
  );

  // Bare xml-crypto: the library's own work only, as the reader configures it.
  const Ecdsa = xmlCryptoAlgorithm(ECDSA_SHA256, xmlSignatureFunction(ECDSA_SHA256, consumer));
  const template = unsigned();
  rate('xml-crypto sign (bare)', () => {
    const sig = new SignedXml({
      privateKey: 'key held by the signer', // the algorithm ignores it and calls the signer
      canonicalizationAlgorithm: EXC_C14N,
      signatureAlgorithm: ECDSA_SHA256,
    });
    sig.SignatureAlgorithms = { [ECDSA_SHA256]: Ecdsa };
    sig.addReference({
      xpath: '/*',
      transforms: [ENVELOPED_SIGNATURE, EXC_C14N],
      digestAlgorithm: SHA256,
      isEmptyUri: true,
    });
    sig.computeSignature(template, { prefix: 'ds' });
    return sig.getSignedXml();
  });
  const publicKey = trust.keysOf('ags:09999002')[0]!.publicKey;
  rate('xml-crypto verify (bare, incl. xmldom parse)', () => {
    const doc = new DOMParser().parseFromString(message, 'text/xml');
    const sig = new SignedXml({ publicCert: publicKey, getCertFromKeyInfo: () => null });
    sig.SignatureAlgorithms = { [ECDSA_SHA256]: Ecdsa };
    sig.loadSignature(doc.getElementsByTagNameNS(DSIG_NS, 'Signature')[0] as never);
    if (!sig.checkSignature(message)) throw new Error('bench message does not verify');
  });

  const read = createXoevRequestReader({ trust, clock, gatewayId: 'oog:demo-gateway', schemas });
  await rateAsync('gateway XÖV request reader (full checks)', () => read(message));

  const sign = () => signXoev(consumer, template);
  rate('signXoev (consumer request)', sign);

  const forward = createXoevForwarder({ signer: gateway, clock });
  const input: ForwardedRequestInput = {
    exchangeId: '7d2e9c41-5b3a-4f6e-8a1d-2c3b4a5f6e7d',
    request: await read(signXoev(consumer, unsigned())),
    provider: trust.participant('psw:09999001')!,
    verdict: {
      permit: true,
      policy: { id: 'elterngeld-geburtsurkunde', version: '1', hash: 'h'.repeat(43) },
      provider: 'psw:09999001',
      legalBasis: '§ 9 BEEG',
      fields: ['kind', 'geburtsdatum', 'geburtsort', 'eltern'],
      consentRequired: true,
      previewRequired: false,
      previewTimeoutMinutes: 60,
      retention: 'P2Y',
    },
  };
  await rateAsync('gateway forwarder (build + sign)', () => forward(input));
  const forwarded = await forward(input);
  const evidence = signXoevEvidence(
    { signer: standesamt, clock, name: 'Standesamt Musterstadt' },
    { to: { id: 'oog:demo-gateway', name: 'Once-Only Gateway' } },
    {
      exchangeId: input.exchangeId,
      requestDigest: xoevRequestDigest(forwarded),
      evidenceType: 'geburtsurkunde',
      subjectIdnr: '93141705862',
      data: {
        kind: { familienname: 'Mustermann', vornamen: 'Erika' },
        geburtsdatum: '1964-08-12',
        geburtsort: 'Musterstadt',
        eltern: [
          { familienname: 'Mustermann', vornamen: 'Karl Heinz' },
          { familienname: 'Mustermann', vornamen: 'Gertrud' },
        ],
      },
    },
  );
  const verifyEvidence = createXoevEvidenceVerifier({ trust, clock, gatewayId: 'oog:demo-gateway', schemas });
  await rateAsync('gateway evidence verifier (full checks)', () =>
    verifyEvidence({ body: evidence, contentType: 'application/xml' }, { forwarded, input }),
  );
}
