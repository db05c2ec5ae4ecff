/**
 * The demo register of residents of Stadt Musterstadt (PROTOCOL.md §7). Invented people and addresses, for
 * demos and tests only. Field names and formats follow schemas/evidence/meldebescheinigung.schema.json.
 */

export const MELDEBESCHEINIGUNG = 'meldebescheinigung';

/** Every field of a Meldebescheinigung, in the order of PROTOCOL.md §7. */
export const MELDEBESCHEINIGUNG_FIELDS = [
  'familienname',
  'vornamen',
  'geburtsdatum',
  'geburtsort',
  'staatsangehoerigkeit',
  'anschrift',
  'einzugsdatum',
] as const;

export type MeldebescheinigungField = (typeof MELDEBESCHEINIGUNG_FIELDS)[number];

export interface Anschrift {
  readonly strasse: string;
  readonly hausnummer: string;
  readonly postleitzahl: string;
  readonly wohnort: string;
}

/** One resident as the register holds them: every Meldebescheinigung field. */
export interface MeldeRecord {
  readonly familienname: string;
  /** all first names, space-separated */
  readonly vornamen: string;
  /** ISO 8601 date */
  readonly geburtsdatum: string;
  readonly geburtsort: string;
  /** ISO 3166-1 alpha-3 codes */
  readonly staatsangehoerigkeit: readonly string[];
  readonly anschrift: Anschrift;
  /** ISO 8601 date of moving into the current address */
  readonly einzugsdatum: string;
}

export function isMeldebescheinigungField(name: unknown): name is MeldebescheinigungField {
  return typeof name === 'string' && (MELDEBESCHEINIGUNG_FIELDS as readonly string[]).includes(name);
}

/**
 * The residents the register is seeded with, by IDNr. Erika and Max were born in Musterstadt (so the
 * Standesamt holds their birth records too); Lena was born in Vienna and is a resident only. 12532870461 is a
 * valid IDNr that is deliberately absent.
 */
export const DEMO_CITIZENS: Readonly<Record<string, MeldeRecord>> = Object.freeze({
  '93141705862': {
    familienname: 'Mustermann',
    vornamen: 'Erika',
    geburtsdatum: '1964-08-12',
    geburtsort: 'Musterstadt',
    staatsangehoerigkeit: ['DEU'],
    anschrift: { strasse: 'Heidestraße', hausnummer: '17', postleitzahl: '99999', wohnort: 'Musterstadt' },
    einzugsdatum: '2012-06-01',
  },
  '20561748335': {
    familienname: 'Mustermann',
    vornamen: 'Max',
    geburtsdatum: '1983-02-28',
    geburtsort: 'Musterstadt',
    staatsangehoerigkeit: ['DEU'],
    anschrift: { strasse: 'Lindenallee', hausnummer: '5a', postleitzahl: '99999', wohnort: 'Musterstadt' },
    einzugsdatum: '2019-10-01',
  },
  '88310679245': {
    familienname: 'Beispiel',
    vornamen: 'Lena Marie',
    geburtsdatum: '1995-11-23',
    geburtsort: 'Wien',
    staatsangehoerigkeit: ['AUT'],
    anschrift: { strasse: 'Bahnhofstraße', hausnummer: '42', postleitzahl: '99999', wohnort: 'Musterstadt' },
    einzugsdatum: '2022-09-15',
  },
});
