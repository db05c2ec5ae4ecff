/**
 * Reading the XÖV message header (PROTOCOL.md §1b) in its three shapes:
 * - XÖV-Basisnachricht G2G 1.1, qualified: `bn-g2g:nachrichtenkopf.g2g` with `bn-beh:verzeichnisdienst` +
 *   `bn-beh:kennung` (e.g. XBeteiligung, and the gateway's own messages);
 * - the same header unqualified (`xoev-basisnachricht-unqualified-g2g_1.1`, e.g. XWasser);
 * - the older XInneres header: unqualified `nachrichtenkopf`, parties as `behoerdenkennung` = `praefix` +
 *   `kennung` (each an XÖV Code).
 * All map leser/autor to the same participant id: G2G `kennung` (`ags:09999001`), XInneres `praefix:kennung`.
 * Reading is lenient (a missing part is undefined); what must be present is for the caller to decide.
 */
import { attrOf, childText, elementsOf, onlyChild, type XmlEl } from './xml-tree.js';
import { BEHOERDE_NS, G2G_NS } from './xoev-constants.js';

export type XoevHeaderForm = 'g2g' | 'g2g-unqualified' | 'xinneres';

/** An XÖV Code value (XÖV-Datentyp Code): the code and the code list it belongs to. */
export interface XoevCode {
  readonly code: string | undefined;
  readonly listURI: string | undefined;
  readonly listVersionID: string | undefined;
  readonly name: string | undefined;
}

export interface XoevParty {
  /** The participant id (`praefix:kennung`), or undefined if the header does not name one. */
  readonly id: string | undefined;
  /** G2G: the `verzeichnisdienst` code (e.g. `DVDV`); XInneres: undefined. */
  readonly verzeichnisdienst: string | undefined;
  /** G2G `name` or XInneres `behoerdenname`. */
  readonly name: string | undefined;
}

export interface XoevHeader {
  readonly form: XoevHeaderForm;
  readonly nachrichtenUUID: string | undefined;
  readonly nachrichtentyp: XoevCode;
  /** As written (xs:dateTime). */
  readonly erstellungszeitpunkt: string | undefined;
  readonly leser: XoevParty;
  readonly autor: XoevParty;
}

/** xs:token's whitespace collapse. */
function collapse(text: string | undefined): string | undefined {
  return text?.replace(/[ \t\r\n]+/g, ' ').trim();
}

function codeOf(el: XmlEl | undefined): XoevCode {
  return {
    code: collapse(childText(el, '', 'code')),
    listURI: collapse(attrOf(el, 'listURI')),
    listVersionID: attrOf(el, 'listVersionID'),
    name: childText(el, '', 'name'),
  };
}

function g2gParty(el: XmlEl | undefined, ns: string): XoevParty {
  return {
    id: childText(el, ns, 'kennung'),
    verzeichnisdienst: codeOf(onlyChild(el, ns, 'verzeichnisdienst')).code,
    name: childText(el, ns, 'name'),
  };
}

function xinneresParty(el: XmlEl | undefined): XoevParty {
  const kennung = onlyChild(el, '', 'behoerdenkennung');
  const praefix = codeOf(onlyChild(kennung, '', 'praefix')).code;
  const nummer = codeOf(onlyChild(kennung, '', 'kennung')).code;
  return {
    id: praefix !== undefined && nummer !== undefined ? `${praefix}:${nummer}` : undefined,
    verzeichnisdienst: undefined,
    name: childText(el, '', 'behoerdenname'),
  };
}

/**
 * The header of an XÖV message: the first element child of the root, in one of the three shapes above, or
 * undefined if the root does not start with one. Never throws.
 */
export function readXoevHeader(root: XmlEl): XoevHeader | undefined {
  const head = elementsOf(root)[0];
  if (head === undefined) return undefined;
  let form: XoevHeaderForm;
  if (head.name === 'nachrichtenkopf.g2g' && head.ns === G2G_NS) form = 'g2g';
  else if (head.name === 'nachrichtenkopf.g2g' && head.ns === '') form = 'g2g-unqualified';
  else if (head.name === 'nachrichtenkopf' && head.ns === '') form = 'xinneres';
  else return undefined;

  const ns = form === 'g2g' ? G2G_NS : '';
  const partyNs = form === 'g2g' ? BEHOERDE_NS : '';
  const id = onlyChild(head, ns, 'identifikation.nachricht');
  const party = (name: string) => {
    const el = onlyChild(head, ns, name);
    return form === 'xinneres' ? xinneresParty(el) : g2gParty(el, partyNs);
  };
  return {
    form,
    nachrichtenUUID: childText(id, ns, 'nachrichtenUUID'),
    nachrichtentyp: codeOf(onlyChild(id, ns, 'nachrichtentyp')),
    erstellungszeitpunkt: collapse(childText(id, ns, 'erstellungszeitpunkt')),
    leser: party('leser'),
    autor: party('autor'),
  };
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,12}))?(Z|[+-](\d{2}):(\d{2}))?$/;

export interface XsDateTime {
  /** ms since epoch; for a value without time zone, as if it were UTC. */
  readonly ms: number;
  readonly hasTimeZone: boolean;
}

/** Parses an xs:dateTime with a four-digit year (XML Schema 1.1 Part 2 §3.3.8), or undefined if it is not one. */
export function parseXsDateTime(text: string | undefined): XsDateTime | undefined {
  const match = text === undefined ? null : DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone, zh, zm] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  let offset = 0;
  if (zone !== undefined && zone !== 'Z') {
    const zoneHours = Number(zh);
    const zoneMinutes = Number(zm);
    if (zoneHours > 14 || zoneMinutes > 59 || (zoneHours === 14 && zoneMinutes > 0)) return undefined;
    offset = (zone.startsWith('-') ? -1 : 1) * (zoneHours * 60 + zoneMinutes) * 60_000;
  }
  const ms = Number((fraction ?? '').padEnd(3, '0').slice(0, 3));
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, ms);
  return { ms: utc.getTime() - offset, hasTimeZone: zone !== undefined };
}
