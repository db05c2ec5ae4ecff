import { expect } from 'chai';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { createHttpJsonConnector, type HttpJsonConnector } from '../../connectors/index.js';
import { GatewayError } from '../../gateway/core/errors.js';
import type { ForwardedMessage, Participant } from '../../gateway/core/ports.js';
import {
  createTestParticipant,
  forwardedRequestClaims,
  signForwardedRequest,
  startFakeProvider,
  type FakeProvider,
  type FakeProviderMode,
  type TestParticipant,
} from '../fixtures/fake-provider.js';

function providerAt(url: string): Participant {
  return {
    id: 'mld:09999001',
    name: 'Meldebehörde',
    roles: ['provider'],
    evidenceTypes: ['meldebescheinigung'],
    endpoint: { kind: 'http-json', url },
  };
}

async function refusalOf(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal, but the connector answered');
}

describe('createHttpJsonConnector', function () {
  let gateway: TestParticipant;
  let provider: TestParticipant;
  let connector: HttpJsonConnector;
  let fake: FakeProvider | undefined;
  let forwarded: string;

  before(function () {
    gateway = createTestParticipant('oog:demo-gateway');
    provider = createTestParticipant('mld:09999001');
  });

  beforeEach(async function () {
    connector = createHttpJsonConnector({ timeoutMs: 300, maxResponseBytes: 1_048_576 });
    forwarded = await signForwardedRequest(gateway.signer, forwardedRequestClaims());
  });

  afterEach(async function () {
    connector.close();
    await fake?.close();
    fake = undefined;
  });

  async function sendTo(mode: FakeProviderMode, signal = new AbortController().signal) {
    fake = await startFakeProvider({ mode, signer: provider.signer, slowMs: 5_000 });
    const message: ForwardedMessage = {
      exchangeId: 'e6c1f7d2-3b4a-4c5d-8e9f-0a1b2c3d4e5f',
      provider: providerAt(fake.url),
      format: 'json',
      body: forwarded,
    };
    return connector.send(message, signal);
  }

  it("posts the forwarded JWS as application/jose and returns the provider's signed answer untouched", async function () {
    const answer = await sendTo('ok');
    expect(answer.contentType).to.equal('application/jose');
    const { payload, protectedHeader } = await compactVerify(answer.body, provider.publicKey, {
      algorithms: ['ES256'],
    });
    expect(protectedHeader.typ).to.equal('evidence+jwt');
    const claims = JSON.parse(new TextDecoder().decode(payload)) as { data: Record<string, unknown> };
    expect(Object.keys(claims.data).sort()).to.deep.equal(['anschrift', 'familienname', 'vornamen']);
    expect(fake!.requests).to.equal(1);
    const [received] = fake!.received;
    expect(received!.method).to.equal('POST');
    expect(received!.contentType).to.equal('application/jose');
    expect(received!.accept).to.equal('application/jose');
    expect(received!.body).to.equal(forwarded);
  });

  for (const mode of ['unsigned', 'wrong-key', 'unbound', 'extra-field', 'garbage'] as const) {
    it(`returns a well-formed 2xx answer as is for the core to judge (mode ${mode})`, async function () {
      const answer = await sendTo(mode);
      expect(answer.contentType).to.equal('application/jose');
      expect(answer.body.length).to.be.greaterThan(0);
      if (mode === 'unsigned') expect(decodeProtectedHeader(answer.body).alg).to.equal('none');
      if (mode === 'garbage') expect(answer.body).to.equal('this is not a JWS');
    });
  }

  it('refuses when nothing listens at the endpoint, with ERR_PROVIDER_UNAVAILABLE 502', async function () {
    const error = await refusalOf(sendTo('down'));
    expect(error.code).to.equal('ERR_PROVIDER_UNAVAILABLE');
    expect(error.status).to.equal(502);
  });

  it('gives up after timeoutMs when the provider is slow, with ERR_PROVIDER_UNAVAILABLE 504', async function () {
    const started = Date.now();
    const error = await refusalOf(sendTo('slow'));
    expect(error.code).to.equal('ERR_PROVIDER_UNAVAILABLE');
    expect(error.status).to.equal(504);
    expect(Date.now() - started).to.be.lessThan(2_000);
    expect(fake!.requests).to.equal(1);
  });

  it("treats the caller's deadline (AbortSignal.timeout) as a timeout, with ERR_PROVIDER_UNAVAILABLE 504", async function () {
    connector.close();
    connector = createHttpJsonConnector({ timeoutMs: 10_000 });
    const error = await refusalOf(sendTo('slow', AbortSignal.timeout(100)));
    expect(error.code).to.equal('ERR_PROVIDER_UNAVAILABLE');
    expect(error.status).to.equal(504);
  });

  it('refuses at once when the caller already aborted, with ERR_PROVIDER_UNAVAILABLE 502, forwarding nothing', async function () {
    const controller = new AbortController();
    controller.abort();
    const error = await refusalOf(sendTo('ok', controller.signal));
    expect(error.code).to.equal('ERR_PROVIDER_UNAVAILABLE');
    expect(error.status).to.equal(502);
    expect(fake!.requests).to.equal(0);
  });

  it('refuses an HTTP 500 answer, with ERR_PROVIDER_UNAVAILABLE 502', async function () {
    const error = await refusalOf(sendTo('error500'));
    expect(error.code).to.equal('ERR_PROVIDER_UNAVAILABLE');
    expect(error.status).to.equal(502);
  });

  it('never follows a redirect, with ERR_PROVIDER_UNAVAILABLE 502 and the target never hit', async function () {
    const error = await refusalOf(sendTo('redirect'));
    expect(error.code).to.equal('ERR_PROVIDER_UNAVAILABLE');
    expect(error.status).to.equal(502);
    expect(fake!.requests).to.equal(1);
    expect(fake!.redirectTargetHits).to.equal(0);
  });

  it('stops reading an answer over maxResponseBytes, with ERR_PROVIDER_UNAVAILABLE 502', async function () {
    const error = await refusalOf(sendTo('oversize'));
    expect(error.code).to.equal('ERR_PROVIDER_UNAVAILABLE');
    expect(error.status).to.equal(502);
  });

  it('refuses an oversize answer announced by Content-Length before reading it, with ERR_PROVIDER_UNAVAILABLE 502', async function () {
    connector.close();
    connector = createHttpJsonConnector({ timeoutMs: 1_000, maxResponseBytes: 100 });
    const error = await refusalOf(sendTo('ok'));
    expect(error.code).to.equal('ERR_PROVIDER_UNAVAILABLE');
    expect(error.status).to.equal(502);
  });

  it('refuses a 2xx answer of another media type, with ERR_PROVIDER_UNAVAILABLE 502', async function () {
    for (const mode of ['wrong-content-type', 'plain-json'] as const) {
      await fake?.close();
      const error = await refusalOf(sendTo(mode));
      expect(error.code, mode).to.equal('ERR_PROVIDER_UNAVAILABLE');
      expect(error.status, mode).to.equal(502);
    }
  });

  it("reports a register's problem+json 404 as no such subject, with ERR_NOT_FOUND 404", async function () {
    const error = await refusalOf(sendTo('not-found'));
    expect(error.code).to.equal('ERR_NOT_FOUND');
    expect(error.status).to.equal(404);
  });

  it('refuses an endpoint that is not an http(s) URL, with ERR_PROVIDER_UNAVAILABLE 502', async function () {
    const message: ForwardedMessage = {
      exchangeId: 'e6c1f7d2-3b4a-4c5d-8e9f-0a1b2c3d4e5f',
      provider: providerAt('file:///etc/passwd'),
      format: 'json',
      body: forwarded,
    };
    const error = await refusalOf(connector.send(message, new AbortController().signal));
    expect(error.code).to.equal('ERR_PROVIDER_UNAVAILABLE');
    expect(error.status).to.equal(502);
  });

  it('reuses keep-alive connections across many requests', async function () {
    fake = await startFakeProvider({ mode: 'ok', signer: provider.signer });
    const message: ForwardedMessage = {
      exchangeId: 'e6c1f7d2-3b4a-4c5d-8e9f-0a1b2c3d4e5f',
      provider: providerAt(fake.url),
      format: 'json',
      body: forwarded,
    };
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 20 }, () => connector.send(message, new AbortController().signal)),
      );
    }
    expect(fake.requests).to.equal(100);
    expect(fake.connections).to.be.at.most(20);
  });
});
