/**
 * The real XÖV messages of ../shared/xoev-samples (copied byte for byte to test/fixtures/xoev/samples): each one
 * passes the gate, parses, has its header read correctly, and validates against its own schema in process.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  checkSignatureProfile,
  compileXoevSchemas,
  gateXml,
  parseXml,
  readXoevHeader,
  XML_DIGEST_ALGORITHMS,
  XML_SIGNATURE_ALGORITHMS,
  type XoevHeader,
  type XoevSchemaFiles,
} from '../../../gateway/core/envelope/xoev/index.js';
import { GatewayError } from '../../../gateway/core/errors.js';
import { SAMPLES_DIR } from './xoev-fixtures.js';

const XBETEILIGUNG = path.join(SAMPLES_DIR, 'xbeteiligung-1.2');
const XWASSER = path.join(SAMPLES_DIR, 'xwasser-1.0.0');

function xsdFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir))
    if (name.endsWith('.xsd')) files[name] = readFileSync(path.join(dir, name), 'utf8');
  return files;
}

/**
 * XWasser imports the XÖV schemas and the W3C xmldsig schema from the web. Offline, a copy of its XSDs (in
 * memory; the samples stay untouched) points those imports at the local KoSIT copies of the XBeteiligung set,
 * and ds:Signature at a lax stub, as the samples' README describes.
 */
function xwasserSchemaSet(): XoevSchemaFiles {
  const remote: Record<string, string> = {
    'http://xoev.de/schemata/basisnachricht/unqualified/g2g/1_1/xoev-basisnachricht-unqualified-g2g_1.1.xsd':
      'xoev/xoev-basisnachricht-unqualified-g2g_1.1.xsd',
    'http://xoev.de/schemata/code/1_0/xoev-code.xsd': 'xoev/xoev-code.xsd',
    'https://xoev.de/schemata/din/91379/2022-08/din-norm-91379-datatypes.xsd':
      'xoev/din-norm-91379-datatypes.xsd',
    'https://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd': 'xmldsig-stub.xsd',
  };
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(xsdFiles(path.join(XWASSER, 'xsd')))) {
    let copy = text;
    for (const [url, local] of Object.entries(remote))
      copy = copy.split(`schemaLocation="${url}"`).join(`schemaLocation="${local}"`);
    expect(copy, `${name} still imports from the web`).not.to.match(/schemaLocation="https?:/);
    files[name] = copy;
  }
  const kosit = xsdFiles(path.join(XBETEILIGUNG, 'xsd'));
  for (const name of [
    'xoev-basisnachricht-unqualified-g2g_1.1.xsd',
    'xoev-code.xsd',
    'din-norm-91379-datatypes.xsd',
  ]) {
    files[`xoev/${name}`] = kosit[name]!;
  }
  files['xmldsig-stub.xsd'] = `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/2000/09/xmldsig#"
           elementFormDefault="qualified">
  <xs:element name="Signature">
    <xs:complexType>
      <xs:sequence><xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      <xs:anyAttribute processContents="lax"/>
    </xs:complexType>
  </xs:element>
</xs:schema>`;
  return { entry: 'xwasser.xsd', files };
}

interface Expected {
  readonly file: string;
  readonly root: string;
  readonly form: XoevHeader['form'];
  readonly uuid: string;
  readonly typ: [code: string, listURI: string, listVersionID: string];
  readonly created: string;
  readonly leser: [kennung: string, verzeichnisdienst: string, name: string];
  readonly autor: [kennung: string, verzeichnisdienst: string, name: string];
}

const XWASSER_TYPES = 'urn:xoev-de:xwasser:codeliste:nachrichtentyp';

const SAMPLES: readonly Expected[] = [
  {
    file: 'xbeteiligung-1.2/examples/xbeteiligung-test-kommunal.Initiieren.0401.xml',
    root: 'kommunal.Initiieren.0401',
    form: 'g2g',
    uuid: '60f6667b-fa45-4bd7-b717-f4d6c65e5edb',
    typ: ['0401', 'urn:xoev-de:xleitstelle:codeliste:xbeteiligung-nachrichten', '1.2'],
    created: '2025-02-20T16:41:19.880Z',
    leser: ['xyz:0002', 'DVDV', 'behoerde2'],
    autor: ['xyz:0001', 'DVDV', 'behoerde1'],
  },
  {
    file: 'xwasser-1.0.0/examples/administration_receipt.xml',
    root: 'administration.quittung.0020',
    form: 'g2g-unqualified',
    uuid: '693c64d6-456f-4d14-abe7-fe9681c74aaf',
    typ: ['0010', XWASSER_TYPES, '1'],
    created: '2024-05-28T09:00:00',
    leser: ['psw:01003110', '', 'Author'],
    autor: ['psw:11113110', '', 'Reader'],
  },
  {
    file: 'xwasser-1.0.0/examples/olb_report_minimal.xml',
    root: 'vorgang.transportieren.2010',
    form: 'g2g-unqualified',
    uuid: '693c64d6-456f-4d14-abe7-fe9681c74aae',
    typ: ['0010', XWASSER_TYPES, '1'],
    created: '2024-05-28T09:00:00',
    leser: ['olb:09000000', '', 'Reader'],
    autor: ['gha:090', '', 'Author'],
  },
  {
    file: 'xwasser-1.0.0/examples/olb_report_signature_builder_test_result.xml',
    root: 'vorgang.transportieren.2010',
    form: 'g2g-unqualified',
    uuid: 'ec73524e-9dee-4fa8-afd9-2df54361e285',
    typ: ['2010', XWASSER_TYPES, '1'],
    created: '2026-04-14T20:56:56',
    leser: ['', '', ''],
    autor: ['', '', ''],
  },
  {
    file: 'xwasser-1.0.0/examples/quality_report_minimal.xml',
    root: 'vorgang.transportieren.2010',
    form: 'g2g-unqualified',
    uuid: '693c64d6-456f-4d14-abe7-fe9681c74aae',
    typ: ['2010', XWASSER_TYPES, '1'],
    created: '2024-05-28T09:00:00',
    leser: ['psw:11113110', '', 'Reader'],
    autor: ['psw:01003110', '', 'Author'],
  },
];

const LIMITS = { maxBytes: 1_048_576, maxDepth: 32, maxAttributeLength: 4_096, maxElements: 20_000 };

function read(file: string): string {
  return readFileSync(path.join(SAMPLES_DIR, file), 'utf8');
}

describe('XÖV samples', () => {
  it('covers every example message in the samples', () => {
    const all = ['xbeteiligung-1.2', 'xwasser-1.0.0'].flatMap((set) =>
      readdirSync(path.join(SAMPLES_DIR, set, 'examples')).map((f) => `${set}/examples/${f}`),
    );
    expect(SAMPLES.map((s) => s.file)).to.have.members(all);
  });

  for (const sample of SAMPLES) {
    it(`reads the header of ${path.basename(sample.file)}`, () => {
      const root = parseXml(gateXml(read(sample.file), LIMITS));
      expect(root.name).to.equal(sample.root);
      const header = readXoevHeader(root);
      expect(header).to.deep.equal({
        form: sample.form,
        nachrichtenUUID: sample.uuid,
        nachrichtentyp: {
          code: sample.typ[0],
          listURI: sample.typ[1],
          listVersionID: sample.typ[2],
          name: sample.form === 'g2g' ? sample.root : undefined,
        },
        erstellungszeitpunkt: sample.created,
        leser: { id: sample.leser[0], verzeichnisdienst: sample.leser[1], name: sample.leser[2] },
        autor: { id: sample.autor[0], verzeichnisdienst: sample.autor[1], name: sample.autor[2] },
      });
    });
  }

  it('validates the XBeteiligung example against xbeteiligung.xsd in process', () => {
    const schemas = compileXoevSchemas({
      entry: 'xbeteiligung.xsd',
      files: xsdFiles(path.join(XBETEILIGUNG, 'xsd')),
    });
    const { schemaError } = schemas.parseAndValidate(read(SAMPLES[0]!.file));
    expect(schemaError).to.equal(undefined);
  });

  it('validates every XWasser example against xwasser.xsd, its web imports resolved to local copies', () => {
    const schemas = compileXoevSchemas(xwasserSchemaSet());
    for (const sample of SAMPLES.filter((s) => s.file.startsWith('xwasser'))) {
      expect(schemas.parseAndValidate(read(sample.file)).schemaError, sample.file).to.equal(undefined);
    }
  });

  it('finds a changed example invalid (the validation can fail)', () => {
    const schemas = compileXoevSchemas(xwasserSchemaSet());
    const broken = read(SAMPLES[1]!.file).replace(/vorgangsID>/g, 'vorgangsKennung>');
    expect(broken).to.include('vorgangsKennung');
    expect(schemas.parseAndValidate(broken).schemaError?.code).to.equal('ERR_SCHEMA');
  });

  it('refuses the XWasser sample signature under the gateway profile (XPath transform, SHA-1), with ERR_SIG_INVALID', () => {
    const root = parseXml(read('xwasser-1.0.0/examples/olb_report_signature_builder_test_result.xml'));
    try {
      checkSignatureProfile(root, {
        signatureAlgorithms: XML_SIGNATURE_ALGORITHMS,
        digestAlgorithms: XML_DIGEST_ALGORITHMS,
      });
      expect.fail('accepted');
    } catch (error) {
      expect(error).to.be.instanceOf(GatewayError);
      expect((error as GatewayError).code).to.equal('ERR_SIG_INVALID');
    }
  });
});
