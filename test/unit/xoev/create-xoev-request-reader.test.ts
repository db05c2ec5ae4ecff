import { expect } from 'chai';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  buildXoevRequest,
  claimedOfXoev,
  createXoevRequestReader,
  ECDSA_SHA256,
  ECDSA_SHA384,
  RSA_PSS_SHA256,
  RSA_SHA256,
  RSA_SHA512,
  SHA512,
  signXoev,
  type XmlSignatureAlgorithm,
} from '../../../gateway/core/envelope/xoev/index.js';
import type { Role } from '../../../gateway/core/ports.js';
import { createFakeTrustStore, makeParty, testCertificate, type Party } from '../envelope/fake-trust.js';
import {
  exampleSigner,
  exampleTrust,
  fixedClock,
  GATEWAY_ID,
  NOW_MS,
  refusalOf,
  requestContent,
  requestHeader,
  SCHEMAS,
  signedRequest,
  signRaw,
  toXInneresHeader,
} from './xoev-fixtures.js';

const clock = fixedClock();
const trust = exampleTrust(clock);
const read = createXoevRequestReader({ trust, clock, gatewayId: GATEWAY_ID, schemas: SCHEMAS });
const elterngeld = exampleSigner('ags:09999002');

/** A party of the fake trust store with a key of our choosing. */
function partyWith(id: string, publicKey: KeyObject, roles: readonly Role[] = ['consumer']): Party {
  const kid = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
  const base = makeParty(id, roles);
  return { ...base, resolved: { kid, participantId: id, publicKey, certificate: testCertificate } };
}

describe('createXoevRequestReader', () => {
  it('reads a signed nachweisanfrage.0101 into the format-neutral request', async () => {
    const messageId = '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f';
    const request = await read(signedRequest({ header: { messageId } }));
    expect(request).to.deep.equal({
      format: 'xoev',
      consumer: 'ags:09999002',
      messageId,
      issuedAt: (NOW_MS - 5_000) / 1000,
      replayUntil: (NOW_MS - 5_000) / 1000 + 300 + 60 + 1,
      evidenceType: 'geburtsurkunde',
      provider: 'psw:09999001',
      subjectIdnr: '93141705862',
      purpose: 'elterngeld-antrag',
      procedure: { reference: 'EG-2030/0815', service: '99041008000000' },
      actor: 'sachbearbeitung-3',
      consentId: 'c-2030-0001',
      fields: ['kind', 'geburtsdatum', 'eltern'],
      test: false,
    });
  });

  it('leaves optional claims out when the message has none', async () => {
    const request = await read(
      signedRequest({
        content: {
          provider: undefined,
          consentId: undefined,
          fields: undefined,
          procedure: { reference: 'A-1' },
        },
      }),
    );
    expect(request).not.to.have.any.keys('provider', 'consentId', 'fields');
    expect(request.procedure).to.deep.equal({ reference: 'A-1' });
  });

  it('accepts the second key of a participant during a rotation', async () => {
    const rotated = exampleSigner('ags:09999001', 'rotated');
    expect((await read(signedRequest({ signer: rotated }))).consumer).to.equal('ags:09999001');
  });

  it('honours the test attribute', async () => {
    expect((await read(signedRequest({ header: { test: true } }))).test).to.equal(true);
  });

  it('maps the older XInneres header (praefix + kennung) to the same participant ids', async () => {
    const header = requestHeader();
    const legacy = toXInneresHeader(buildXoevRequest(header, requestContent()));
    expect(legacy).to.include('<behoerdenkennung>').and.not.include('nachrichtenkopf.g2g');
    const request = await read(signXoev(elterngeld, legacy));
    expect(request.consumer).to.equal('ags:09999002');
    expect(request.messageId).to.equal(header.messageId);
  });

  it('refuses an XInneres header that names another leser, with ERR_AUTH', async () => {
    const legacy = toXInneresHeader(
      buildXoevRequest(requestHeader({ leser: { id: 'oog:other-gateway', name: 'x' } }), requestContent()),
    );
    expect((await refusalOf(read(signXoev(elterngeld, legacy)))).code).to.equal('ERR_AUTH');
  });

  it('returns an upper-case nachrichtenUUID in lower case, so the replay key is canonical', async () => {
    const id = '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f';
    const xml = buildXoevRequest(requestHeader({ messageId: id }), requestContent()).replace(
      id,
      id.toUpperCase(),
    );
    expect((await read(signXoev(elterngeld, xml))).messageId).to.equal(id);
  });

  describe('freshness', () => {
    it('refuses an erstellungszeitpunkt older than 300 s, with ERR_STALE', async () => {
      const xml = signedRequest({ header: { issuedAtMs: NOW_MS - 301_000 } });
      expect((await refusalOf(read(xml))).code).to.equal('ERR_STALE');
    });

    it('refuses an erstellungszeitpunkt more than 60 s ahead, with ERR_STALE', async () => {
      const xml = signedRequest({ header: { issuedAtMs: NOW_MS + 61_000 } });
      expect((await refusalOf(read(xml))).code).to.equal('ERR_STALE');
    });

    it('accepts the edges of the window (300 s old, 60 s ahead)', async () => {
      await read(signedRequest({ header: { issuedAtMs: NOW_MS - 300_000 } }));
      await read(signedRequest({ header: { issuedAtMs: NOW_MS + 60_000 } }));
    });

    it('refuses an erstellungszeitpunkt without time zone, with ERR_STALE', async () => {
      const header = requestHeader();
      const iso = new Date(header.issuedAtMs).toISOString();
      const xml = buildXoevRequest(header, requestContent()).replace(iso, iso.slice(0, -1));
      expect((await refusalOf(read(signXoev(elterngeld, xml)))).code).to.equal('ERR_STALE');
    });

    it('reads an offset time zone correctly', async () => {
      const header = requestHeader();
      const iso = new Date(header.issuedAtMs).toISOString();
      const local = new Date(header.issuedAtMs + 2 * 3600_000).toISOString().slice(0, -1) + '+02:00';
      const xml = buildXoevRequest(header, requestContent()).replace(iso, local);
      expect((await read(signXoev(elterngeld, xml))).issuedAt).to.equal(header.issuedAtMs / 1000);
    });
  });

  describe('addressing and sender', () => {
    it('refuses a message whose leser is not this gateway, with ERR_AUTH', async () => {
      const xml = signedRequest({ header: { leser: { id: 'oog:other-gateway', name: 'Other' } } });
      expect((await refusalOf(read(xml))).code).to.equal('ERR_AUTH');
    });

    it('refuses a leser that is not in the DVDV (so not this gateway), with ERR_AUTH', async () => {
      const xml = buildXoevRequest(requestHeader(), requestContent()).replace(
        /(<bn-g2g:leser>\s*<bn-beh:verzeichnisdienst[^>]*>\s*<code>)DVDV/,
        '$1DVDV2',
      );
      expect((await refusalOf(read(signXoev(elterngeld, xml)))).code).to.equal('ERR_AUTH');
    });

    it('refuses an autor that is not a participant id, with ERR_IDENTIFIER', async () => {
      const xml = buildXoevRequest(requestHeader(), requestContent()).replace(
        '<bn-beh:kennung>ags:09999002</bn-beh:kennung>',
        '<bn-beh:kennung>AGS 09999002</bn-beh:kennung>',
      );
      expect((await refusalOf(read(signXoev(elterngeld, xml)))).code).to.equal('ERR_IDENTIFIER');
    });

    it('refuses an autor the trust store does not know, with ERR_TRUST_UNKNOWN_SENDER', async () => {
      const xml = signedRequest({ header: { autor: { id: 'ags:09999099', name: 'Unbekannt' } } });
      expect((await refusalOf(read(xml))).code).to.equal('ERR_TRUST_UNKNOWN_SENDER');
    });

    it('refuses a sender without the consumer role, with ERR_TRUST_SENDER_MISMATCH', async () => {
      const xml = signedRequest({ signer: exampleSigner('psw:09999001') });
      expect((await refusalOf(read(xml))).code).to.equal('ERR_TRUST_SENDER_MISMATCH');
    });
  });

  describe('content', () => {
    it('refuses an IDNr with a wrong check digit, with ERR_IDENTIFIER (not ERR_SCHEMA)', async () => {
      const xml = signedRequest({ content: { subjectIdnr: '93141705863' } });
      expect((await refusalOf(read(xml))).code).to.equal('ERR_IDENTIFIER');
    });

    it('refuses an IDNr in fullwidth digits, with ERR_IDENTIFIER', async () => {
      const xml = signedRequest({ content: { subjectIdnr: '９３１４１７０５８６２' } });
      expect((await refusalOf(read(xml))).code).to.equal('ERR_IDENTIFIER');
    });

    it('refuses a provider that is not a participant id, with ERR_IDENTIFIER', async () => {
      const xml = signedRequest({ content: { provider: 'Standesamt' } });
      expect((await refusalOf(read(xml))).code).to.equal('ERR_IDENTIFIER');
    });

    it('refuses an element the schema does not know, with ERR_SCHEMA', async () => {
      const xml = buildXoevRequest(requestHeader(), requestContent()).replace(
        '<oog:zweck>',
        '<oog:prioritaet>hoch</oog:prioritaet>\n    <oog:zweck>',
      );
      expect((await refusalOf(read(signXoev(elterngeld, xml)))).code).to.equal('ERR_SCHEMA');
    });

    it('refuses a field listed twice, with ERR_SCHEMA', async () => {
      const xml = signedRequest({ content: { fields: ['kind', 'kind'] } });
      expect((await refusalOf(read(xml))).code).to.equal('ERR_SCHEMA');
    });

    it('refuses a nachrichtentyp of another code list, with ERR_SCHEMA', async () => {
      const xml = buildXoevRequest(requestHeader(), requestContent()).replace(
        'urn:oog:codeliste:nachrichtentyp',
        'urn:xoev-de:xwasser:codeliste:nachrichtentyp',
      );
      expect((await refusalOf(read(signXoev(elterngeld, xml)))).code).to.equal('ERR_SCHEMA');
    });

    it('refuses a nachrichtentyp code that does not match the message, with ERR_SCHEMA', async () => {
      const xml = buildXoevRequest(requestHeader(), requestContent()).replace(
        '<code>0101</code>',
        '<code>0201</code>',
      );
      expect((await refusalOf(read(signXoev(elterngeld, xml)))).code).to.equal('ERR_SCHEMA');
    });

    it('refuses another message type (a rejection) on the request route, with ERR_SCHEMA', async () => {
      const xml = buildXoevRequest(requestHeader(), requestContent()).replace(
        /nachweisanfrage\.0101/g,
        'rueckweisung.0901',
      );
      expect((await refusalOf(read(signXoev(elterngeld, xml)))).code).to.equal('ERR_SCHEMA');
    });

    it('refuses xsi:type, which could switch the content model, with ERR_SCHEMA', async () => {
      const xml = buildXoevRequest(requestHeader(), requestContent()).replace(
        '<oog:nachrichteninhalt>',
        '<oog:nachrichteninhalt xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="oog:Nachweisantwort.InhaltType">',
      );
      expect((await refusalOf(read(signXoev(elterngeld, xml)))).code).to.equal('ERR_SCHEMA');
    });
  });

  describe('algorithms (fake trust store with real keys)', () => {
    const cases: [string, XmlSignatureAlgorithm, () => { publicKey: KeyObject; privateKey: KeyObject }][] = [
      ['ecdsa-sha256', ECDSA_SHA256, () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
      ['ecdsa-sha384', ECDSA_SHA384, () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
      ['rsa-sha256', RSA_SHA256, () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
      ['rsa-sha512', RSA_SHA512, () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
      ['RSA-PSS', RSA_PSS_SHA256, () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ];
    for (const [name, algorithm, generate] of cases) {
      it(`accepts ${name} with SHA-512 digests`, async () => {
        const keys = generate();
        const fakeTrust = createFakeTrustStore([partyWith('ags:09999002', keys.publicKey)]);
        const reader = createXoevRequestReader({
          trust: fakeTrust,
          clock,
          gatewayId: GATEWAY_ID,
          schemas: SCHEMAS,
        });
        const xml = signRaw(buildXoevRequest(requestHeader(), requestContent()), {
          privateKey: keys.privateKey,
          algorithm,
          digest: SHA512,
        });
        expect((await reader(xml)).consumer).to.equal('ags:09999002');
      });
    }

    it('signs and reads back a PS256 signer (RSA-PSS)', async () => {
      const party = makeParty('ags:09999002', ['consumer'], 'PS256');
      const fakeTrust = createFakeTrustStore([party]);
      const reader = createXoevRequestReader({
        trust: fakeTrust,
        clock,
        gatewayId: GATEWAY_ID,
        schemas: SCHEMAS,
      });
      const xml = signXoev(party.signer, buildXoevRequest(requestHeader(), requestContent()));
      expect(xml).to.include(RSA_PSS_SHA256);
      expect((await reader(xml)).consumer).to.equal('ags:09999002');
    });

    it('refuses an algorithm the options leave out, with ERR_SIG_INVALID', async () => {
      const reader = createXoevRequestReader({
        trust,
        clock,
        gatewayId: GATEWAY_ID,
        schemas: SCHEMAS,
        signatureAlgorithms: [RSA_PSS_SHA256],
      });
      expect((await refusalOf(reader(signedRequest()))).code).to.equal('ERR_SIG_INVALID');
    });

    it('refuses an RSA key shorter than 2048 bits, with ERR_SIG_INVALID', async () => {
      const keys = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const fakeTrust = createFakeTrustStore([partyWith('ags:09999002', keys.publicKey)]);
      const reader = createXoevRequestReader({
        trust: fakeTrust,
        clock,
        gatewayId: GATEWAY_ID,
        schemas: SCHEMAS,
      });
      const xml = signRaw(buildXoevRequest(requestHeader(), requestContent()), {
        privateKey: keys.privateKey,
        algorithm: RSA_SHA256,
        libraryAlgorithm: true,
      });
      expect((await refusalOf(reader(xml))).code).to.equal('ERR_SIG_INVALID');
    });

    it('refuses an ecdsa-sha256 signature made with a P-384 key, with ERR_SIG_INVALID', async () => {
      const keys = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      class Sha256OnAnyCurve {
        getSignature(data: string, key: KeyObject): string {
          return sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }).toString('base64');
        }
        verifySignature(): boolean {
          return false;
        }
        getAlgorithmName(): string {
          return ECDSA_SHA256;
        }
      }
      const fakeTrust = createFakeTrustStore([partyWith('ags:09999002', keys.publicKey)]);
      const reader = createXoevRequestReader({
        trust: fakeTrust,
        clock,
        gatewayId: GATEWAY_ID,
        schemas: SCHEMAS,
      });
      const xml = signRaw(buildXoevRequest(requestHeader(), requestContent()), {
        privateKey: keys.privateKey,
        algorithm: ECDSA_SHA256,
        algorithmClass: Sha256OnAnyCurve as never,
      });
      expect((await refusalOf(reader(xml))).code).to.equal('ERR_SIG_INVALID');
    });
  });

  describe('claimedOfXoev', () => {
    it('names what a refused signed message claimed, for the log', async () => {
      const xml = signedRequest({
        header: { issuedAtMs: NOW_MS - 3_600_000, messageId: 'aa1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f' },
      });
      const error = await refusalOf(read(xml));
      expect(error.code).to.equal('ERR_STALE');
      expect(claimedOfXoev(error)).to.deep.equal({
        consumer: 'ags:09999002',
        messageId: 'aa1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
        evidenceType: 'geburtsurkunde',
        purpose: 'elterngeld-antrag',
      });
    });

    it('names nothing for a document that could not be parsed (nothing to log)', async () => {
      const error = await refusalOf(read('<!DOCTYPE x><x/>'));
      expect(error.code).to.equal('ERR_REQUEST_MALFORMED');
      expect(claimedOfXoev(error)).to.equal(undefined);
    });
  });

  it('refuses bad options at construction', () => {
    expect(() => createXoevRequestReader({ trust, clock, gatewayId: 'gateway', schemas: SCHEMAS })).to.throw(
      TypeError,
    );
    expect(() =>
      createXoevRequestReader({ trust, clock, gatewayId: GATEWAY_ID, schemas: SCHEMAS, maxBytes: 0 }),
    ).to.throw(TypeError);
    expect(() =>
      createXoevRequestReader({
        trust,
        clock,
        gatewayId: GATEWAY_ID,
        schemas: SCHEMAS,
        signatureAlgorithms: ['http://www.w3.org/2000/09/xmldsig#hmac-sha1' as XmlSignatureAlgorithm],
      }),
    ).to.throw(TypeError);
  });
});
