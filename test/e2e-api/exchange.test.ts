/**
 * Issue 2 end to end, the way a newcomer sees it: the whole demo gateway (demo Meldebehörde, demo identity
 * provider) on real HTTP with real SQLite and the example keys. Erika's Meldebescheinigung is released to the
 * Wohngeldstelle with only the permitted fields and a receipt that verifies against the gateway's published key;
 * Max is refused for want of consent; the consumer can poll its own exchange and no one else's; the
 * operations endpoints answer.
 */
import { expect } from 'chai';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { compactVerify, type JWK } from 'jose';
import { DEMO_CITIZENS } from '../../demo-registers/index.js';
import { verifyReceipt } from '../../gateway/core/transfer-log/index.js';
import {
  ELTERNGELDSTELLE,
  ERIKA,
  exampleSigner,
  GATEWAY_ID,
  MAX,
  MELDEBEHOERDE,
  startTestGateway,
  WOHNGELD_FIELDS,
  WOHNGELDSTELLE,
  type TestGateway,
} from '../helpers/start-test-gateway.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function payloadOf(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

/** A problem document without its per-error `instance`, to compare two refusals. */
function withoutInstance(body: Record<string, unknown> | undefined): Record<string, unknown> {
  const { instance, ...rest } = body ?? {};
  expect(instance).to.match(/^urn:uuid:/);
  return rest;
}

describe('e2e: the JSON evidence exchange on the demo gateway', () => {
  let g: TestGateway;
  let released: { exchangeId: string; evidence: string; receipt: string; jti: string };

  before(async () => {
    g = await startTestGateway();
  });
  after(async () => {
    await g?.close();
  });

  describe('POST /v1/evidence-requests', () => {
    it("releases Erika's Meldebescheinigung to the Wohngeldstelle with exactly the permitted fields", async () => {
      const claims = g.requestClaims();
      const answer = await g.sendJws(await g.signRequest(claims));
      expect(answer.status, answer.text).to.equal(200);
      const body = answer.json as { exchangeId: string; status: string; evidence: string; receipt: string };
      expect(body.status).to.equal('released');
      expect(body.exchangeId).to.match(UUID);
      released = { ...body, jti: String(claims['jti']) };

      // The evidence is the Meldebehörde's own signature over only the permitted fields, bound to this exchange.
      const mld = exampleSigner(MELDEBEHOERDE);
      const { payload, protectedHeader } = await compactVerify(body.evidence, mld.certificate.publicKey);
      expect(protectedHeader.typ).to.equal('evidence+jwt');
      const evidence = JSON.parse(new TextDecoder().decode(payload)) as {
        iss: string;
        exchangeId: string;
        subject: { idnr: string };
        data: Record<string, unknown>;
      };
      expect(evidence.iss).to.equal(MELDEBEHOERDE);
      expect(evidence.exchangeId).to.equal(body.exchangeId);
      expect(evidence.subject).to.deep.equal({ idnr: ERIKA });
      expect(Object.keys(evidence.data).sort()).to.deep.equal([...WOHNGELD_FIELDS].sort());
      const register = DEMO_CITIZENS[ERIKA as keyof typeof DEMO_CITIZENS] as unknown as Record<
        string,
        unknown
      >;
      for (const field of WOHNGELD_FIELDS) expect(evidence.data[field]).to.deep.equal(register[field]);

      // Intent before forwarding, then the release; never the IDNr in clear.
      const records = await g.recordsOf(body.exchangeId);
      expect(records.map((r) => r.outcome)).to.deep.equal(['intent', 'released']);
      const last = records[1]!;
      expect(last).to.include({ consumer: WOHNGELDSTELLE, provider: MELDEBEHOERDE, authenticated: true });
      expect(last.messageId).to.equal(claims['jti']);
      expect([...(last.fields ?? [])].sort()).to.deep.equal([...WOHNGELD_FIELDS].sort());
      expect(last.subjectRef).to.equal(g.gateway.subjectRef(ERIKA));
      expect(JSON.stringify(records)).not.to.include(ERIKA);
    });

    it("issues a receipt that verifies with the gateway's published key and proves the released record", async () => {
      const jwks = await g.request('GET', '/.well-known/jwks.json');
      const [jwk] = (jwks.json as { keys: JWK[] }).keys;
      const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      const verified = await verifyReceipt(released.receipt, key, { issuer: GATEWAY_ID });
      expect(verified.ok, JSON.stringify(verified)).to.equal(true);
      if (!verified.ok) return;
      const [, releasedRecord] = await g.recordsOf(released.exchangeId);
      expect(verified.receipt.exchangeId).to.equal(released.exchangeId);
      expect(verified.receipt.leafIndex).to.equal(releasedRecord!.index);
      const leaf = await g.gateway.logStore.leaf(releasedRecord!.index);
      expect(verified.receipt.leafHash).to.equal(leaf!.leafHash);

      // …and not with another key, nor once tampered with.
      const other = exampleSigner(WOHNGELDSTELLE).certificate.publicKey;
      expect((await verifyReceipt(released.receipt, other)).ok).to.equal(false);
      const claims = payloadOf(released.receipt);
      const forged = released.receipt.split('.');
      forged[1] = Buffer.from(JSON.stringify({ ...claims, leafIndex: 0 })).toString('base64url');
      expect((await verifyReceipt(forged.join('.'), key)).ok).to.equal(false);
    });

    it('refuses Max, who gave no consent, with 403 ERR_CONSENT_MISSING and logs the refusal', async () => {
      const claims = g.requestClaims({ subject: { idnr: MAX } });
      const answer = await g.sendJws(await g.signRequest(claims));
      expect({ status: answer.status, code: answer.json?.['code'] }).to.deep.equal({
        status: 403,
        code: 'ERR_CONSENT_MISSING',
      });
      const records = await g.recordsOfMessage(String(claims['jti']));
      expect(records.map((r) => [r.outcome, r.code])).to.deep.equal([['refused', 'ERR_CONSENT_MISSING']]);
      expect(records[0]!.subjectRef).to.equal(g.gateway.subjectRef(MAX));
    });
  });

  describe('GET /v1/evidence-requests/{exchangeId}', () => {
    it('shows the consumer its released exchange, with a receipt, to an agency-auth+jwt bearer', async () => {
      const answer = await g.request('GET', `/v1/evidence-requests/${released.exchangeId}`, {
        bearer: await g.agencyToken(WOHNGELDSTELLE),
      });
      expect(answer.status, answer.text).to.equal(200);
      expect(answer.json).to.include({ exchangeId: released.exchangeId, status: 'released' });
      const key = g.gateway.signer.certificate.publicKey;
      const verified = await verifyReceipt(String(answer.json?.['receipt']), key);
      expect(verified.ok).to.equal(true);
    });

    it('shows the consumer its refused exchange with the code', async () => {
      const claims = g.requestClaims({ subject: { idnr: MAX } });
      await g.sendJws(await g.signRequest(claims));
      const [record] = await g.recordsOfMessage(String(claims['jti']));
      const answer = await g.request('GET', `/v1/evidence-requests/${record!.exchangeId}`, {
        bearer: await g.agencyToken(WOHNGELDSTELLE),
      });
      expect(answer.status).to.equal(200);
      expect(answer.json).to.include({ status: 'refused', code: 'ERR_CONSENT_MISSING' });
    });

    it('answers another agency with 404 ERR_NOT_FOUND, identical to an unknown exchange id', async () => {
      const other = await g.request('GET', `/v1/evidence-requests/${released.exchangeId}`, {
        bearer: await g.agencyToken(ELTERNGELDSTELLE),
      });
      const unknown = await g.request('GET', '/v1/evidence-requests/0b7e6a4c-1d2f-4e3a-9b8c-7d6e5f4a3b2c', {
        bearer: await g.agencyToken(ELTERNGELDSTELLE),
      });
      expect(other.status).to.equal(404);
      expect(other.json?.['code']).to.equal('ERR_NOT_FOUND');
      expect(withoutInstance(other.json)).to.deep.equal(withoutInstance(unknown.json));
      expect(other.json).not.to.have.property('status', 'released');
    });

    it('refuses a missing, replayed, over-long or wrongly typed agency bearer, with 401 ERR_AUTH', async () => {
      const path = `/v1/evidence-requests/${released.exchangeId}`;
      const once = await g.agencyToken(WOHNGELDSTELLE);
      expect((await g.request('GET', path, { bearer: once })).status).to.equal(200);
      const iat = Math.floor(g.clock.nowMs() / 1000);
      const bearers = [
        undefined,
        once,
        await g.agencyToken(WOHNGELDSTELLE, { exp: iat + 301 }),
        await g.agencyToken(WOHNGELDSTELLE, { aud: 'oog:another-gateway' }),
        await g.signRequest(),
      ];
      for (const bearer of bearers) {
        const answer = await g.request('GET', path, bearer === undefined ? {} : { bearer });
        expect({ status: answer.status, code: answer.json?.['code'] }).to.deep.equal({
          status: 401,
          code: 'ERR_AUTH',
        });
        expect(JSON.stringify(answer.json)).not.to.include('released');
      }
    });
  });

  describe('operations', () => {
    it('answers /healthz and /readyz with 200', async () => {
      const health = await g.request('GET', '/healthz');
      expect(health.status).to.equal(200);
      expect(health.json).to.include({ status: 'ok' });
      const ready = await g.request('GET', '/readyz');
      expect(ready.status).to.equal(200);
      expect(ready.json).to.deep.include({ status: 'ready' });
    });

    it('serves Prometheus metrics that count the exchanges answered', async () => {
      const answer = await g.request('GET', '/metrics');
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('content-type')).to.match(/^text\/plain/);
      expect(answer.text).to.match(/^oog_http_requests_total\{[^}]*status="200"[^}]*\} [1-9]/m);
      expect(answer.text).to.match(/^oog_http_requests_total\{[^}]*status="403"[^}]*\} [1-9]/m);
    });

    it("publishes the gateway's public signing key, and no private member, in /.well-known/jwks.json", async () => {
      const answer = await g.request('GET', '/.well-known/jwks.json');
      expect(answer.status).to.equal(200);
      const { keys } = answer.json as { keys: JWK[] };
      expect(keys.map((k) => k.kid)).to.deep.equal([g.gateway.signer.kid]);
      for (const name of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(keys[0]).not.to.have.property(name);
    });
  });
});
