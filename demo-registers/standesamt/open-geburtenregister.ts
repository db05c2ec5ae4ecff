/**
 * The demo Standesamt's own birth register: one SQLite file (better-sqlite3), separate from the gateway's store.
 * Seeded once with DEMO_BIRTH_RECORDS when the file is new; later starts keep whatever the register holds.
 */
import Database from 'better-sqlite3';
import { DEMO_BIRTH_RECORDS, type BirthRecord, type Personenname } from './birth-records.js';

export interface Geburtenregister {
  /** The birth record of the person with this IDNr, or undefined. */
  find(idnr: string): BirthRecord | undefined;
  /** Registers a birth or replaces its record (a correction). */
  upsert(idnr: string, record: BirthRecord): void;
  count(): number;
  /** ms since epoch of the one seeding of this file. */
  seededAt(): number;
  close(): void;
}

interface Row {
  kind_familienname: string;
  kind_vornamen: string;
  geburtsdatum: string;
  geburtsort: string;
  eltern: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS geburten (
    idnr TEXT PRIMARY KEY CHECK (length(idnr) = 11),
    kind_familienname TEXT NOT NULL,
    kind_vornamen TEXT NOT NULL,
    geburtsdatum TEXT NOT NULL,
    geburtsort TEXT NOT NULL,
    eltern TEXT NOT NULL CHECK (json_valid(eltern))
  ) STRICT;
  CREATE TABLE IF NOT EXISTS register_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
`;

function toRow(idnr: string, r: BirthRecord): Record<string, string> {
  return {
    idnr,
    kind_familienname: r.kind.familienname,
    kind_vornamen: r.kind.vornamen,
    geburtsdatum: r.geburtsdatum,
    geburtsort: r.geburtsort,
    eltern: JSON.stringify(r.eltern.map((p) => ({ familienname: p.familienname, vornamen: p.vornamen }))),
  };
}

function fromRow(row: Row): BirthRecord {
  return {
    kind: { familienname: row.kind_familienname, vornamen: row.kind_vornamen },
    geburtsdatum: row.geburtsdatum,
    geburtsort: row.geburtsort,
    eltern: JSON.parse(row.eltern) as Personenname[],
  };
}

/**
 * Opens (creating if needed) the register at `path` and seeds it with DEMO_BIRTH_RECORDS exactly once, in the
 * transaction that marks it seeded. `nowMs` stamps the seeding. Throws better-sqlite3's errors if the file
 * cannot be opened.
 */
export function openGeburtenregister(path: string, nowMs: () => number = Date.now): Geburtenregister {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
  } catch (error) {
    db.close();
    throw error;
  }
  const upsertRow = db.prepare(`
    INSERT INTO geburten (idnr, kind_familienname, kind_vornamen, geburtsdatum, geburtsort, eltern)
    VALUES (@idnr, @kind_familienname, @kind_vornamen, @geburtsdatum, @geburtsort, @eltern)
    ON CONFLICT (idnr) DO UPDATE SET
      kind_familienname = excluded.kind_familienname, kind_vornamen = excluded.kind_vornamen,
      geburtsdatum = excluded.geburtsdatum, geburtsort = excluded.geburtsort, eltern = excluded.eltern`);
  const selectRow = db.prepare<[string], Row>(
    'SELECT kind_familienname, kind_vornamen, geburtsdatum, geburtsort, eltern FROM geburten WHERE idnr = ?',
  );
  const countRows = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM geburten');
  const readMeta = db.prepare<[string], { value: string }>('SELECT value FROM register_meta WHERE key = ?');
  const writeMeta = db.prepare('INSERT INTO register_meta (key, value) VALUES (?, ?)');

  db.transaction(() => {
    if (readMeta.get('seeded_at') !== undefined) return;
    for (const [idnr, record] of Object.entries(DEMO_BIRTH_RECORDS)) upsertRow.run(toRow(idnr, record));
    writeMeta.run('seeded_at', String(nowMs()));
  }).immediate();

  return {
    find(idnr) {
      const row = selectRow.get(idnr);
      return row === undefined ? undefined : fromRow(row);
    },
    upsert(idnr, record) {
      upsertRow.run(toRow(idnr, record));
    },
    count: () => countRows.get()!.n,
    seededAt: () => Number(readMeta.get('seeded_at')!.value),
    close() {
      if (db.open) db.close();
    },
  };
}
