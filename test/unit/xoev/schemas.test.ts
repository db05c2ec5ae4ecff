import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildXoevEvidence,
  buildXoevForwardedRequest,
  buildXoevRejection,
  buildXoevRequest,
  compileXoevSchemas,
  FEHLERCODE_LIST_URI,
  FEHLERCODE_LIST_VERSION,
  NACHRICHTENTYP_LIST_URI,
  NACHRICHTENTYP_LIST_VERSION,
  parseXml,
  XOEV_EVIDENCE_FIELDS,
  XOEV_MESSAGE_TYPES,
  type XmlEl,
} from '../../../gateway/core/envelope/xoev/index.js';
import { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from '../../../gateway/core/errors.js';
import {
  exampleSigner,
  requestContent,
  requestHeader,
  ROOT,
  SAMPLES_DIR,
  SCHEMA_FILES,
  SCHEMAS,
  signedRequest,
  toXInneresHeader,
} from './xoev-fixtures.js';

const KOSIT_FILES = [
  'xoev-basisnachricht-g2g_1.1.xsd',
  'xoev-basisnachricht-behoerde_1.1.xsd',
  'xoev-basisnachricht-kommunikation_1.1.xsd',
  'xoev-code.xsd',
  'din-norm-91379-datatypes.xsd',
];

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function schemaErrorOf(xml: string): string | undefined {
  return SCHEMAS.parseAndValidate(xml).schemaError?.detail;
}

const header = (overrides = {}) =>
  requestHeader({ autor: { id: 'psw:09999001', name: 'Standesamt' }, ...overrides });

export const FULL_DATA: Record<string, Record<string, unknown>> = {
  meldebescheinigung: {
    familienname: 'Müller-Lüdenscheidt',
    vornamen: 'Erika Đurđica',
    geburtsdatum: '1964-08-12',
    geburtsort: 'Sankt Peter-Ording',
    staatsangehoerigkeit: ['DEU', 'HRV'],
    anschrift: { strasse: 'Heidestraße', hausnummer: '17a', postleitzahl: '99999', wohnort: 'Musterstadt' },
    einzugsdatum: '2012-06-01',
  },
  geburtsurkunde: {
    kind: { familienname: 'Mustermann', vornamen: 'Erika' },
    geburtsdatum: '1964-08-12',
    geburtsort: 'Musterstadt',
    eltern: [
      { familienname: 'Mustermann', vornamen: 'Hans' },
      { familienname: 'Mustermann', vornamen: 'Gisela' },
    ],
  },
};

function evidence(evidenceType: string, data: Record<string, unknown>): string {
  return buildXoevEvidence(header(), {
    exchangeId: '0b7d6c5e-4f3a-4b2c-9d1e-0f1a2b3c4d5e',
    requestDigest: 'A'.repeat(43),
    evidenceType,
    subjectIdnr: '93141705862',
    data,
  });
}

/** The rows of a genericode code list: column id → value. */
function rowsOf(list: XmlEl): Record<string, string>[] {
  const find = (el: XmlEl, name: string) =>
    el.children.filter((c): c is XmlEl => c.kind === 'element' && c.name === name);
  const simple = find(list, 'SimpleCodeList')[0]!;
  return find(simple, 'Row').map((row) => {
    const values: Record<string, string> = {};
    for (const value of find(row, 'Value')) {
      const column = value.attrs.find((a) => a.name === 'ColumnRef')!.value;
      const text = find(value, 'SimpleValue')[0]!.children.find((c) => c.kind === 'text');
      values[column] = text && text.kind === 'text' ? text.value : '';
    }
    return values;
  });
}

function identificationOf(list: XmlEl): Record<string, string> {
  const id = list.children.find((c): c is XmlEl => c.kind === 'element' && c.name === 'Identification')!;
  const result: Record<string, string> = {};
  for (const child of id.children) {
    if (child.kind !== 'element') continue;
    const text = child.children.find((c) => c.kind === 'text');
    if (text && text.kind === 'text') result[child.name] = text.value;
  }
  return result;
}

describe('schemas/xoev', () => {
  it('holds the KoSIT schemas byte for byte as published, with their licence notice', () => {
    for (const file of KOSIT_FILES) {
      const ours = readFileSync(path.join(ROOT, 'schemas/xoev/kosit', file));
      const published = readFileSync(path.join(SAMPLES_DIR, 'xbeteiligung-1.2/xsd', file));
      expect(sha256(ours), file).to.equal(sha256(published));
    }
    const readme = readFileSync(path.join(ROOT, 'schemas/xoev/kosit/README.md'), 'utf8');
    expect(readme).to.include('CC BY-ND 4.0').and.include('Koordinierungsstelle für IT-Standards');
    for (const file of KOSIT_FILES) {
      expect(readme).to.include(sha256(readFileSync(path.join(ROOT, 'schemas/xoev/kosit', file))));
    }
  });

  it('is loaded with every file the entry schema needs', () => {
    expect(SCHEMA_FILES.entry).to.equal('oog-nachweis.xsd');
    expect(Object.keys(SCHEMA_FILES.files)).to.include.members([
      'oog-nachweis.xsd',
      'xmldsig-profil.xsd',
      ...KOSIT_FILES.map((f) => `kosit/${f}`),
    ]);
  });

  it('validates a request, with and without its optional elements, in both header generations', () => {
    const full = buildXoevRequest(requestHeader(), requestContent());
    expect(schemaErrorOf(full)).to.equal(undefined);
    expect(schemaErrorOf(toXInneresHeader(full))).to.equal(undefined);
    const minimal = buildXoevRequest(
      requestHeader({ test: true }),
      requestContent({
        provider: undefined,
        consentId: undefined,
        fields: undefined,
        procedure: { reference: 'x' },
      }),
    );
    expect(schemaErrorOf(minimal)).to.equal(undefined);
  });

  it('validates a signed request as it is on the wire (ds:Signature against the XMLDSig profile)', () => {
    expect(schemaErrorOf(signedRequest())).to.equal(undefined);
  });

  it('refuses a signature outside the profile: an XPath transform, a second Reference', () => {
    const signed = signedRequest();
    const xpath = signed.replace(
      '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
      '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>/</ds:XPath></ds:Transform>',
    );
    expect(schemaErrorOf(xpath)).to.be.a('string');
    const reference = /<ds:Reference[\s\S]*<\/ds:Reference>/.exec(signed)![0];
    expect(schemaErrorOf(signed.replace(reference, reference + reference))).to.be.a('string');
  });

  it('validates a forwarded request', () => {
    const xml = buildXoevForwardedRequest(requestHeader(), {
      exchangeId: '0b7d6c5e-4f3a-4b2c-9d1e-0f1a2b3c4d5e',
      consumer: 'ags:09999002',
      evidenceType: 'geburtsurkunde',
      subjectIdnr: '93141705862',
      purpose: 'elterngeld-antrag',
      legalBasis: '§ 9 BEEG',
      procedure: { reference: 'EG-1' },
      actor: 'sachbearbeitung-3',
      fields: ['kind'],
      policy: 'elterngeld-geburtsurkunde@1.0.0',
    });
    expect(schemaErrorOf(xml)).to.equal(undefined);
  });

  for (const [type, data] of Object.entries(FULL_DATA)) {
    it(`validates ${type} evidence with all of its fields, and with none`, () => {
      expect(Object.keys(data)).to.deep.equal(XOEV_EVIDENCE_FIELDS[type]);
      expect(schemaErrorOf(evidence(type, data))).to.equal(undefined);
      expect(schemaErrorOf(evidence(type, {}))).to.equal(undefined);
    });
  }

  it('refuses evidence data outside its types: a bad date, three parents, a nationality twice', () => {
    expect(schemaErrorOf(evidence('geburtsurkunde', { geburtsdatum: '1964-8-12' }))).to.be.a('string');
    expect(schemaErrorOf(evidence('geburtsurkunde', { geburtsdatum: '1964-02-30' }))).to.be.a('string');
    const parent = { familienname: 'A', vornamen: 'B' };
    expect(schemaErrorOf(evidence('geburtsurkunde', { eltern: [parent, parent, parent] }))).to.be.a('string');
    expect(schemaErrorOf(evidence('meldebescheinigung', { staatsangehoerigkeit: ['DEU', 'DEU'] }))).to.be.a(
      'string',
    );
    expect(schemaErrorOf(evidence('meldebescheinigung', { familienname: 'Smith\u20AC' }))).to.be.a('string');
  });

  it('validates a rejection with every PROTOCOL §6 code and refuses any other code', () => {
    for (const code of ERROR_CODES) {
      const xml = buildXoevRejection(header(), { code, description: 'detail', exchangeId: undefined });
      expect(schemaErrorOf(xml), code).to.equal(undefined);
    }
    const bogus = buildXoevRejection(header(), { code: 'ERR_STALE' }).replace('ERR_STALE', 'ERR_BOGUS');
    expect(schemaErrorOf(bogus)).to.be.a('string');
    const wrongList = buildXoevRejection(header(), { code: 'ERR_STALE' }).replace(
      FEHLERCODE_LIST_URI,
      'urn:x',
    );
    expect(schemaErrorOf(wrongList)).to.be.a('string');
  });

  it('writes participant names as DIN 91379 text (the en dash of the demo names becomes a hyphen)', () => {
    const xml = buildXoevRequest(
      requestHeader({ autor: { id: 'ags:09999002', name: 'Landkreis Beispielkreis – Elterngeldstelle' } }),
      requestContent(),
    );
    expect(xml).to.include('Landkreis Beispielkreis - Elterngeldstelle');
    expect(schemaErrorOf(xml)).to.equal(undefined);
  });

  it('refuses characters XML cannot carry when writing, with TypeError', () => {
    expect(() => buildXoevRequest(requestHeader(), requestContent({ actor: 'a\u0000b' }))).to.throw(
      TypeError,
    );
    expect(() => buildXoevRequest(requestHeader({ messageId: 'not-a-uuid' }), requestContent())).to.throw(
      TypeError,
    );
  });

  it('does not compile a schema set whose imports are missing', () => {
    const files = { ...SCHEMA_FILES.files };
    delete files['kosit/xoev-code.xsd'];
    expect(() => compileXoevSchemas({ entry: SCHEMA_FILES.entry, files })).to.throw(Error);
    expect(() => compileXoevSchemas({ entry: 'x.xsd', files: { '../x.xsd': '<x/>' } })).to.throw(TypeError);
  });

  it('signs with a demo key and still validates (the signer does not disturb the content)', () => {
    expect(schemaErrorOf(signedRequest({ signer: exampleSigner('ags:09999001') }))).to.equal(undefined);
  });
});

describe('schemas/codes', () => {
  it('lists the message types of oog-nachweis.xsd under the listURI and version the messages write', () => {
    const list = parseXml(readFileSync(path.join(ROOT, 'schemas/codes/oog-nachrichtentyp_1.xml'), 'utf8'));
    const id = identificationOf(list);
    expect(id.CanonicalUri).to.equal(NACHRICHTENTYP_LIST_URI);
    expect(id.Version).to.equal(NACHRICHTENTYP_LIST_VERSION);
    const rows = rowsOf(list).map((r) => [r.Code, r.Nachricht]);
    expect(rows).to.have.deep.members(Object.values(XOEV_MESSAGE_TYPES).map((t) => [t.code, t.element]));
    const xsd = SCHEMA_FILES.files['oog-nachweis.xsd']!;
    for (const type of Object.values(XOEV_MESSAGE_TYPES))
      expect(xsd).to.include(`<xs:element name="${type.element}"`);
  });

  it('lists every error code of the catalogue with its status, title and fault', () => {
    const list = parseXml(readFileSync(path.join(ROOT, 'schemas/codes/oog-fehlercode_1.xml'), 'utf8'));
    const id = identificationOf(list);
    expect(id.CanonicalUri).to.equal(FEHLERCODE_LIST_URI);
    expect(id.Version).to.equal(FEHLERCODE_LIST_VERSION);
    const rows = rowsOf(list);
    expect(rows.map((r) => r.Code)).to.have.members(ERROR_CODES);
    for (const row of rows) {
      const spec = ERROR_CATALOGUE[row.Code as ErrorCode];
      expect([row.Status, row.Titel, row.Verursacher]).to.deep.equal([
        String(spec.status),
        spec.title,
        spec.fault,
      ]);
    }
  });
});
