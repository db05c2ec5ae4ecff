/**
 * Issue 3 "Bad input": nothing reaches the provider and nothing is recorded as released. The XÖV reader,
 * forwarder and evidence verifier plugged into the real exchange pipeline (createExchange) with the example PKI,
 * an in-memory replay store and log, and a fake XÖV connector that answers as the Standesamt would.
 */
import { expect } from 'chai';
import { createHmac, randomUUID } from 'node:crypto';
import {
  buildXoevRequest,
  claimedOfXoev,
  createXoevEvidenceVerifier,
  createXoevForwardedRequestVerifier,
  createXoevForwarder,
  createXoevRequestReader,
  signXoev,
  signXoevEvidence,
} from '../../gateway/core/envelope/xoev/index.js';
import { GatewayError } from '../../gateway/core/errors.js';
import { createExchange } from '../../gateway/core/exchange/index.js';
import type { EvidenceRequest, ExchangeDeps, ReleasedExchange } from '../../gateway/core/exchange/types.js';
import type { Connector, ForwardedMessage, TransferRecord } from '../../gateway/core/ports.js';
import {
  exampleSigner,
  exampleTrust,
  fixedClock,
  GATEWAY_ID,
  keyInfoOf,
  NOW_MS,
  refusalOf,
  requestContent,
  requestHeader,
  SCHEMAS,
  signRaw,
} from '../unit/xoev/xoev-fixtures.js';

const clock = fixedClock();
const trust = exampleTrust(clock);
const consumer = exampleSigner('ags:09999002');
const standesamt = exampleSigner('psw:09999001');
const FIELDS = ['kind', 'geburtsdatum', 'geburtsort', 'eltern'];

interface Harness {
  readonly submit: (body: string) => Promise<ReleasedExchange>;
  readonly records: TransferRecord[];
  readonly sent: ForwardedMessage[];
}

function harness(options: { production?: boolean; overShare?: boolean } = {}): Harness {
  const records: TransferRecord[] = [];
  const sent: ForwardedMessage[] = [];
  const seen = new Set<string>();
  const providerView = createXoevForwardedRequestVerifier({
    trust,
    clock,
    providerId: 'psw:09999001',
    schemas: SCHEMAS,
  });
  const connector: Connector = {
    kind: 'http-xoev',
    async send(message) {
      sent.push(message);
      const forwarded = await providerView(message.body);
      const data: Record<string, unknown> = {
        kind: { familienname: 'Mustermann', vornamen: 'Erika' },
        geburtsdatum: '1964-08-12',
      };
      if (options.overShare) data.geburtsort = 'Musterstadt';
      const body = signXoevEvidence(
        { signer: standesamt, clock, name: 'Standesamt Musterstadt' },
        { to: { id: GATEWAY_ID, name: 'Gateway' }, test: forwarded.test },
        {
          exchangeId: forwarded.claims.exchangeId,
          requestDigest: forwarded.requestDigest,
          evidenceType: forwarded.claims.evidenceType,
          subjectIdnr: forwarded.claims.subjectIdnr,
          data,
        },
      );
      return { contentType: 'application/xml', body };
    },
  };
  const forward = createXoevForwarder({ signer: exampleSigner(GATEWAY_ID), clock });
  const verify = createXoevEvidenceVerifier({ trust, clock, gatewayId: GATEWAY_ID, schemas: SCHEMAS });
  const reader = createXoevRequestReader({ trust, clock, gatewayId: GATEWAY_ID, schemas: SCHEMAS });
  const deps: ExchangeDeps = {
    clock,
    trust,
    replay: {
      async remember(issuer, messageId) {
        const key = `${issuer} ${messageId}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      },
    },
    formats: {
      xoev: { read: reader, signForwarded: forward, verifyAnswer: verify },
      json: {
        read: async () => {
          throw new GatewayError('ERR_MEDIA_TYPE');
        },
        signForwarded: async () => {
          throw new Error('json provider in an XÖV test');
        },
        verifyAnswer: async () => {
          throw new Error('json provider in an XÖV test');
        },
      },
    },
    claimedOf: claimedOfXoev,
    evaluatePolicy: (request: EvidenceRequest) =>
      request.consumer === 'ags:09999002' && request.evidenceType === 'geburtsurkunde'
        ? {
            permit: true,
            policy: { id: 'elterngeld-geburtsurkunde', version: '1', hash: 'h'.repeat(43) },
            provider: 'psw:09999001',
            legalBasis: '§ 9 BEEG',
            fields: (request.fields ?? FIELDS).filter((f) => FIELDS.includes(f)),
            consentRequired: false,
            previewRequired: false,
            previewTimeoutMinutes: 60,
            retention: 'P2Y',
          }
        : { permit: false, code: 'ERR_POLICY_DENIED', reason: 'no policy' },
    checkConsent: async () => ({ ok: true, consentId: 'c1', singleUse: false }),
    claimConsent: async () => true,
    subjectRef: (idnr) => createHmac('sha256', 'k').update(idnr).digest('base64url'),
    connectors: { 'http-xoev': connector },
    log: {
      async append(record) {
        records.push(record);
        return { index: records.length - 1, leafHash: 'x' };
      },
      async receipt() {
        return 'receipt';
      },
    },
    guardRelease: async (_consentId, _exchangeId, release) => ({ ok: true, value: await release() }),
    holdForPreview: async () => {
      throw new Error('no preview in this harness');
    },
    newId: randomUUID,
    providerTimeoutMs: 5_000,
    production: options.production ?? false,
  };
  const exchange = createExchange(deps);
  return { submit: (body) => exchange.submit('xoev', body) as Promise<ReleasedExchange>, records, sent };
}

function request(
  header: Parameters<typeof requestHeader>[0] = {},
  fields = ['kind', 'geburtsdatum'],
): string {
  return buildXoevRequest(requestHeader(header), requestContent({ fields }));
}

describe('the exchange with XÖV messages', () => {
  it('releases the Standesamt’s own signed XÖV evidence for a valid request (control)', async () => {
    const h = harness();
    const result = await h.submit(signXoev(consumer, request()));
    expect(result.status).to.equal('released');
    expect(result.evidence).to.include('<oog:nachweisantwort.0201').and.include('<ds:Signature');
    expect(h.sent).to.have.lengthOf(1);
    expect(h.records.map((r) => r.outcome)).to.deep.equal(['intent', 'released']);
    expect(h.records[1]).to.include({ format: 'xoev', consumer: 'ags:09999002', authenticated: true });
    expect(h.records[1]!.fields).to.deep.equal(['kind', 'geburtsdatum']);
  });

  const SIGNATURE = /<ds:Signature[\s\S]*<\/ds:Signature>/;
  const bad: [string, () => string, string][] = [
    ['an unsigned message', () => request(), 'ERR_SIG_INVALID'],
    [
      'a message signed by another agency for the victim, no KeyInfo',
      () => signRaw(request(), { privateKey: exampleSigner('ags:09999003').privateKey }),
      'ERR_SIG_INVALID',
    ],
    [
      'a message signed by another agency for the victim, KeyInfo naming its key',
      () => {
        const other = exampleSigner('ags:09999003');
        return signRaw(request(), { privateKey: other.privateKey, keyInfo: keyInfoOf(other) });
      },
      'ERR_TRUST_SENDER_MISMATCH',
    ],
    [
      'a message signed with an expired key',
      () => {
        const expired = exampleSigner('ags:09999001', 'expired');
        return signRaw(request({ autor: { id: 'ags:09999001', name: 'x' } }), {
          privateKey: expired.privateKey,
          keyInfo: keyInfoOf(expired),
        });
      },
      'ERR_TRUST_CERT',
    ],
    [
      'the signed body moved into ds:Object with a forged one in its place',
      () => {
        const genuine = signXoev(consumer, request());
        const body = genuine.replace(/^<\?xml[^>]*>\n/, '').replace(SIGNATURE, '');
        return genuine
          .replace('93141705862', '20561748335')
          .replace('</ds:KeyInfo>', `</ds:KeyInfo><ds:Object>${body}</ds:Object>`);
      },
      'ERR_SIG_INVALID',
    ],
    [
      'a DOCTYPE',
      () => `<!DOCTYPE x>${signXoev(consumer, request()).replace(/^<\?xml[^>]*>\n/, '')}`,
      'ERR_REQUEST_MALFORMED',
    ],
    ['a stale message', () => signXoev(consumer, request({ issuedAtMs: NOW_MS - 3_600_000 })), 'ERR_STALE'],
    [
      'a message to another gateway',
      () => signXoev(consumer, request({ leser: { id: 'oog:other', name: 'x' } })),
      'ERR_AUTH',
    ],
    [
      'a schema-invalid message',
      () => signXoev(consumer, request().replace('<oog:akteur>', '<oog:x/><oog:akteur>')),
      'ERR_SCHEMA',
    ],
  ];
  for (const [what, make, code] of bad) {
    it(`refuses ${what} with ${code}: nothing forwarded, nothing released`, async () => {
      const h = harness();
      expect((await refusalOf(h.submit(make()))).code).to.equal(code);
      expect(h.sent).to.have.lengthOf(0);
      expect(h.records.map((r) => r.outcome)).not.to.include.members(['intent', 'released']);
      for (const record of h.records) expect(record).to.include({ outcome: 'refused', code });
    });
  }

  it('logs a refused message it could read, and nothing for one it could not parse', async () => {
    const h = harness();
    await refusalOf(h.submit(signXoev(consumer, request({ issuedAtMs: NOW_MS - 3_600_000 }))));
    expect(h.records).to.have.lengthOf(1);
    expect(h.records[0]).to.include({
      consumer: 'ags:09999002',
      evidenceType: 'geburtsurkunde',
      code: 'ERR_STALE',
    });
    await refusalOf(h.submit('<!DOCTYPE x><x/>'));
    expect(h.records).to.have.lengthOf(1);
  });

  it('refuses a reused nachrichtenUUID, also in upper case, with ERR_REPLAY', async () => {
    const h = harness();
    const id = 'c0ffee00-1234-4abc-8def-0123456789ab';
    await h.submit(signXoev(consumer, request({ messageId: id })));
    expect((await refusalOf(h.submit(signXoev(consumer, request({ messageId: id }))))).code).to.equal(
      'ERR_REPLAY',
    );
    const upper = request({ messageId: id }).replace(id, id.toUpperCase());
    expect((await refusalOf(h.submit(signXoev(consumer, upper)))).code).to.equal('ERR_REPLAY');
    expect(h.sent).to.have.lengthOf(1);
    expect(h.records.filter((r) => r.outcome === 'released')).to.have.lengthOf(1);
  });

  it('never answers a test message on a production gateway, with ERR_POLICY_DENIED', async () => {
    const h = harness({ production: true });
    expect((await refusalOf(h.submit(signXoev(consumer, request({ test: true }))))).code).to.equal(
      'ERR_POLICY_DENIED',
    );
    expect(h.sent).to.have.lengthOf(0);
  });

  it('refuses an over-sharing provider, with ERR_PROVIDER_RESPONSE: forwarded, but nothing released', async () => {
    const h = harness({ overShare: true });
    expect((await refusalOf(h.submit(signXoev(consumer, request())))).code).to.equal('ERR_PROVIDER_RESPONSE');
    expect(h.sent).to.have.lengthOf(1);
    expect(h.records.map((r) => r.outcome)).to.deep.equal(['intent', 'refused']);
  });
});
