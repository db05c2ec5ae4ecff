/**
 * The evidence data of PROTOCOL.md §7 in XÖV form (`oog:nachweis` of schemas/xoev/oog-nachweis.xsd) and back
 * to the JSON shape of schemas/evidence/*.schema.json, field by field, in the XSD's element order.
 */
import { GatewayError } from '../../errors.js';
import { childrenNamed, childText, elementsOf, onlyChild, textOf, type XmlEl } from './xml-tree.js';
import { leaf, type XmlNode } from './xml-writer.js';
import { NACHWEIS_NS } from './xoev-constants.js';

/** The fields of each evidence type, in the order the XSD wants them. */
export const XOEV_EVIDENCE_FIELDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  meldebescheinigung: [
    'familienname',
    'vornamen',
    'geburtsdatum',
    'geburtsort',
    'staatsangehoerigkeit',
    'anschrift',
    'einzugsdatum',
  ],
  geburtsurkunde: ['kind', 'geburtsdatum', 'geburtsort', 'eltern'],
});

const ANSCHRIFT = ['strasse', 'hausnummer', 'postleitzahl', 'wohnort'] as const;
const PERSONENNAME = ['familienname', 'vornamen'] as const;

function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`evidence data: ${what} must be a string`);
  return value;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`evidence data: ${what} must be an object`);
  }
  return value as Record<string, unknown>;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`evidence data: ${what} must be a list`);
  return value;
}

function personenname(name: string, value: unknown, what: string): XmlNode {
  const person = record(value, what);
  return {
    name,
    children: PERSONENNAME.map((k) => ({ name: `oog:${k}`, text: str(person[k], `${what}.${k}`) })),
  };
}

function fieldNode(field: string, value: unknown): XmlNode {
  const name = `oog:${field}`;
  switch (field) {
    case 'staatsangehoerigkeit':
      return { name, children: list(value, field).map((v) => ({ name: 'oog:staat', text: str(v, field) })) };
    case 'anschrift': {
      const address = record(value, field);
      return {
        name,
        children: ANSCHRIFT.map((k) => ({ name: `oog:${k}`, text: str(address[k], `${field}.${k}`) })),
      };
    }
    case 'kind':
      return personenname(name, value, field);
    case 'eltern':
      return { name, children: list(value, field).map((v) => personenname('oog:elternteil', v, field)) };
    default:
      return leaf(name, str(value, field))!;
  }
}

/**
 * The `oog:nachweis` element for `data` of `evidenceType` (the fields present in `data`, in XSD order). Throws
 * TypeError for an unknown evidence type, a field that type does not have, or a value of the wrong shape.
 */
export function evidenceDataNode(evidenceType: string, data: Readonly<Record<string, unknown>>): XmlNode {
  const fields = Object.hasOwn(XOEV_EVIDENCE_FIELDS, evidenceType)
    ? XOEV_EVIDENCE_FIELDS[evidenceType]
    : undefined;
  if (fields === undefined) throw new TypeError(`no XÖV form for evidence type ${evidenceType}`);
  for (const key of Object.keys(data)) {
    if (!fields.includes(key)) throw new TypeError(`evidence data: ${evidenceType} has no field ${key}`);
  }
  const present = fields.filter((f) => data[f] !== undefined);
  return {
    name: 'oog:nachweis',
    children: [{ name: `oog:${evidenceType}`, children: present.map((f) => fieldNode(f, data[f])) }],
  };
}

function readPersonenname(el: XmlEl): Record<string, string> {
  const person: Record<string, string> = {};
  for (const key of PERSONENNAME) person[key] = childText(el, NACHWEIS_NS, key) ?? '';
  return person;
}

function readField(el: XmlEl): unknown {
  switch (el.name) {
    case 'staatsangehoerigkeit':
      return childrenNamed(el, NACHWEIS_NS, 'staat').map((s) => textOf(s) ?? '');
    case 'anschrift': {
      const address: Record<string, string> = {};
      for (const key of ANSCHRIFT) address[key] = childText(el, NACHWEIS_NS, key) ?? '';
      return address;
    }
    case 'kind':
      return readPersonenname(el);
    case 'eltern':
      return childrenNamed(el, NACHWEIS_NS, 'elternteil').map(readPersonenname);
    default:
      return textOf(el) ?? '';
  }
}

export interface XoevEvidenceData {
  /** The element name inside `oog:nachweis`, i.e. the evidence type the data is of. */
  readonly evidenceType: string;
  /** In the JSON shape of schemas/evidence/<type>.schema.json. */
  readonly data: Readonly<Record<string, unknown>>;
  /** The fields present, in document order. */
  readonly fields: readonly string[];
}

/**
 * Reads an `oog:nachweis` element (already schema-valid) into the JSON shape. Throws ERR_SCHEMA if it does not
 * hold exactly one known evidence element.
 */
export function readEvidenceData(nachweis: XmlEl | undefined): XoevEvidenceData {
  const inner = nachweis === undefined ? [] : elementsOf(nachweis);
  const typed = inner[0];
  const known =
    typed !== undefined && Object.hasOwn(XOEV_EVIDENCE_FIELDS, typed.name)
      ? XOEV_EVIDENCE_FIELDS[typed.name]
      : undefined;
  if (inner.length !== 1 || typed === undefined || typed.ns !== NACHWEIS_NS || known === undefined) {
    throw new GatewayError('ERR_SCHEMA', 'nachweis must hold one known evidence type');
  }
  const data: Record<string, unknown> = {};
  const fields: string[] = [];
  for (const field of elementsOf(typed)) {
    // The schema already allows only these; checked again because the names become object keys.
    if (field.ns !== NACHWEIS_NS || !known.includes(field.name) || fields.includes(field.name)) {
      throw new GatewayError('ERR_SCHEMA', `${typed.name} holds an element that is not one of its fields`);
    }
    data[field.name] = readField(field);
    fields.push(field.name);
  }
  return { evidenceType: typed.name, data, fields };
}

/** `oog:nachweis` of a content element, for callers that hold the content. */
export function nachweisOf(content: XmlEl | undefined): XmlEl | undefined {
  return onlyChild(content, NACHWEIS_NS, 'nachweis');
}
