/**
 * The demo Standesamt (psw:09999001) as a real XÖV provider over HTTP: the gateway's forwarder signs, the
 * http-xoev connector carries, the Standesamt re-checks and answers from its SQLite register, and the gateway's
 * evidence verifier accepts exactly the requested fields — with the keys of certs-example/.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHttpXoevConnector, type HttpXoevConnector } from '../../connectors/http-xoev/index.js';
import {
  DEMO_BIRTH_RECORDS,
  loadDemoStandesamtKeys,
  openGeburtenregister,
  startDemoStandesamt,
  type RunningDemoStandesamt,
} from '../../demo-registers/standesamt/index.js';
import { loadXoevSchemas } from '../../gateway/adapters/files/load-xoev-schemas.js';
import {
  createXoevEvidenceVerifier,
  createXoevForwarder,
  type XoevForwarder,
} from '../../gateway/core/envelope/xoev/index.js';
import type { EvidenceRequest, ForwardedRequestInput } from '../../gateway/core/exchange/types.js';
import type { Clock, ForwardedMessage, Participant, TrustStore } from '../../gateway/core/ports.js';
import { countLookups } from '../helpers/count-lookups.js';
import { exampleSigner, exampleTrust, refusalOf, ROOT, SCHEMAS } from '../unit/xoev/xoev-fixtures.js';

const clock: Clock = { nowMs: () => Date.now() };

const ALL_FIELDS = ['kind', 'geburtsdatum', 'geburtsort', 'eltern'];

describe('demo Standesamt over HTTP/XÖV', function () {
  let dir: string;
  let running: RunningDemoStandesamt;
  let connector: HttpXoevConnector;
  let trust: TrustStore;
  let provider: Participant;
  let forward: XoevForwarder;
  let verify: ReturnType<typeof createXoevEvidenceVerifier>;
  let exchange = 0;

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'oog-standesamt-'));
    running = await startDemoStandesamt({
      ...loadDemoStandesamtKeys(path.join(ROOT, 'certs-example')),
      schemas: loadXoevSchemas(),
      dbPath: path.join(dir, 'geburtenregister.sqlite'),
    });
    trust = exampleTrust(clock);
    provider = { ...trust.participant('psw:09999001')!, endpoint: { kind: 'http-xoev', url: running.url } };
    connector = createHttpXoevConnector({ timeoutMs: 5_000 });
    forward = createXoevForwarder({ signer: exampleSigner('oog:demo-gateway'), clock });
    verify = createXoevEvidenceVerifier({ trust, clock, gatewayId: 'oog:demo-gateway', schemas: SCHEMAS });
  });

  after(async function () {
    connector.close();
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function input(
    subjectIdnr: string,
    fields = ALL_FIELDS,
    overrides: Partial<EvidenceRequest> = {},
  ): ForwardedRequestInput {
    exchange++;
    return {
      exchangeId: `7d2e9c41-5b3a-4f6e-8a1d-${String(exchange).padStart(12, '0')}`,
      request: {
        format: 'xoev',
        consumer: 'ags:09999002',
        messageId: `1a2b3c4d-5e6f-4a7b-8c9d-${String(exchange).padStart(12, '0')}`,
        issuedAt: Math.floor(Date.now() / 1000),
        replayUntil: Math.floor(Date.now() / 1000) + 360,
        evidenceType: 'geburtsurkunde',
        subjectIdnr,
        purpose: 'elterngeld-antrag',
        procedure: { reference: 'EG-2030/0815' },
        actor: 'sachbearbeitung-3',
        ...overrides,
      },
      provider,
      verdict: {
        permit: true,
        policy: { id: 'elterngeld-geburtsurkunde', version: '1', hash: 'h'.repeat(43) },
        provider: 'psw:09999001',
        legalBasis: '§ 9 BEEG',
        fields,
        consentRequired: true,
        previewRequired: true,
        previewTimeoutMinutes: 60,
        retention: 'P2Y',
      },
    };
  }

  function message(forwarded: string, which: ForwardedRequestInput): ForwardedMessage {
    return { exchangeId: which.exchangeId, provider, format: 'xoev', body: forwarded };
  }

  async function ask(which: ForwardedRequestInput) {
    const forwarded = await forward(which);
    const answer = await connector.send(message(forwarded, which), AbortSignal.timeout(5_000));
    return verify(answer, { forwarded, input: which });
  }

  it('answers Erika’s birth certificate with every field, signed and bound to the request', async function () {
    const verified = await ask(input('93141705862'));
    expect(verified.fields).to.deep.equal(ALL_FIELDS);
    expect(verified.claims.data).to.deep.equal(DEMO_BIRTH_RECORDS['93141705862']);
    expect(verified.opened.key.participantId).to.equal('psw:09999001');
    expect(verified.token).to.include('<oog:nachweisantwort.0201');
  });

  it('releases only the requested fields (Max: kind and geburtsdatum)', async function () {
    const verified = await ask(input('20561748335', ['kind', 'geburtsdatum']));
    expect(verified.fields).to.deep.equal(['kind', 'geburtsdatum']);
    expect(verified.token).not.to.include('<oog:eltern>').and.not.to.include('<oog:geburtsort>');
  });

  it('carries the test marking back to the gateway', async function () {
    const verified = await ask(input('93141705862', ['geburtsdatum'], { test: true }));
    expect(verified.opened.test).to.equal(true);
  });

  it('has no record of Lena (resident only) nor of 12532870461, with ERR_NOT_FOUND', async function () {
    for (const idnr of ['88310679245', '12532870461']) {
      const which = input(idnr);
      const error = await refusalOf(
        connector.send(message(await forward(which), which), AbortSignal.timeout(5_000)),
      );
      expect(error.code, idnr).to.equal('ERR_NOT_FOUND');
    }
  });

  it('answers the same forwarded request sent again with the first answer, byte for byte, looking it up once', async function () {
    const lookups = countLookups(running.register);
    const which = input('93141705862');
    const forwarded = await forward(which);
    const first = await connector.send(message(forwarded, which), AbortSignal.timeout(5_000));
    const again = await connector.send(message(forwarded, which), AbortSignal.timeout(5_000));
    expect(Buffer.from(again.body).equals(Buffer.from(first.body)), 'byte-identical evidence').to.equal(true);
    expect(again.contentType).to.equal(first.contentType);
    expect(lookups.count).to.equal(1);
    const verified = await verify(again, { forwarded, input: which });
    expect(verified.claims.subjectIdnr).to.equal('93141705862');
    lookups.restore();
  });

  it('refuses another request under a nachrichtenUUID already answered (409 ERR_REPLAY; the connector reports ERR_PROVIDER_UNAVAILABLE)', async function () {
    const lookups = countLookups(running.register);
    const messageId = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
    const sameId = createXoevForwarder({
      signer: exampleSigner('oog:demo-gateway'),
      clock,
      newId: () => messageId,
    });
    const which = input('93141705862');
    await connector.send(message(await sameId(which), which), AbortSignal.timeout(5_000));
    const other = input('93141705862', ['kind']);
    const otherBody = await sameId(other);
    const status = await fetch(running.url, {
      method: 'POST',
      body: otherBody,
      headers: { 'content-type': 'application/xml' },
    }).then(async (response) => [response.status, ((await response.json()) as { code: string }).code]);
    expect(status).to.deep.equal([409, 'ERR_REPLAY']);
    const error = await refusalOf(connector.send(message(otherBody, other), AbortSignal.timeout(5_000)));
    expect([error.code, error.status]).to.deep.equal(['ERR_PROVIDER_UNAVAILABLE', 502]);
    expect(lookups.count).to.equal(1);
    lookups.restore();
  });

  it('refuses a request signed by a consumer instead of the gateway, which it does not know', async function () {
    const impostor = createXoevForwarder({ signer: exampleSigner('ags:09999002'), clock });
    const which = input('93141705862');
    const response = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: await impostor(which),
    });
    expect(response.status).to.equal(401);
    expect(((await response.json()) as { code: string }).code).to.equal('ERR_TRUST_UNKNOWN_SENDER');
  });

  it('refuses another evidence type, with ERR_SCHEMA', async function () {
    const which = input('93141705862', ['familienname'], { evidenceType: 'meldebescheinigung' });
    const response = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: await forward(which),
    });
    expect(response.status).to.equal(400);
    expect(((await response.json()) as { code: string }).code).to.equal('ERR_SCHEMA');
  });

  it('speaks only application/xml on /evidence and answers /healthz', async function () {
    const json = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).to.equal(415);
    expect((await fetch(`${running.origin}/healthz`)).status).to.equal(200);
    const unsigned = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<!DOCTYPE x><x/>',
    });
    expect(((await unsigned.json()) as { code: string }).code).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('seeds its register once: a reopened file keeps its records and seeding time', function () {
    const file = path.join(dir, 'reopen.sqlite');
    const first = openGeburtenregister(file, () => 1_000);
    expect(first.count()).to.equal(2);
    first.upsert('88310679245', DEMO_BIRTH_RECORDS['93141705862']!);
    first.close();
    const second = openGeburtenregister(file, () => 2_000);
    expect([second.count(), second.seededAt()]).to.deep.equal([3, 1_000]);
    second.close();
  });
});
