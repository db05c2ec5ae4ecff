/**
 * Issue 3 end to end: XÖV evidence requests through the real gateway (gateway/main.ts, real HTTP, SQLite, the
 * example PKI and the demo Meldebehörde / Standesamt). Success answers carry the provider's own signed evidence;
 * refusals come back as a signed XÖV `rueckweisung` (docs/xoev.md) or, if the sender is unknown, as problem+json.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { compactVerify } from 'jose';
import { SignedXml } from 'xml-crypto';
import {
  buildXoevRequest,
  DSIG_NS,
  signXoev,
  signXoevRequest,
  XML_SIGNATURE_ALGORITHMS,
  xmlCryptoAlgorithm,
} from '../../gateway/core/envelope/xoev/index.js';
import type { XmlSignatureAlgorithm, XoevRequestContent } from '../../gateway/core/envelope/xoev/index.js';
import type { Signer } from '../../gateway/core/ports.js';
import {
  ELTERNGELDSTELLE,
  ERIKA,
  exampleSigner,
  GATEWAY_ID,
  MELDEBEHOERDE,
  ORDNUNGSAMT,
  STANDESAMT,
  startTestGateway,
} from '../helpers/start-test-gateway.js';
import type { HttpAnswer, TestGateway } from '../helpers/start-test-gateway.js';

const consumer = exampleSigner(ELTERNGELDSTELLE);
const GATEWAY = { id: GATEWAY_ID, name: 'Once-Only Gateway (Demo)' };

function meldebescheinigung(overrides: Partial<XoevRequestContent> = {}): XoevRequestContent {
  return {
    evidenceType: 'meldebescheinigung',
    provider: MELDEBEHOERDE,
    subjectIdnr: ERIKA,
    purpose: 'elterngeld-antrag',
    procedure: { reference: 'EG-2026/0815' },
    actor: 'sachbearbeitung-3',
    ...overrides,
  };
}

function signedRequest(
  gw: TestGateway,
  content: XoevRequestContent = meldebescheinigung(),
  options: { signer?: Signer; to?: { id: string; name: string }; messageId?: string } = {},
): string {
  return signXoevRequest(
    { signer: options.signer ?? consumer, clock: gw.clock },
    { to: options.to ?? GATEWAY, messageId: options.messageId },
    content,
  );
}

function sendXml(gw: TestGateway, xml: string, accept?: string): Promise<HttpAnswer> {
  return accept === undefined
    ? gw.request('POST', '/v1/evidence-requests', { body: xml, contentType: 'application/xml' })
    : fetch(`${gw.url}/v1/evidence-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml', accept },
        body: xml,
      }).then(async (r) => {
        const text = await r.text();
        return { status: r.status, headers: r.headers, text, json: undefined };
      });
}

async function giveConsent(gw: TestGateway, evidenceType: string): Promise<void> {
  const answer = await gw.request('POST', '/v1/me/consents', {
    bearer: await gw.citizenToken(ERIKA),
    json: { consumer: ELTERNGELDSTELLE, evidenceTypes: [evidenceType], purpose: 'elterngeld-antrag' },
  });
  expect(answer.status).to.equal(201);
}

/** Checks the XMLDSig of a rueckweisung against the gateway's certificate with xml-crypto; returns the XML document. */
function verifiedRejection(gw: TestGateway, xml: string): Document {
  const doc = new DOMParser().parseFromString(xml, 'application/xml') as unknown as Document;
  const signature = doc.getElementsByTagNameNS(DSIG_NS, 'Signature')[0];
  expect(signature, 'ds:Signature').to.not.equal(undefined);
  const method = signature!.getElementsByTagNameNS(DSIG_NS, 'SignatureMethod')[0]!.getAttribute('Algorithm')!;
  // The key pinned from the gateway's certificate; whatever KeyInfo says is ignored.
  const verifier = new SignedXml({
    publicCert: gw.gateway.signer.certificate.publicKey,
    getCertFromKeyInfo: () => null,
  });
  expect(XML_SIGNATURE_ALGORITHMS as readonly string[]).to.include(method);
  verifier.SignatureAlgorithms = {
    ...verifier.SignatureAlgorithms,
    [method]: xmlCryptoAlgorithm(method as XmlSignatureAlgorithm),
  };
  verifier.loadSignature(signature as unknown as Node);
  expect(verifier.checkSignature(xml)).to.equal(true);
  return doc;
}

function textOf(doc: Document | Element, localName: string): string | undefined {
  const nodes = doc.getElementsByTagNameNS('*', localName);
  return nodes.length === 0 ? undefined : (nodes[0]!.textContent ?? undefined);
}

/** The PROTOCOL.md §6 code of a rueckweisung (oog:fehlercode/code). */
function fehlercodeOf(doc: Document): string | undefined {
  const fehlercode = doc.getElementsByTagNameNS('*', 'fehlercode')[0];
  return fehlercode === undefined ? undefined : textOf(fehlercode, 'code');
}

/** The refusal's code, from an XÖV rueckweisung (signature checked) or from a problem document. */
function codeOf(gw: TestGateway, answer: HttpAnswer): string | undefined {
  if (/^application\/xml/.test(answer.headers.get('content-type') ?? '')) {
    return fehlercodeOf(verifiedRejection(gw, answer.text));
  }
  expect(answer.headers.get('content-type')).to.match(/^application\/problem\+json/);
  return (JSON.parse(answer.text) as { code?: string }).code;
}

async function outcomesOf(gw: TestGateway, messageId: string): Promise<string[]> {
  return (await gw.recordsOfMessage(messageId)).map((r) => r.outcome);
}

describe('XÖV evidence requests through the gateway (issue 3)', function () {
  this.timeout(30_000);

  describe('with the demo Meldebehörde', () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway();
    });
    after(async () => gw?.close());

    it('refuses the Meldebescheinigung without consent with a signed rueckweisung carrying ERR_CONSENT_MISSING', async () => {
      const messageId = randomUUID();
      const answer = await sendXml(gw, signedRequest(gw, meldebescheinigung(), { messageId }));
      expect(answer.status).to.equal(403);
      expect(answer.headers.get('content-type')).to.match(/^application\/xml/);
      const doc = verifiedRejection(gw, answer.text);
      expect(doc.documentElement.localName).to.equal('rueckweisung.0901');
      expect(fehlercodeOf(doc)).to.equal('ERR_CONSENT_MISSING');
      expect(textOf(doc, 'bezugNachrichtenUUID')).to.equal(messageId);
      expect(textOf(doc, 'beschreibung')).to.match(/^urn:uuid:[0-9a-f-]{36}/);
      expect(answer.text).to.include(ELTERNGELDSTELLE);
      expect(await outcomesOf(gw, messageId)).to.deep.equal(['refused']);
    });

    for (const accept of [
      'application/problem+json',
      'application/json',
      'application/xml;q=0.5, application/problem+json',
    ]) {
      it(`answers the same refusal as problem+json for Accept: ${accept}`, async () => {
        const answer = await sendXml(gw, signedRequest(gw), accept);
        expect(answer.status).to.equal(403);
        expect(answer.headers.get('content-type')).to.match(/^application\/problem\+json/);
        const problem = JSON.parse(answer.text) as { code: string; instance: string };
        expect(problem.code).to.equal('ERR_CONSENT_MISSING');
      });
    }

    it('answers a rueckweisung for Accept: application/xml and */*', async () => {
      for (const accept of ['application/xml', '*/*']) {
        const answer = await sendXml(gw, signedRequest(gw), accept);
        expect(answer.status).to.equal(403);
        expect(codeOf(gw, answer)).to.equal('ERR_CONSENT_MISSING');
        expect(answer.headers.get('content-type')).to.match(/^application\/xml/);
      }
    });

    it('releases the Meldebehörde’s own signed evidence with only anschrift and einzugsdatum after consent', async () => {
      await giveConsent(gw, 'meldebescheinigung');
      const messageId = randomUUID();
      const answer = await sendXml(gw, signedRequest(gw, meldebescheinigung(), { messageId }));
      expect(answer.status, answer.text).to.equal(200);
      const body = answer.json as { status: string; evidence: string; receipt: unknown; exchangeId: string };
      expect(body.status).to.equal('released');
      const mld = exampleSigner(MELDEBEHOERDE);
      const { payload, protectedHeader } = await compactVerify(body.evidence, mld.certificate.publicKey);
      expect(protectedHeader.kid).to.equal(mld.kid);
      const evidence = JSON.parse(Buffer.from(payload).toString('utf8')) as {
        iss: string;
        data: Record<string, unknown>;
      };
      expect(evidence.iss).to.equal(MELDEBEHOERDE);
      expect(Object.keys(evidence.data).sort()).to.deep.equal(['anschrift', 'einzugsdatum']);
      expect(await outcomesOf(gw, messageId)).to.deep.equal(['intent', 'released']);
    });

    it('refuses a replayed nachrichtenUUID with ERR_REPLAY and releases nothing for it', async () => {
      const messageId = randomUUID();
      const xml = signedRequest(gw, meldebescheinigung(), { messageId });
      expect((await sendXml(gw, xml)).status).to.equal(200);
      const again = await sendXml(gw, xml);
      expect(again.status).to.equal(409);
      expect(codeOf(gw, again)).to.equal('ERR_REPLAY');
      expect(await outcomesOf(gw, messageId)).to.deep.equal(['intent', 'released', 'refused']);
    });

    it('holds the Geburtsurkunde for the citizen’s preview (202) and releases nothing yet', async () => {
      await giveConsent(gw, 'geburtsurkunde');
      const messageId = randomUUID();
      const answer = await sendXml(
        gw,
        signedRequest(
          gw,
          meldebescheinigung({ evidenceType: 'geburtsurkunde', provider: STANDESAMT, fields: undefined }),
          { messageId },
        ),
      );
      expect(answer.status, answer.text).to.equal(202);
      expect(answer.json).to.include({ status: 'awaiting-citizen' });
      expect(await outcomesOf(gw, messageId)).to.deep.equal(['intent', 'awaiting-citizen']);
    });
  });

  describe('bad input (fake Meldebehörde counting what reaches it)', () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway({ meldebehoerde: 'ok' });
      await giveConsent(gw, 'meldebescheinigung');
    });
    after(async () => gw?.close());

    /** Sends `xml`, expects status and code, and that nothing reached a provider or was released. */
    async function expectRefused(xml: string, status: number, code: string, messageId?: string) {
      const before = gw.provider!.requests;
      const recordsBefore = (await gw.records()).length;
      const answer = await sendXml(gw, xml);
      expect(answer.status, answer.text).to.equal(status);
      expect(codeOf(gw, answer)).to.equal(code);
      expect(gw.provider!.requests).to.equal(before);
      const added = (await gw.records()).slice(recordsBefore);
      expect(added.map((r) => r.outcome).filter((o) => o !== 'refused')).to.deep.equal([]);
      if (messageId !== undefined) expect(await outcomesOf(gw, messageId)).to.not.include('intent');
      return answer;
    }

    it('releases a correct request (control)', async () => {
      const before = gw.provider!.requests;
      const answer = await sendXml(gw, signedRequest(gw));
      expect(answer.status, answer.text).to.equal(200);
      expect(gw.provider!.requests).to.equal(before + 1);
    });

    it('refuses a DOCTYPE with ERR_REQUEST_MALFORMED as problem+json (no sender read)', async () => {
      const xml = signedRequest(gw).replace(
        /^(<\?xml[^>]*\?>\s*)/,
        '$1<!DOCTYPE x [<!ENTITY z "elterngeld-antrag">]>\n',
      );
      expect(xml).to.include('<!DOCTYPE');
      const answer = await expectRefused(xml, 400, 'ERR_REQUEST_MALFORMED');
      expect(answer.headers.get('content-type')).to.match(/^application\/problem\+json/);
    });

    it('refuses an unsigned request with ERR_SIG_INVALID', async () => {
      const messageId = randomUUID();
      const unsigned = buildXoevRequest(
        {
          messageId,
          issuedAtMs: gw.clock.nowMs(),
          autor: { id: ELTERNGELDSTELLE, name: 'Elterngeldstelle' },
          leser: GATEWAY,
        },
        meldebescheinigung(),
      );
      await expectRefused(unsigned, 401, 'ERR_SIG_INVALID', messageId);
    });

    it('refuses a wrapped signature (signed body moved into ds:Object, forged body in its place) with ERR_SIG_INVALID', async () => {
      const messageId = randomUUID();
      const genuine = signedRequest(gw, meldebescheinigung(), { messageId });
      const body = genuine
        .replace(/^<\?xml[^>]*\?>\s*/, '')
        .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
      const wrapped = genuine
        .replace(`<oog:idnr>${ERIKA}</oog:idnr>`, '<oog:idnr>20561748335</oog:idnr>')
        .replace('</ds:KeyInfo>', `</ds:KeyInfo><ds:Object Id="o">${body}</ds:Object>`);
      expect(wrapped).to.include('<ds:Object');
      await expectRefused(wrapped, 401, 'ERR_SIG_INVALID', messageId);
    });

    it('refuses a request whose leser is not this gateway with 401 ERR_AUTH: signed for someone else', async () => {
      const messageId = randomUUID();
      const xml = signedRequest(gw, meldebescheinigung(), {
        messageId,
        to: { id: 'oog:other-gateway', name: 'Another gateway' },
      });
      await expectRefused(xml, 401, 'ERR_AUTH', messageId);
    });

    for (const charset of ['utf-16', 'ISO-8859-1', '"windows-1252"']) {
      it(`refuses a correct request declared as application/xml; charset=${charset} with 415 ERR_MEDIA_TYPE`, async () => {
        const before = gw.provider!.requests;
        const messageId = randomUUID();
        const answer = await gw.request('POST', '/v1/evidence-requests', {
          body: signedRequest(gw, meldebescheinigung(), { messageId }),
          contentType: `application/xml; charset=${charset}`,
        });
        expect(answer.status, answer.text).to.equal(415);
        expect(codeOf(gw, answer)).to.equal('ERR_MEDIA_TYPE');
        expect(gw.provider!.requests).to.equal(before);
        expect(await outcomesOf(gw, messageId)).to.deep.equal([]);
      });
    }

    it('accepts application/xml; charset=UTF-8 and charset="utf-8"', async () => {
      for (const charset of ['UTF-8', '"utf-8"']) {
        const answer = await gw.request('POST', '/v1/evidence-requests', {
          body: signedRequest(gw),
          contentType: `application/xml; charset=${charset}`,
        });
        expect(answer.status, answer.text).to.equal(200);
      }
    });

    it('refuses a replayed nachrichtenUUID with ERR_REPLAY', async () => {
      const messageId = randomUUID();
      const xml = signedRequest(gw, meldebescheinigung(), { messageId });
      expect((await sendXml(gw, xml)).status).to.equal(200);
      await expectRefused(xml, 409, 'ERR_REPLAY');
      expect(await outcomesOf(gw, messageId)).to.deep.equal(['intent', 'released', 'refused']);
    });

    it('refuses another agency’s signature under the Elterngeldstelle’s autor with ERR_TRUST_SENDER_MISMATCH', async () => {
      const messageId = randomUUID();
      const unsigned = buildXoevRequest(
        {
          messageId,
          issuedAtMs: gw.clock.nowMs(),
          autor: { id: ELTERNGELDSTELLE, name: 'Elterngeldstelle' },
          leser: GATEWAY,
        },
        meldebescheinigung(),
      );
      await expectRefused(
        signXoev(exampleSigner(ORDNUNGSAMT), unsigned),
        403,
        'ERR_TRUST_SENDER_MISMATCH',
        messageId,
      );
    });
  });
});
