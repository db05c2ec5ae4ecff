import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { compactVerify } from 'jose';
import { createHttpJsonConnector } from '../../connectors/index.js';
import {
  DEMO_CITIZENS,
  MELDEBESCHEINIGUNG_FIELDS,
  openMeldeRegister,
  startDemoMeldebehoerde,
  type RunningDemoMeldebehoerde,
  type StartDemoMeldebehoerdeOptions,
} from '../../demo-registers/index.js';
import { createEvidenceVerifier, requestDigest } from '../../gateway/core/envelope/index.js';
import { GatewayError } from '../../gateway/core/errors.js';
import { isValidIdnr } from '../../gateway/core/ids.js';
import {
  createTestParticipant,
  forwardedRequestClaims,
  signForwardedRequest,
  type TestParticipant,
} from '../fixtures/fake-provider.js';
import { countLookups } from '../helpers/count-lookups.js';
import { createFakeTrustStore } from '../unit/envelope/fake-trust.js';

const ERIKA = '93141705862';
const NOBODY = '12532870461';

interface Answer {
  status: number;
  contentType: string;
  body: string;
  /** The body exactly as it came over the wire. */
  bytes: Buffer;
  retryAfter: string | null;
}

async function post(url: string, body: string, contentType = 'application/jose'): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType } });
  const bytes = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    contentType: (response.headers.get('content-type') ?? '').split(';')[0]!,
    body: bytes.toString('utf8'),
    bytes,
    retryAfter: response.headers.get('retry-after'),
  };
}

function problemCode(answer: Answer): unknown {
  expect(answer.contentType).to.equal('application/problem+json');
  return (JSON.parse(answer.body) as { code?: unknown }).code;
}

describe('startDemoMeldebehoerde', function () {
  let gateway: TestParticipant;
  let provider: TestParticipant;
  let stranger: TestParticipant;
  let dir: string;
  let running: RunningDemoMeldebehoerde | undefined;

  before(function () {
    gateway = createTestParticipant('oog:demo-gateway');
    provider = createTestParticipant('mld:09999001');
    stranger = createTestParticipant('oog:demo-gateway');
  });

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'oog-demo-mld-'));
  });

  afterEach(async function () {
    await running?.close();
    running = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function options(overrides: Partial<StartDemoMeldebehoerdeOptions> = {}): StartDemoMeldebehoerdeOptions {
    return {
      dbPath: join(dir, 'melderegister.sqlite'),
      signer: provider.signer,
      gateway: { id: 'oog:demo-gateway', certificates: [gateway.certificate] },
      ...overrides,
    };
  }

  async function start(overrides: Partial<StartDemoMeldebehoerdeOptions> = {}) {
    running = await startDemoMeldebehoerde(options(overrides));
    return running;
  }

  it('answers Erika with exactly the requested fields, signed by the Meldebehörde and bound to the request', async function () {
    const { url } = await start();
    const claims = forwardedRequestClaims({ fields: ['familienname', 'anschrift', 'einzugsdatum'] });
    const forwarded = await signForwardedRequest(gateway.signer, claims);
    const answer = await post(url, forwarded);
    expect(answer.status).to.equal(200);
    expect(answer.contentType).to.equal('application/jose');
    const { payload, protectedHeader } = await compactVerify(answer.body, provider.publicKey, {
      algorithms: ['ES256'],
    });
    expect(protectedHeader).to.deep.equal({ alg: 'ES256', kid: provider.signer.kid, typ: 'evidence+jwt' });
    const evidence = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    expect(evidence.iss).to.equal('mld:09999001');
    expect(evidence.exchangeId).to.equal(claims.exchangeId);
    expect(evidence.requestDigest).to.equal(requestDigest(forwarded));
    expect(evidence.evidenceType).to.equal('meldebescheinigung');
    expect(evidence.subject).to.deep.equal({ idnr: ERIKA });
    const erika = DEMO_CITIZENS[ERIKA]!;
    expect(evidence.data).to.deep.equal({
      familienname: erika.familienname,
      anschrift: erika.anschrift,
      einzugsdatum: erika.einzugsdatum,
    });
  });

  it("answers evidence that the gateway's own evidence verifier accepts (claims and data schemas, fields)", async function () {
    const { url } = await start();
    const fields = [...MELDEBESCHEINIGUNG_FIELDS];
    for (const idnr of Object.keys(DEMO_CITIZENS)) {
      const claims = forwardedRequestClaims({ subject: { idnr }, fields });
      const forwarded = await signForwardedRequest(gateway.signer, claims);
      const answer = await post(url, forwarded);
      const trust = createFakeTrustStore([
        {
          participant: {
            id: 'mld:09999001',
            name: 'MB',
            roles: ['provider'],
            evidenceTypes: ['meldebescheinigung'],
          },
          signer: provider.signer,
          resolved: {
            kid: provider.signer.kid,
            participantId: 'mld:09999001',
            publicKey: provider.publicKey,
            certificate: provider.certificate,
          },
        },
      ]);
      const verify = createEvidenceVerifier({ trust, clock: { nowMs: () => Date.now() } });
      const verified = await verify(answer.body, {
        provider: 'mld:09999001',
        exchangeId: String(claims.exchangeId),
        requestDigest: requestDigest(forwarded),
        evidenceType: 'meldebescheinigung',
        subjectIdnr: idnr,
        permittedFields: fields,
      });
      expect(verified.data, idnr).to.deep.equal(DEMO_CITIZENS[idnr]);
    }
  });

  it('is reachable through the http-json connector', async function () {
    const { url } = await start();
    const connector = createHttpJsonConnector({ timeoutMs: 2_000 });
    try {
      const answer = await connector.send(
        {
          exchangeId: 'e6c1f7d2-3b4a-4c5d-8e9f-0a1b2c3d4e5f',
          provider: {
            id: 'mld:09999001',
            name: 'MB',
            roles: ['provider'],
            evidenceTypes: [],
            endpoint: { kind: 'http-json', url },
          },
          format: 'json',
          body: await signForwardedRequest(gateway.signer, forwardedRequestClaims()),
        },
        AbortSignal.timeout(2_000),
      );
      expect(answer.contentType).to.equal('application/jose');
      await compactVerify(answer.body, provider.publicKey, { algorithms: ['ES256'] });
    } finally {
      connector.close();
    }
  });

  it("refuses a forwarded request signed by a key that is not the gateway's, with 401 ERR_TRUST_UNKNOWN_SENDER", async function () {
    const { url } = await start();
    const answer = await post(url, await signForwardedRequest(stranger.signer, forwardedRequestClaims()));
    expect(answer.status).to.equal(401);
    expect(problemCode(answer)).to.equal('ERR_TRUST_UNKNOWN_SENDER');
  });

  it('refuses a forwarded request whose signature does not verify under the gateway kid, with 401 ERR_SIG_INVALID', async function () {
    const { url } = await start();
    const forged = { ...stranger.signer, kid: gateway.signer.kid };
    const answer = await post(url, await signForwardedRequest(forged, forwardedRequestClaims()));
    expect(answer.status).to.equal(401);
    expect(problemCode(answer)).to.equal('ERR_SIG_INVALID');
  });

  it('refuses a forwarded request addressed to another provider, with 401 ERR_AUTH', async function () {
    const { url } = await start();
    const claims = forwardedRequestClaims({ aud: 'psw:09999001' });
    const answer = await post(url, await signForwardedRequest(gateway.signer, claims));
    expect(answer.status).to.equal(401);
    expect(problemCode(answer)).to.equal('ERR_AUTH');
  });

  it('refuses a stale forwarded request, with 401 ERR_STALE', async function () {
    const { url } = await start();
    const iat = Math.floor(Date.now() / 1000) - 600;
    const claims = forwardedRequestClaims({ iat, exp: iat + 60 });
    const answer = await post(url, await signForwardedRequest(gateway.signer, claims));
    expect(answer.status).to.equal(401);
    expect(problemCode(answer)).to.equal('ERR_STALE');
  });

  it('refuses a token of another typ, with 401 ERR_SIG_INVALID', async function () {
    const { url } = await start();
    const token = await signForwardedRequest(
      gateway.signer,
      forwardedRequestClaims(),
      'evidence-request+jwt',
    );
    const answer = await post(url, token);
    expect(answer.status).to.equal(401);
    expect(problemCode(answer)).to.equal('ERR_SIG_INVALID');
  });

  it('refuses the gateway key once its certificate is no longer valid, with 401 ERR_TRUST_CERT', async function () {
    const inTwoDays = Date.now() + 2 * 86_400_000;
    const { url } = await start({ clock: { nowMs: () => inTwoDays } });
    const iat = Math.floor(inTwoDays / 1000);
    const answer = await post(
      url,
      await signForwardedRequest(gateway.signer, forwardedRequestClaims({ iat, exp: iat + 60 })),
    );
    expect(answer.status).to.equal(401);
    expect(problemCode(answer)).to.equal('ERR_TRUST_CERT');
  });

  it('answers the same forwarded request sent again with the first answer, byte for byte, looking it up once', async function () {
    const { url, register } = await start();
    const lookups = countLookups(register);
    const forwarded = await signForwardedRequest(gateway.signer, forwardedRequestClaims());
    const first = await post(url, forwarded);
    expect(first.status).to.equal(200);
    const again = await post(url, forwarded);
    expect(again.status).to.equal(200);
    expect(again.contentType).to.equal('application/jose');
    expect(again.bytes.equals(first.bytes), 'byte-identical evidence').to.equal(true);
    expect(lookups.count).to.equal(1);
  });

  it('answers copies of a request that arrive while the first is in progress with that same answer', async function () {
    const { url, register } = await start();
    const lookups = countLookups(register);
    const forwarded = await signForwardedRequest(gateway.signer, forwardedRequestClaims());
    const answers = await Promise.all([post(url, forwarded), post(url, forwarded), post(url, forwarded)]);
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200]);
    expect(answers[1]!.bytes.equals(answers[0]!.bytes)).to.equal(true);
    expect(answers[2]!.bytes.equals(answers[0]!.bytes)).to.equal(true);
    expect(lookups.count).to.equal(1);
  });

  it('repeats a refusal the same way: a second "no such resident" is the first 404, instance id and all', async function () {
    const { url, register } = await start();
    const lookups = countLookups(register);
    const forwarded = await signForwardedRequest(
      gateway.signer,
      forwardedRequestClaims({ subject: { idnr: NOBODY } }),
    );
    const first = await post(url, forwarded);
    expect([first.status, problemCode(first)]).to.deep.equal([404, 'ERR_NOT_FOUND']);
    const again = await post(url, forwarded);
    expect(again.bytes.equals(first.bytes)).to.equal(true);
    expect(lookups.count).to.equal(1);
  });

  it('refuses another request under a message id already answered, with 409 ERR_REPLAY, and keeps the first answer', async function () {
    const { url, register } = await start();
    const lookups = countLookups(register);
    const claims = forwardedRequestClaims();
    const forwarded = await signForwardedRequest(gateway.signer, claims);
    const first = await post(url, forwarded);
    expect(first.status).to.equal(200);
    // the same jti from the same gateway, but asking for other fields (and signed anew: other bytes)
    const other = await signForwardedRequest(gateway.signer, { ...claims, fields: ['geburtsdatum'] });
    const refused = await post(url, other);
    expect(refused.status).to.equal(409);
    expect(problemCode(refused)).to.equal('ERR_REPLAY');
    // a new signature over the very same claims is other bytes too (ECDSA signatures are randomised)
    const resigned = await signForwardedRequest(gateway.signer, claims);
    expect(resigned).to.not.equal(forwarded);
    expect(problemCode(await post(url, resigned))).to.equal('ERR_REPLAY');
    expect((await post(url, forwarded)).bytes.equals(first.bytes)).to.equal(true);
    expect(lookups.count).to.equal(1);
  });

  it('remembers a bounded number of live answers: beyond it a new request gets 429 ERR_RATE_LIMITED, a repeat still its answer', async function () {
    const { url, register } = await start({ maxRememberedAnswers: 2 });
    const lookups = countLookups(register);
    const sent = [
      await signForwardedRequest(gateway.signer, forwardedRequestClaims()),
      await signForwardedRequest(gateway.signer, forwardedRequestClaims()),
    ];
    const answers = [await post(url, sent[0]!), await post(url, sent[1]!)];
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200]);
    const third = await post(url, await signForwardedRequest(gateway.signer, forwardedRequestClaims()));
    expect(third.status).to.equal(429);
    expect(problemCode(third)).to.equal('ERR_RATE_LIMITED');
    expect(Number(third.retryAfter)).to.be.within(1, 90);
    expect((await post(url, sent[0]!)).bytes.equals(answers[0]!.bytes)).to.equal(true);
    expect(lookups.count).to.equal(2);
  });

  it('does not answer a repeat once its request is stale: 401 ERR_STALE, no second look-up', async function () {
    let nowMs = Date.now();
    const { url, register } = await start({ clock: { nowMs: () => nowMs } });
    const lookups = countLookups(register);
    const claims = forwardedRequestClaims({ iat: Math.floor(nowMs / 1000), exp: undefined });
    const forwarded = await signForwardedRequest(gateway.signer, claims);
    expect((await post(url, forwarded)).status).to.equal(200);
    nowMs += 91_000; // past the 60 s window and 30 s skew
    const late = await post(url, forwarded);
    expect([late.status, problemCode(late)]).to.deep.equal([401, 'ERR_STALE']);
    expect(lookups.count).to.equal(1);
  });

  it('refuses a field a Meldebescheinigung does not have, with 400 ERR_SCHEMA', async function () {
    const { url } = await start();
    const claims = forwardedRequestClaims({ fields: ['familienname', 'religion'] });
    const answer = await post(url, await signForwardedRequest(gateway.signer, claims));
    expect(answer.status).to.equal(400);
    expect(problemCode(answer)).to.equal('ERR_SCHEMA');
  });

  it('refuses another evidence type, with 400 ERR_SCHEMA', async function () {
    const { url } = await start();
    const claims = forwardedRequestClaims({ evidenceType: 'geburtsurkunde', fields: ['kind'] });
    const answer = await post(url, await signForwardedRequest(gateway.signer, claims));
    expect(answer.status).to.equal(400);
    expect(problemCode(answer)).to.equal('ERR_SCHEMA');
  });

  it('answers 404 ERR_NOT_FOUND for a valid IDNr that is in no register', async function () {
    const { url } = await start();
    const claims = forwardedRequestClaims({ subject: { idnr: NOBODY } });
    const answer = await post(url, await signForwardedRequest(gateway.signer, claims));
    expect(answer.status).to.equal(404);
    expect(problemCode(answer)).to.equal('ERR_NOT_FOUND');
  });

  it('turns that 404 into ERR_NOT_FOUND at the http-json connector', async function () {
    const { url } = await start();
    const connector = createHttpJsonConnector({ timeoutMs: 2_000 });
    try {
      const body = await signForwardedRequest(
        gateway.signer,
        forwardedRequestClaims({ subject: { idnr: NOBODY } }),
      );
      const provider = { id: 'mld:09999001', name: 'MB', roles: ['provider' as const], evidenceTypes: [] };
      const error = await connector
        .send(
          {
            exchangeId: 'x',
            provider: { ...provider, endpoint: { kind: 'http-json', url } },
            format: 'json',
            body,
          },
          AbortSignal.timeout(2_000),
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).to.be.instanceOf(GatewayError);
      expect((error as GatewayError).code).to.equal('ERR_NOT_FOUND');
    } finally {
      connector.close();
    }
  });

  it('refuses a body that is not application/jose, with 415 ERR_MEDIA_TYPE', async function () {
    const { url } = await start();
    const answer = await post(url, '{}', 'application/json');
    expect(answer.status).to.equal(415);
    expect(problemCode(answer)).to.equal('ERR_MEDIA_TYPE');
  });

  it('refuses a body over the limit, with 413 ERR_TOO_LARGE', async function () {
    const { url } = await start({ maxBodyBytes: 1_024 });
    const answer = await post(url, 'a'.repeat(4_096));
    expect(answer.status).to.equal(413);
    expect(problemCode(answer)).to.equal('ERR_TOO_LARGE');
  });

  it('refuses a body that is not a compact JWS, with 400 ERR_REQUEST_MALFORMED', async function () {
    const { url } = await start();
    const answer = await post(url, 'not-a-jws');
    expect(answer.status).to.equal(400);
    expect(problemCode(answer)).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('answers an unknown path with a 404 that carries no ERR_NOT_FOUND code', async function () {
    const { origin } = await start();
    const answer = await post(`${origin}/v1/evidence`, 'x');
    expect(answer.status).to.equal(404);
    expect(problemCode(answer)).to.equal(undefined);
  });

  it('keeps its register across a restart and seeds it only once', async function () {
    const first = await start();
    const seededAt = first.register.seededAt();
    expect(first.register.count()).to.equal(3);
    const erika = DEMO_CITIZENS[ERIKA]!;
    first.register.upsert(ERIKA, {
      ...erika,
      anschrift: { ...erika.anschrift, strasse: 'Neue Straße', hausnummer: '1' },
    });
    await first.close();

    const second = await start();
    expect(second.register.count()).to.equal(3);
    expect(second.register.seededAt()).to.equal(seededAt);
    const claims = forwardedRequestClaims({ fields: ['anschrift'] });
    const answer = await post(second.url, await signForwardedRequest(gateway.signer, claims));
    const { payload } = await compactVerify(answer.body, provider.publicKey, { algorithms: ['ES256'] });
    const evidence = JSON.parse(new TextDecoder().decode(payload)) as {
      data: { anschrift: { strasse: string } };
    };
    expect(evidence.data.anschrift.strasse).to.equal('Neue Straße');
  });
});

describe('openMeldeRegister', function () {
  it('holds the three demo residents with every Meldebescheinigung field, and not 12532870461', function () {
    const dir = mkdtempSync(join(tmpdir(), 'oog-demo-mld-'));
    const register = openMeldeRegister(join(dir, 'r.sqlite'));
    try {
      expect(Object.keys(DEMO_CITIZENS).sort()).to.deep.equal(['20561748335', '88310679245', '93141705862']);
      for (const [idnr, record] of Object.entries(DEMO_CITIZENS)) {
        expect(isValidIdnr(idnr), idnr).to.equal(true);
        expect(register.find(idnr)).to.deep.equal(record);
        expect(Object.keys(record).sort()).to.deep.equal([...MELDEBESCHEINIGUNG_FIELDS].sort());
      }
      expect(register.find(NOBODY)).to.equal(undefined);
    } finally {
      register.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
