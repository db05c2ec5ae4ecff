/**
 * The bad XÖV input of issue 3, each against the gateway's request reader with the example PKI
 * (certs-example/): unsigned and wrongly keyed messages, XML signature wrapping in its known shapes, comment,
 * PI, CDATA and entity tricks, DTD attacks, structural limits, namespace tricks, lying encodings, and the
 * header checks. Each test fails if the rule it names is broken.
 */
import { expect } from 'chai';
import path from 'node:path';
import {
  buildXoevRequest,
  createXoevRequestReader,
  ENVELOPED_SIGNATURE,
  EXC_C14N,
  RSA_SHA256,
  signXoev,
} from '../../gateway/core/envelope/xoev/index.js';
import { loadKeyedSigner, type KeyedSigner } from '../helpers/keyed-signer.js';
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
  ROOT,
  SCHEMAS,
  signRaw,
} from '../unit/xoev/xoev-fixtures.js';

const clock = fixedClock();
const trust = exampleTrust(clock);
const read = createXoevRequestReader({ trust, clock, gatewayId: GATEWAY_ID, schemas: SCHEMAS });

const VICTIM = 'ags:09999001';
const victim = exampleSigner(VICTIM);
const otherAgency = exampleSigner('ags:09999003');
const rogue = loadKeyedSigner(
  path.join(ROOT, 'certs-example/untrusted/ags-09999001.cert.pem'),
  path.join(ROOT, 'certs-example/untrusted/ags-09999001.key.pem'),
);

/** The victim's request for Erika's Meldebescheinigung, unsigned. */
function victimXml(overrides: Parameters<typeof requestHeader>[0] = {}): string {
  return buildXoevRequest(
    requestHeader({ autor: { id: VICTIM, name: 'Stadt Musterstadt – Wohngeldstelle' }, ...overrides }),
    requestContent({
      evidenceType: 'meldebescheinigung',
      provider: 'mld:09999001',
      purpose: 'wohngeld-antrag',
      fields: ['familienname', 'vornamen', 'anschrift'],
      consentId: undefined,
    }),
  );
}

/** Signs `xml` with `signer`'s key, with or without the signer's certificate in KeyInfo. */
function signedBy(signer: KeyedSigner, xml: string, keyInfo = true): string {
  return signRaw(xml, { privateKey: signer.privateKey, keyInfo: keyInfo ? keyInfoOf(signer) : undefined });
}

async function codeOf(xml: string): Promise<string> {
  return (await refusalOf(read(xml))).code;
}

const SIGNATURE = /<ds:Signature[\s\S]*<\/ds:Signature>/;

describe('XÖV attacks on the evidence request', () => {
  it('accepts the victim’s own signed request (control)', async () => {
    expect((await read(signXoev(victim, victimXml()))).consumer).to.equal(VICTIM);
  });

  describe('signature and keys', () => {
    it('refuses an unsigned message, with ERR_SIG_INVALID', async () => {
      expect(await codeOf(victimXml())).to.equal('ERR_SIG_INVALID');
    });

    it('refuses a signature by an untrusted key whose certificate claims the victim, with ERR_TRUST_UNKNOWN_SENDER', async () => {
      expect(rogue.participantId).to.equal(VICTIM);
      expect(await codeOf(signedBy(rogue, victimXml()))).to.equal('ERR_TRUST_UNKNOWN_SENDER');
    });

    it('refuses a signature by an untrusted key without KeyInfo, with ERR_SIG_INVALID', async () => {
      expect(await codeOf(signedBy(rogue, victimXml(), false))).to.equal('ERR_SIG_INVALID');
    });

    it('refuses a signature by the victim’s expired key, with ERR_TRUST_CERT', async () => {
      expect(await codeOf(signedBy(exampleSigner(VICTIM, 'expired'), victimXml()))).to.equal(
        'ERR_TRUST_CERT',
      );
    });

    it('refuses a signature by the victim’s revoked key, with ERR_TRUST_CERT', async () => {
      expect(await codeOf(signedBy(exampleSigner(VICTIM, 'revoked'), victimXml()))).to.equal(
        'ERR_TRUST_CERT',
      );
    });

    it('refuses a valid signature of another agency while autor names the victim, with ERR_TRUST_SENDER_MISMATCH', async () => {
      expect(await codeOf(signedBy(otherAgency, victimXml()))).to.equal('ERR_TRUST_SENDER_MISMATCH');
    });

    it('refuses another agency’s signature without KeyInfo with ERR_SIG_INVALID, trying no other participant’s keys', async () => {
      // Issue 11: the refusal used to try up to 256 other participants' keys to choose its code, so one garbage
      // message bought hundreds of signature checks. Now only autor's keys (and a key KeyInfo names) are tried.
      const asked: string[] = [];
      const counting = new Proxy(trust, {
        get(target, name, receiver) {
          if (name === 'keysOf') {
            return (id: string) => {
              asked.push(id);
              return target.keysOf(id);
            };
          }
          return Reflect.get(target, name, receiver) as unknown;
        },
      });
      const readCounting = createXoevRequestReader({
        trust: counting,
        clock,
        gatewayId: GATEWAY_ID,
        schemas: SCHEMAS,
      });
      const code = (await refusalOf(readCounting(signedBy(otherAgency, victimXml(), false)))).code;
      expect(code).to.equal('ERR_SIG_INVALID');
      expect(new Set(asked)).to.deep.equal(new Set([VICTIM]));
    });

    it('ignores a KeyInfo certificate that is not the signer’s: the victim’s certificate does not make a forgery verify', async () => {
      const forged = signRaw(victimXml(), { privateKey: rogue.privateKey, keyInfo: keyInfoOf(victim) });
      expect(await codeOf(forged)).to.equal('ERR_SIG_INVALID');
    });

    it('ignores KeyInfo on a genuine message: another participant’s certificate there changes nothing', async () => {
      const genuine = signXoev(victim, victimXml());
      const swapped = genuine.replace(
        /<ds:KeyInfo>[\s\S]*<\/ds:KeyInfo>/,
        `<ds:KeyInfo>${keyInfoOf(otherAgency)}</ds:KeyInfo>`,
      );
      expect(swapped).not.to.equal(genuine);
      expect((await read(swapped)).consumer).to.equal(VICTIM);
    });

    it('refuses HMAC, SHA-1 and RSA-SHA1 in SignedInfo, with ERR_SIG_INVALID', async () => {
      const genuine = signXoev(victim, victimXml());
      const hmac = genuine.replace(
        /SignatureMethod Algorithm="[^"]*"/,
        'SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1"',
      );
      const sha1 = genuine.replace(
        /DigestMethod Algorithm="[^"]*"/,
        'DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"',
      );
      const rsaSha1 = genuine.replace(
        /SignatureMethod Algorithm="[^"]*"/,
        'SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"',
      );
      for (const xml of [hmac, sha1, rsaSha1]) expect(await codeOf(xml)).to.equal('ERR_SIG_INVALID');
    });

    it('refuses a signature algorithm that does not fit the key (rsa-sha256 named over an EC key), with ERR_SIG_INVALID', async () => {
      const genuine = signXoev(victim, victimXml());
      expect(
        await codeOf(
          genuine.replace(/SignatureMethod Algorithm="[^"]*"/, `SignatureMethod Algorithm="${RSA_SHA256}"`),
        ),
      ).to.equal('ERR_SIG_INVALID');
    });
  });

  describe('signature wrapping', () => {
    const genuine = signXoev(victim, victimXml());
    const body = genuine.replace(/^<\?xml[^>]*>\n/, '').replace(SIGNATURE, '');
    const forge = (xml: string) =>
      xml.replace('<oog:idnr>93141705862</oog:idnr>', '<oog:idnr>20561748335</oog:idnr>');

    it('refuses the signed body moved into ds:Object with a forged body in its place, with ERR_SIG_INVALID', async () => {
      const wrapped = forge(genuine).replace(
        '</ds:KeyInfo>',
        `</ds:KeyInfo><ds:Object Id="o">${body}</ds:Object>`,
      );
      expect(wrapped).to.include('<ds:Object');
      expect(await codeOf(wrapped)).to.equal('ERR_SIG_INVALID');
    });

    it('refuses the signed body moved into another wrapper with a forged body in its place', async () => {
      const wrapped = forge(genuine).replace(
        '</oog:nachrichteninhalt>',
        `</oog:nachrichteninhalt><oog:anlage xmlns:oog="urn:oog:schemata:nachweis:1">${body}</oog:anlage>`,
      );
      expect(await codeOf(wrapped)).to.equal('ERR_SIG_INVALID');
      const outside = `<wrapper>${forge(genuine).replace(/^<\?xml[^>]*>\n/, '')}${body}</wrapper>`;
      expect(await codeOf(outside)).to.equal('ERR_SIG_INVALID');
    });

    it('refuses a second ds:Signature, with ERR_REQUEST_MALFORMED', async () => {
      const signature = SIGNATURE.exec(genuine)![0];
      const twice = genuine.replace(
        signature,
        signature + signature.replace('<ds:Signature ', '<ds:Signature Id="s2" '),
      );
      expect(await codeOf(twice)).to.equal('ERR_REQUEST_MALFORMED');
      // The attacker's own valid signature added beside the victim's does not help either.
      const attackers = signRaw(genuine, { privateKey: otherAgency.privateKey });
      expect(await codeOf(attackers)).to.equal('ERR_REQUEST_MALFORMED');
    });

    it('refuses two SignedInfo, with ERR_REQUEST_MALFORMED', async () => {
      const signedInfo = /<ds:SignedInfo>[\s\S]*<\/ds:SignedInfo>/.exec(genuine)![0];
      expect(await codeOf(genuine.replace(signedInfo, signedInfo + signedInfo))).to.equal(
        'ERR_REQUEST_MALFORMED',
      );
    });

    it('refuses a Reference to a sub-element while forged data sits outside it, with ERR_SIG_INVALID', async () => {
      // The victim's software signed only the content; the header (time, leser) is free for the attacker.
      const partial = signRaw(victimXml({ issuedAtMs: NOW_MS - 86_400_000 }), {
        privateKey: victim.privateKey,
        xpath: "//*[local-name()='nachrichteninhalt']",
      });
      expect(partial).to.match(/<ds:Reference URI="#_0">/);
      const old = new Date(NOW_MS - 86_400_000).toISOString();
      const replayed = partial.replace(old, new Date(NOW_MS).toISOString());
      expect(await codeOf(replayed)).to.equal('ERR_SIG_INVALID');
    });

    it('refuses duplicate Id attributes, with ERR_SIG_INVALID', async () => {
      const partial = signRaw(victimXml(), {
        privateKey: victim.privateKey,
        xpath: "//*[local-name()='nachrichteninhalt']",
      });
      const duplicated = partial.replace(
        '<bn-g2g:nachrichtenkopf.g2g>',
        '<bn-g2g:nachrichtenkopf.g2g Id="_0">',
      );
      expect(duplicated.match(/Id="_0"/g)).to.have.lengthOf(2);
      expect(await codeOf(duplicated)).to.equal('ERR_SIG_INVALID');
    });

    it('refuses an XPath transform, with ERR_SIG_INVALID', async () => {
      const xpath = genuine.replace(
        `<ds:Transform Algorithm="${EXC_C14N}"/>`,
        `<ds:Transform Algorithm="${EXC_C14N}"/><ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::*[local-name()='person'])</ds:XPath></ds:Transform>`,
      );
      expect(await codeOf(xpath)).to.equal('ERR_SIG_INVALID');
    });

    it('refuses unexpected transforms (XSLT, c14n with comments, inclusive c14n, only enveloped), with ERR_SIG_INVALID', async () => {
      const variants = [
        [ENVELOPED_SIGNATURE, 'http://www.w3.org/TR/1999/REC-xslt-19991116'],
        [ENVELOPED_SIGNATURE, 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments'],
        [ENVELOPED_SIGNATURE, 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'],
      ];
      for (const [first, second] of variants) {
        const xml = genuine.replace(
          `<ds:Transform Algorithm="${EXC_C14N}"/>`,
          `<ds:Transform Algorithm="${second}"/>`,
        );
        expect(xml, second).to.include(first!);
        expect(await codeOf(xml), second).to.equal('ERR_SIG_INVALID');
      }
      expect(await codeOf(genuine.replace(`<ds:Transform Algorithm="${EXC_C14N}"/>`, ''))).to.equal(
        'ERR_SIG_INVALID',
      );
      // A signature that really was made with inclusive c14n is refused as well.
      const inclusive = signRaw(victimXml(), {
        privateKey: victim.privateKey,
        transforms: [ENVELOPED_SIGNATURE, 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'],
      });
      expect(await codeOf(inclusive)).to.equal('ERR_SIG_INVALID');
    });

    it('refuses a signature that is not the last child of the root, with ERR_SIG_INVALID', async () => {
      const signature = SIGNATURE.exec(genuine)![0];
      const moved = genuine
        .replace(signature, '')
        .replace('<oog:nachrichteninhalt>', `${signature}<oog:nachrichteninhalt>`);
      expect(await codeOf(moved)).to.equal('ERR_SIG_INVALID');
    });
  });

  describe('comments, processing instructions, CDATA and entities', () => {
    const genuine = signXoev(victim, victimXml());

    it('refuses a comment inside DigestValue, with ERR_REQUEST_MALFORMED', async () => {
      const commented = genuine.replace(/<ds:DigestValue>([^<]{8})/, '<ds:DigestValue>$1<!-- x -->');
      expect(commented).to.include('<!-- x -->');
      expect(await codeOf(commented)).to.equal('ERR_REQUEST_MALFORMED');
    });

    it('refuses a processing instruction inside signed text, with ERR_REQUEST_MALFORMED', async () => {
      const pi = genuine.replace('wohngeld-antrag', 'wohngeld<?x y?>-antrag');
      expect(await codeOf(pi)).to.equal('ERR_REQUEST_MALFORMED');
    });

    it('reads a value split by a comment exactly as signed (the comment is not signed data)', async () => {
      const split = genuine.replace('<bn-beh:kennung>ags:09999001<', '<bn-beh:kennung>ags:0999<!-- -->9001<');
      expect(split).to.include('ags:0999<!-- -->9001');
      const request = await read(split);
      expect(request.consumer).to.equal(VICTIM);
    });

    it('refuses a value that differs from the signed one once comments are removed, with ERR_SIG_INVALID', async () => {
      const changed = genuine.replace('<oog:idnr>93141705862<', '<oog:idnr>9314170586<!-- -->2<');
      expect((await read(changed)).subjectIdnr).to.equal('93141705862');
      const extra = genuine.replace('<oog:idnr>93141705862<', '<oog:idnr>93141705862<!-- -->1<');
      expect(await codeOf(extra)).to.equal('ERR_SIG_INVALID');
    });

    it('reads the same value through CDATA and character references as signed', async () => {
      const cdata = genuine.replace('<oog:zweck>wohngeld-antrag<', '<oog:zweck><![CDATA[wohngeld-antrag]]><');
      const refs = genuine.replace('<oog:zweck>wohngeld-antrag<', '<oog:zweck>&#x77;ohngeld&#45;antrag<');
      for (const xml of [cdata, refs]) expect((await read(xml)).purpose).to.equal('wohngeld-antrag');
    });

    it('refuses CDATA that hides markup to change a value, with ERR_SIG_INVALID', async () => {
      const hidden = genuine.replace(
        '<oog:zweck>wohngeld-antrag<',
        '<oog:zweck><![CDATA[wohngeld-antrag</oog:zweck><oog:zweck>ordnungswidrigkeit]]><',
      );
      expect(await codeOf(hidden)).to.equal('ERR_SIG_INVALID');
    });

    it('refuses an entity reference without a declaration, with ERR_REQUEST_MALFORMED', async () => {
      expect(await codeOf(genuine.replace('wohngeld-antrag', '&zweck;'))).to.equal('ERR_REQUEST_MALFORMED');
    });
  });

  describe('DTDs, structure and encoding', () => {
    const genuine = signXoev(victim, victimXml());
    const withDoctype = (doctype: string) =>
      genuine.replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        `<?xml version="1.0" encoding="UTF-8"?>\n${doctype}\n`,
      );

    it('refuses a DOCTYPE with an internal entity, with ERR_REQUEST_MALFORMED', async () => {
      const xml = withDoctype(
        '<!DOCTYPE oog:nachweisanfrage.0101 [<!ENTITY z "ordnungswidrigkeit">]>',
      ).replace('wohngeld-antrag', '&z;');
      expect(await codeOf(xml)).to.equal('ERR_REQUEST_MALFORMED');
    });

    it('refuses a DOCTYPE with an external entity (XXE), with ERR_REQUEST_MALFORMED', async () => {
      const xml = withDoctype('<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace(
        'sachbearbeitung-3',
        '&xxe;',
      );
      expect(await codeOf(xml)).to.equal('ERR_REQUEST_MALFORMED');
      expect(await codeOf(withDoctype('<!DOCTYPE x SYSTEM "http://127.0.0.1:1/x.dtd">'))).to.equal(
        'ERR_REQUEST_MALFORMED',
      );
      expect(
        await codeOf(withDoctype('<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p">%p;]>')),
      ).to.equal('ERR_REQUEST_MALFORMED');
    });

    it('refuses billion laughs, with ERR_REQUEST_MALFORMED', async () => {
      const levels = ['<!ENTITY l0 "lol">'];
      for (let i = 1; i < 10; i++) levels.push(`<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`);
      const xml = withDoctype(`<!DOCTYPE x [${levels.join('')}]>`).replace('sachbearbeitung-3', '&l9;');
      expect(await codeOf(xml)).to.equal('ERR_REQUEST_MALFORMED');
    });

    it('refuses deep nesting, with ERR_TOO_LARGE', async () => {
      const deep = '<oog:x>'.repeat(50) + '</oog:x>'.repeat(50);
      expect(
        await codeOf(genuine.replace('</oog:nachrichteninhalt>', `${deep}</oog:nachrichteninhalt>`)),
      ).to.equal('ERR_TOO_LARGE');
    });

    it('refuses a huge attribute and a huge document, with ERR_TOO_LARGE', async () => {
      expect(await codeOf(genuine.replace('produkt="', `produkt="${'A'.repeat(10_000)}`))).to.equal(
        'ERR_TOO_LARGE',
      );
      expect(await codeOf(genuine.replace('sachbearbeitung-3', 'x'.repeat(70_000)))).to.equal(
        'ERR_TOO_LARGE',
      );
    });

    it('refuses two roots, with ERR_REQUEST_MALFORMED', async () => {
      expect(await codeOf(genuine + genuine.replace(/^<\?xml[^>]*>\n/, ''))).to.equal(
        'ERR_REQUEST_MALFORMED',
      );
      expect(
        await codeOf(`${genuine}<oog:nachweisanfrage.0101 xmlns:oog="urn:oog:schemata:nachweis:1"/>`),
      ).to.equal('ERR_REQUEST_MALFORMED');
    });

    it('refuses an undeclared namespace prefix, with ERR_REQUEST_MALFORMED', async () => {
      expect(
        await codeOf(
          genuine.replace('<oog:zweck>wohngeld-antrag</oog:zweck>', '<x:zweck>wohngeld-antrag</x:zweck>'),
        ),
      ).to.equal('ERR_REQUEST_MALFORMED');
      expect(await codeOf(genuine.replace('<oog:person>', '<oog:person x:y="1">'))).to.equal(
        'ERR_REQUEST_MALFORMED',
      );
    });

    it('refuses a prefix rebound to another namespace, with ERR_REQUEST_MALFORMED', async () => {
      const rebound = genuine.replace('<oog:person>', '<oog:person xmlns:bn-g2g="urn:evil">');
      expect(await codeOf(rebound)).to.equal('ERR_REQUEST_MALFORMED');
      const ds = genuine.replace(
        '<oog:nachrichteninhalt>',
        '<oog:nachrichteninhalt xmlns:ds="urn:not-xmldsig">',
      );
      expect(await codeOf(ds)).to.equal('ERR_REQUEST_MALFORMED');
    });

    it('refuses a non-UTF-8 encoding declaration, with ERR_REQUEST_MALFORMED', async () => {
      expect(await codeOf(genuine.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'))).to.equal(
        'ERR_REQUEST_MALFORMED',
      );
      expect(await codeOf(genuine.replace('encoding="UTF-8"', 'encoding="UTF-16"'))).to.equal(
        'ERR_REQUEST_MALFORMED',
      );
    });

    it('refuses Latin-1 bytes behind a UTF-8 declaration (decoded as U+FFFD), with ERR_REQUEST_MALFORMED', async () => {
      const latin1 = Buffer.from(genuine.replace('sachbearbeitung-3', 'Müller'), 'latin1').toString('utf8');
      expect(latin1).to.include('\uFFFD');
      expect(await codeOf(latin1)).to.equal('ERR_REQUEST_MALFORMED');
    });
  });

  describe('header checks', () => {
    it('refuses a validly signed but schema-invalid message, with ERR_SCHEMA', async () => {
      const xml = victimXml().replace('<oog:akteur>', '<oog:akteur/><oog:akteur>');
      expect(await codeOf(signXoev(victim, xml))).to.equal('ERR_SCHEMA');
    });

    it('refuses a stale or future erstellungszeitpunkt, with ERR_STALE', async () => {
      expect(await codeOf(signXoev(victim, victimXml({ issuedAtMs: NOW_MS - 600_000 })))).to.equal(
        'ERR_STALE',
      );
      expect(await codeOf(signXoev(victim, victimXml({ issuedAtMs: NOW_MS + 600_000 })))).to.equal(
        'ERR_STALE',
      );
    });

    it('refuses a leser that is not this gateway, with ERR_AUTH (signed for someone else)', async () => {
      const xml = victimXml({ leser: { id: 'oog:other-gateway', name: 'Anderes Gateway' } });
      expect(await codeOf(signXoev(victim, xml))).to.equal('ERR_AUTH');
    });
  });
});
