/**
 * Issue 2 "a provider that is down, slow, answers unsigned, signed by another key, bound to another request, or
 * with an extra field → 502/504 ERR_PROVIDER_*, recorded as refused", end to end: the fake Meldebehörde answers
 * in the chosen wrong way; the consumer gets the code, the evidence is never released, and the log holds the
 * intent followed by the refusal.
 */
import { expect } from 'chai';
import type { FakeProviderMode } from '../fixtures/fake-provider.js';
import { startTestGateway, type TestGateway } from '../helpers/start-test-gateway.js';
import { expectRefusal } from './expect-refusal.js';

interface Fault {
  readonly mode: Exclude<FakeProviderMode, 'down'>;
  readonly what: string;
  readonly status: number;
  readonly code: string;
}

const FAULTS: readonly Fault[] = [
  { mode: 'slow', what: 'answers later than the timeout', status: 504, code: 'ERR_PROVIDER_UNAVAILABLE' },
  { mode: 'error500', what: 'answers 500', status: 502, code: 'ERR_PROVIDER_UNAVAILABLE' },
  { mode: 'unsigned', what: 'answers unsigned (alg none)', status: 502, code: 'ERR_PROVIDER_RESPONSE' },
  // The connector refuses a 2xx answer of another media type as a transport failure (connectors/http-transport).
  { mode: 'plain-json', what: 'answers unsigned plain JSON', status: 502, code: 'ERR_PROVIDER_UNAVAILABLE' },
  { mode: 'wrong-key', what: 'signs with another key', status: 502, code: 'ERR_PROVIDER_RESPONSE' },
  {
    mode: 'unbound',
    what: 'binds its answer to another request',
    status: 502,
    code: 'ERR_PROVIDER_RESPONSE',
  },
  {
    mode: 'extra-field',
    what: 'adds a field beyond the permitted',
    status: 502,
    code: 'ERR_PROVIDER_RESPONSE',
  },
  { mode: 'garbage', what: 'answers something that is no JWS', status: 502, code: 'ERR_PROVIDER_RESPONSE' },
  {
    mode: 'redirect',
    what: 'redirects elsewhere',
    status: 502,
    code: 'ERR_PROVIDER_UNAVAILABLE',
  },
];

/** The refusal plus: exactly one forwarded request, and the log shows intent, then refused with the code. */
async function expectProviderRefusal(
  g: TestGateway,
  code: string,
  status: number,
  forwarded = 1,
): Promise<void> {
  const claims = g.requestClaims();
  const before = g.provider?.requests ?? 0;
  const answer = await g.sendJws(await g.signRequest(claims));
  await expectRefusal(g, answer, {
    status,
    code,
    messageId: String(claims['jti']),
    logged: true,
    providerBefore: before,
    forwarded,
  });
  const records = await g.recordsOfMessage(String(claims['jti']));
  expect(records.map((r) => r.outcome)).to.deep.equal(['intent', 'refused']);
  expect(records[1]).to.include({ authenticated: true, idnrUsed: true });
  expect(records[1]!.evidenceDigest).to.equal(undefined);
}

describe('e2e: provider faults (issue 2)', () => {
  describe('a provider that answers wrongly', () => {
    let g: TestGateway;

    before(async () => {
      g = await startTestGateway({ meldebehoerde: 'ok', slowMs: 5_000, config: { providerTimeoutMs: 500 } });
    });
    after(async () => {
      await g?.close();
    });

    it('releases while the provider answers correctly (control)', async () => {
      expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
    });

    for (const fault of FAULTS) {
      it(`refuses when the provider ${fault.what}, with ${fault.status} ${fault.code}`, async () => {
        g.provider!.setMode(fault.mode);
        await expectProviderRefusal(g, fault.code, fault.status);
        if (fault.mode === 'redirect') expect(g.provider!.redirectTargetHits).to.equal(0);
      });
    }

    it('releases again once the provider answers correctly (control)', async () => {
      g.provider!.setMode('ok');
      expect((await g.sendJws(await g.signRequest())).status).to.equal(200);
    });
  });

  describe('a provider that is down', () => {
    let g: TestGateway;

    before(async () => {
      g = await startTestGateway({ meldebehoerde: 'down' });
    });
    after(async () => {
      await g?.close();
    });

    it('refuses with 502 ERR_PROVIDER_UNAVAILABLE and records intent and refusal', async () => {
      await expectProviderRefusal(g, 'ERR_PROVIDER_UNAVAILABLE', 502, 0);
    });
  });
});
