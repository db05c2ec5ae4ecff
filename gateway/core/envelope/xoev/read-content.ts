/**
 * Reading the `oog:nachrichteninhalt` of each message type (schemas/xoev/oog-nachweis.xsd) after the signature
 * and the schema passed: the element structure is guaranteed, so a missing required element is a schema fault.
 */
import { GatewayError, isErrorCode, type ErrorCode } from '../../errors.js';
import { readEvidenceData, nachweisOf, type XoevEvidenceData } from './evidence-data.js';
import { childrenNamed, childText, onlyChild, textOf, type XmlEl } from './xml-tree.js';
import { NACHWEIS_NS } from './xoev-constants.js';
import type { ForwardedContent } from '../../exchange/forwarded-content.js';

function text(content: XmlEl | undefined, name: string): string | undefined {
  return childText(content, NACHWEIS_NS, name);
}

function required(content: XmlEl | undefined, name: string): string {
  const value = text(content, name);
  if (value === undefined) throw new GatewayError('ERR_SCHEMA', `${name} missing`);
  return value;
}

function idnrOf(content: XmlEl): string {
  const value = childText(onlyChild(content, NACHWEIS_NS, 'person'), NACHWEIS_NS, 'idnr');
  if (value === undefined) throw new GatewayError('ERR_SCHEMA', 'person/idnr missing');
  return value;
}

function procedureOf(content: XmlEl): { reference: string; service?: string } {
  const verfahren = onlyChild(content, NACHWEIS_NS, 'verfahren');
  const reference = required(verfahren, 'aktenzeichen');
  const service = text(verfahren, 'leistung');
  return service === undefined ? { reference } : { reference, service };
}

function fieldsOf(content: XmlEl): string[] | undefined {
  const felder = onlyChild(content, NACHWEIS_NS, 'felder');
  return felder === undefined
    ? undefined
    : childrenNamed(felder, NACHWEIS_NS, 'feld').map((f) => textOf(f) ?? '');
}

/** The claims of a `nachweisanfrage.0101` (PROTOCOL.md §1a without the header's iss/aud/iat/jti). */
export interface XoevRequestClaims {
  readonly evidenceType: string;
  readonly provider?: string;
  readonly subjectIdnr: string;
  readonly purpose: string;
  readonly procedure: { readonly reference: string; readonly service?: string };
  readonly actor: string;
  readonly consentId?: string;
  readonly fields?: readonly string[];
}

export function readRequestContent(content: XmlEl): XoevRequestClaims {
  const provider = text(content, 'nachweislieferant');
  const consentId = text(content, 'einwilligungID');
  const fields = fieldsOf(content);
  return {
    evidenceType: required(content, 'nachweistyp'),
    ...(provider === undefined ? {} : { provider }),
    subjectIdnr: idnrOf(content),
    purpose: required(content, 'zweck'),
    procedure: procedureOf(content),
    actor: required(content, 'akteur'),
    ...(consentId === undefined ? {} : { consentId }),
    ...(fields === undefined ? {} : { fields }),
  };
}

/** The claims of a `nachweisanfrage.weiterleitung.0102` (PROTOCOL.md §2 without iss/aud/iat/jti). */
export type XoevForwardedClaims = ForwardedContent;

export function readForwardedContent(content: XmlEl): XoevForwardedClaims {
  const fields = fieldsOf(content);
  if (fields === undefined) throw new GatewayError('ERR_SCHEMA', 'felder missing');
  return {
    exchangeId: required(content, 'vorgangID'),
    consumer: required(content, 'nachweisempfaenger'),
    evidenceType: required(content, 'nachweistyp'),
    subjectIdnr: idnrOf(content),
    purpose: required(content, 'zweck'),
    legalBasis: required(content, 'rechtsgrundlage'),
    procedure: procedureOf(content),
    actor: required(content, 'akteur'),
    fields,
    policy: required(content, 'regel'),
  };
}

/** The content of a `nachweisantwort.0201`. */
export interface XoevEvidenceClaims extends XoevEvidenceData {
  readonly exchangeId: string;
  readonly requestDigest: string;
  /** `nachweistyp` as written (the caller checks it against the data's evidence type). */
  readonly declaredEvidenceType: string;
  readonly subjectIdnr: string;
}

export function readEvidenceContent(content: XmlEl): XoevEvidenceClaims {
  return {
    exchangeId: required(content, 'vorgangID'),
    requestDigest: required(content, 'anfrageDigest'),
    declaredEvidenceType: required(content, 'nachweistyp'),
    subjectIdnr: idnrOf(content),
    ...readEvidenceData(nachweisOf(content)),
  };
}

/** The content of a `rueckweisung.0901`. */
export interface XoevRejectionClaims {
  readonly code: ErrorCode;
  readonly description?: string;
  readonly exchangeId?: string;
  readonly refersTo?: string;
}

export function readRejectionContent(content: XmlEl): XoevRejectionClaims {
  const code = childText(onlyChild(content, NACHWEIS_NS, 'fehlercode'), '', 'code')?.trim();
  if (!isErrorCode(code)) throw new GatewayError('ERR_SCHEMA', 'fehlercode is not a PROTOCOL §6 code');
  const description = text(content, 'beschreibung');
  const exchangeId = text(content, 'vorgangID');
  const refersTo = text(content, 'bezugNachrichtenUUID');
  return {
    code,
    ...(description === undefined ? {} : { description }),
    ...(exchangeId === undefined ? {} : { exchangeId }),
    ...(refersTo === undefined ? {} : { refersTo }),
  };
}
