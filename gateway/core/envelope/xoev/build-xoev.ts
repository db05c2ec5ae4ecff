/**
 * Writing the project's XÖV messages (schemas/xoev/oog-nachweis.xsd; PROTOCOL.md §1b, §2, §1c, §6), unsigned:
 * signXoev adds the enveloped signature. The header is always the XÖV-Basisnachricht G2G 1.1
 * `nachrichtenkopf.g2g` with DVDV participant ids.
 */
import { isParticipantId, isUuid } from '../../ids.js';
import type { ErrorCode } from '../../errors.js';
import { evidenceDataNode } from './evidence-data.js';
import { leaf, renderXml, type XmlNode } from './xml-writer.js';
import {
  BEHOERDE_NS,
  DVDV,
  FEHLERCODE_LIST_URI,
  FEHLERCODE_LIST_VERSION,
  G2G_NS,
  NACHRICHTENTYP_LIST_URI,
  NACHRICHTENTYP_LIST_VERSION,
  NACHWEIS_NS,
  VERZEICHNISDIENST_LIST_URI,
  VERZEICHNISDIENST_LIST_VERSION,
  XOEV_MESSAGE_TYPES,
  XOEV_PRODUCT,
  XOEV_STANDARD,
  XOEV_VENDOR,
  XOEV_VERSION,
  type XoevMessageType,
} from './xoev-constants.js';
import type { ForwardedContent } from '../../exchange/forwarded-content.js';

/** A participant as the header names it. */
export interface XoevParticipantRef {
  /** DVDV participant id, e.g. `ags:09999002`. */
  readonly id: string;
  /** Display name (written as DIN 91379 type C text). */
  readonly name: string;
}

/** What every message's header carries. */
export interface XoevHeaderInput {
  /** nachrichtenUUID: a fresh lower-case UUID per message. */
  readonly messageId: string;
  /** erstellungszeitpunkt, ms since epoch (written as UTC with milliseconds). */
  readonly issuedAtMs: number;
  readonly autor: XoevParticipantRef;
  readonly leser: XoevParticipantRef;
  /** Sets the root attribute `test` ("a test message, not for production processing"). */
  readonly test?: boolean;
  /** Root attribute `produkt`; default "Once-Only Gateway". */
  readonly product?: string;
}

/** Names reach DIN 91379 type C: dashes it lacks become '-', controls become spaces. */
export function toDinText(text: string): string {
  return text.replace(/[\u2010-\u2015\u2212]/g, '-').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

function assertHeader(header: XoevHeaderInput): void {
  if (!isUuid(header.messageId)) throw new TypeError('messageId: a lower-case UUID');
  if (!Number.isSafeInteger(header.issuedAtMs) || header.issuedAtMs < 0)
    throw new TypeError('issuedAtMs: ms');
  for (const party of [header.autor, header.leser]) {
    if (!isParticipantId(party.id)) throw new TypeError(`not a participant id: ${JSON.stringify(party.id)}`);
  }
}

function party(name: string, ref: XoevParticipantRef): XmlNode {
  return {
    name: `bn-g2g:${name}`,
    children: [
      {
        name: 'bn-beh:verzeichnisdienst',
        attrs: { listURI: VERZEICHNISDIENST_LIST_URI, listVersionID: VERZEICHNISDIENST_LIST_VERSION },
        children: [{ name: 'code', text: DVDV }],
      },
      { name: 'bn-beh:kennung', text: ref.id },
      { name: 'bn-beh:name', text: toDinText(ref.name) },
    ],
  };
}

/** Renders a whole message: XML declaration, root with the G2G attributes, header, then `content`. */
function buildMessage(
  type: XoevMessageType,
  header: XoevHeaderInput,
  content: readonly (XmlNode | undefined)[],
): string {
  assertHeader(header);
  const spec = XOEV_MESSAGE_TYPES[type];
  const attrs: Record<string, string> = {
    'xmlns:oog': NACHWEIS_NS,
    'xmlns:bn-g2g': G2G_NS,
    'xmlns:bn-beh': BEHOERDE_NS,
    produkt: toDinText(header.product ?? XOEV_PRODUCT),
    produkthersteller: XOEV_VENDOR,
    standard: XOEV_STANDARD,
    version: XOEV_VERSION,
  };
  if (header.test === true) attrs.test = 'true';
  const root: XmlNode = {
    name: `oog:${spec.element}`,
    attrs,
    children: [
      {
        name: 'bn-g2g:nachrichtenkopf.g2g',
        children: [
          {
            name: 'bn-g2g:identifikation.nachricht',
            children: [
              { name: 'bn-g2g:nachrichtenUUID', text: header.messageId },
              {
                name: 'bn-g2g:nachrichtentyp',
                attrs: { listURI: NACHRICHTENTYP_LIST_URI, listVersionID: NACHRICHTENTYP_LIST_VERSION },
                children: [
                  { name: 'code', text: spec.code },
                  { name: 'name', text: spec.element },
                ],
              },
              { name: 'bn-g2g:erstellungszeitpunkt', text: new Date(header.issuedAtMs).toISOString() },
            ],
          },
          party('leser', header.leser),
          party('autor', header.autor),
        ],
      },
      { name: 'oog:nachrichteninhalt', children: content },
    ],
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderXml(root)}\n`;
}

function person(idnr: string): XmlNode {
  return { name: 'oog:person', children: [{ name: 'oog:idnr', text: idnr }] };
}

function verfahren(procedure: { readonly reference: string; readonly service?: string }): XmlNode {
  return {
    name: 'oog:verfahren',
    children: [leaf('oog:aktenzeichen', procedure.reference), leaf('oog:leistung', procedure.service)],
  };
}

function felder(fields: readonly string[] | undefined): XmlNode | undefined {
  if (fields === undefined) return undefined;
  return { name: 'oog:felder', children: fields.map((f) => ({ name: 'oog:feld', text: f })) };
}

/** The content of an evidence request: the claims of PROTOCOL.md §1a. */
export interface XoevRequestContent {
  readonly evidenceType: string;
  readonly provider?: string;
  readonly subjectIdnr: string;
  readonly purpose: string;
  readonly procedure: { readonly reference: string; readonly service?: string };
  readonly actor: string;
  readonly consentId?: string;
  readonly fields?: readonly string[];
}

/**
 * The unsigned evidence request `nachweisanfrage.0101` of a consumer (autor) to the gateway (leser),
 * PROTOCOL.md §1b. For the CLI's `oog send --xoev`: sign it with signXoev. Throws TypeError on bad ids.
 */
export function buildXoevRequest(header: XoevHeaderInput, content: XoevRequestContent): string {
  return buildMessage('nachweisanfrage', header, [
    leaf('oog:nachweistyp', content.evidenceType),
    leaf('oog:nachweislieferant', content.provider),
    person(content.subjectIdnr),
    leaf('oog:zweck', content.purpose),
    verfahren(content.procedure),
    leaf('oog:akteur', content.actor),
    leaf('oog:einwilligungID', content.consentId),
    felder(content.fields),
  ]);
}

/** The content of the forwarded request (PROTOCOL.md §2). */
export type XoevForwardedContent = ForwardedContent;

/** The unsigned forwarded request `nachweisanfrage.weiterleitung.0102`, gateway (autor) → provider (leser). */
export function buildXoevForwardedRequest(header: XoevHeaderInput, content: XoevForwardedContent): string {
  return buildMessage('weiterleitung', header, [
    leaf('oog:vorgangID', content.exchangeId),
    leaf('oog:nachweisempfaenger', content.consumer),
    leaf('oog:nachweistyp', content.evidenceType),
    person(content.subjectIdnr),
    leaf('oog:zweck', content.purpose),
    leaf('oog:rechtsgrundlage', content.legalBasis),
    verfahren(content.procedure),
    leaf('oog:akteur', content.actor),
    felder(content.fields),
    leaf('oog:regel', content.policy),
  ]);
}

/** The content of an evidence response (PROTOCOL.md §1c). */
export interface XoevEvidenceContent {
  readonly exchangeId: string;
  /** xoevRequestDigest of the forwarded request document as received. */
  readonly requestDigest: string;
  readonly evidenceType: string;
  readonly subjectIdnr: string;
  /** In the JSON shape of schemas/evidence/<type>.schema.json; only the requested fields. */
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The unsigned evidence response `nachweisantwort.0201`, provider (autor) → gateway (leser). Throws TypeError
 * for data that is not of the evidence type's shape.
 */
export function buildXoevEvidence(header: XoevHeaderInput, content: XoevEvidenceContent): string {
  return buildMessage('nachweisantwort', header, [
    leaf('oog:vorgangID', content.exchangeId),
    leaf('oog:anfrageDigest', content.requestDigest),
    leaf('oog:nachweistyp', content.evidenceType),
    person(content.subjectIdnr),
    evidenceDataNode(content.evidenceType, content.data),
  ]);
}

/** The content of a rejection (PROTOCOL.md §6). */
export interface XoevRejectionContent {
  readonly code: ErrorCode;
  /** Safe, short text (no personal data), e.g. the GatewayError's detail. */
  readonly description?: string;
  readonly exchangeId?: string;
  /** nachrichtenUUID of the refused message, if it could be read. */
  readonly refersTo?: string;
}

/** The unsigned rejection `rueckweisung.0901` carrying a PROTOCOL.md §6 code. */
export function buildXoevRejection(header: XoevHeaderInput, content: XoevRejectionContent): string {
  const description =
    content.description === undefined
      ? undefined
      : toDinText(content.description).slice(0, 1024) || undefined;
  return buildMessage('rueckweisung', header, [
    leaf('oog:vorgangID', content.exchangeId),
    leaf('oog:bezugNachrichtenUUID', content.refersTo),
    {
      name: 'oog:fehlercode',
      attrs: { listURI: FEHLERCODE_LIST_URI, listVersionID: FEHLERCODE_LIST_VERSION },
      children: [{ name: 'code', text: content.code }],
    },
    leaf('oog:beschreibung', description),
  ]);
}
