/**
 * The demo birth register of the Standesamt Musterstadt (PROTOCOL.md §7): invented people, for demos and tests
 * only. Erika and Max Mustermann were born in Musterstadt (Erika is Max's mother); Lena Beispiel was born in
 * Vienna and has no record here, nor has 12532870461. Field names and shapes follow
 * schemas/evidence/geburtsurkunde.schema.json and the XÖV `oog:geburtsurkunde` of schemas/xoev/oog-nachweis.xsd.
 */

export const GEBURTSURKUNDE = 'geburtsurkunde';

/** Every field of a Geburtsurkunde, in the order of PROTOCOL.md §7. */
export const GEBURTSURKUNDE_FIELDS = ['kind', 'geburtsdatum', 'geburtsort', 'eltern'] as const;

export type GeburtsurkundeField = (typeof GEBURTSURKUNDE_FIELDS)[number];

export interface Personenname {
  readonly familienname: string;
  /** all first names, space-separated */
  readonly vornamen: string;
}

/** One birth record as the register holds it: every Geburtsurkunde field. */
export interface BirthRecord {
  /** The child's name as registered at birth. */
  readonly kind: Personenname;
  /** ISO 8601 date */
  readonly geburtsdatum: string;
  readonly geburtsort: string;
  /** at most two */
  readonly eltern: readonly Personenname[];
}

export function isGeburtsurkundeField(name: unknown): name is GeburtsurkundeField {
  return typeof name === 'string' && (GEBURTSURKUNDE_FIELDS as readonly string[]).includes(name);
}

/** The records the register is seeded with, by IDNr of the person born. */
export const DEMO_BIRTH_RECORDS: Readonly<Record<string, BirthRecord>> = Object.freeze({
  '93141705862': {
    kind: { familienname: 'Mustermann', vornamen: 'Erika' },
    geburtsdatum: '1964-08-12',
    geburtsort: 'Musterstadt',
    eltern: [
      { familienname: 'Mustermann', vornamen: 'Karl Heinz' },
      { familienname: 'Mustermann', vornamen: 'Gertrud' },
    ],
  },
  '20561748335': {
    kind: { familienname: 'Mustermann', vornamen: 'Max' },
    geburtsdatum: '1983-02-28',
    geburtsort: 'Musterstadt',
    eltern: [
      { familienname: 'Mustermann', vornamen: 'Erika' },
      { familienname: 'Mustermann', vornamen: 'Thomas' },
    ],
  },
});
