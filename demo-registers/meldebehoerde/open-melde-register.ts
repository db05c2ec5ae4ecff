/**
 * The demo Meldebehörde's own register: one SQLite file (better-sqlite3), separate from the gateway's store.
 * Seeded once with DEMO_CITIZENS when the file is new; later starts keep whatever the register holds.
 */
import Database from 'better-sqlite3';
import { DEMO_CITIZENS, type MeldeRecord } from './demo-citizens.js';

export interface MeldeRegister {
  /** The resident with this IDNr, or undefined. */
  find(idnr: string): MeldeRecord | undefined;
  /** Registers a resident or replaces their record (a move, a change of name). */
  upsert(idnr: string, record: MeldeRecord): void;
  count(): number;
  /** ms since epoch of the one seeding of this file. */
  seededAt(): number;
  close(): void;
}

interface Row {
  familienname: string;
  vornamen: string;
  geburtsdatum: string;
  geburtsort: string;
  staatsangehoerigkeit: string;
  strasse: string;
  hausnummer: string;
  postleitzahl: string;
  wohnort: string;
  einzugsdatum: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS einwohner (
    idnr TEXT PRIMARY KEY CHECK (length(idnr) = 11),
    familienname TEXT NOT NULL,
    vornamen TEXT NOT NULL,
    geburtsdatum TEXT NOT NULL,
    geburtsort TEXT NOT NULL,
    staatsangehoerigkeit TEXT NOT NULL,
    strasse TEXT NOT NULL,
    hausnummer TEXT NOT NULL,
    postleitzahl TEXT NOT NULL,
    wohnort TEXT NOT NULL,
    einzugsdatum TEXT NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS register_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
`;

function toRow(idnr: string, r: MeldeRecord): Record<string, string> {
  return {
    idnr,
    familienname: r.familienname,
    vornamen: r.vornamen,
    geburtsdatum: r.geburtsdatum,
    geburtsort: r.geburtsort,
    staatsangehoerigkeit: r.staatsangehoerigkeit.join(','),
    strasse: r.anschrift.strasse,
    hausnummer: r.anschrift.hausnummer,
    postleitzahl: r.anschrift.postleitzahl,
    wohnort: r.anschrift.wohnort,
    einzugsdatum: r.einzugsdatum,
  };
}

function fromRow(row: Row): MeldeRecord {
  return {
    familienname: row.familienname,
    vornamen: row.vornamen,
    geburtsdatum: row.geburtsdatum,
    geburtsort: row.geburtsort,
    staatsangehoerigkeit: row.staatsangehoerigkeit.split(','),
    anschrift: {
      strasse: row.strasse,
      hausnummer: row.hausnummer,
      postleitzahl: row.postleitzahl,
      wohnort: row.wohnort,
    },
    einzugsdatum: row.einzugsdatum,
  };
}

/**
 * Opens (creating if needed) the register at `path` and seeds it with DEMO_CITIZENS exactly once, in the same
 * transaction that marks it seeded, so a crash mid-seed leaves an empty file that is seeded on the next start.
 * `nowMs` stamps the seeding. Throws better-sqlite3's errors if the file cannot be opened.
 */
export function openMeldeRegister(path: string, nowMs: () => number = Date.now): MeldeRegister {
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
    INSERT INTO einwohner (idnr, familienname, vornamen, geburtsdatum, geburtsort, staatsangehoerigkeit, strasse,
                           hausnummer, postleitzahl, wohnort, einzugsdatum)
    VALUES (@idnr, @familienname, @vornamen, @geburtsdatum, @geburtsort, @staatsangehoerigkeit, @strasse,
            @hausnummer, @postleitzahl, @wohnort, @einzugsdatum)
    ON CONFLICT (idnr) DO UPDATE SET
      familienname = excluded.familienname, vornamen = excluded.vornamen, geburtsdatum = excluded.geburtsdatum,
      geburtsort = excluded.geburtsort, staatsangehoerigkeit = excluded.staatsangehoerigkeit,
      strasse = excluded.strasse, hausnummer = excluded.hausnummer, postleitzahl = excluded.postleitzahl,
      wohnort = excluded.wohnort, einzugsdatum = excluded.einzugsdatum`);
  const selectRow = db.prepare<[string], Row>(`
    SELECT familienname, vornamen, geburtsdatum, geburtsort, staatsangehoerigkeit, strasse, hausnummer,
           postleitzahl, wohnort, einzugsdatum
    FROM einwohner WHERE idnr = ?`);
  const countRows = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM einwohner');
  const readMeta = db.prepare<[string], { value: string }>('SELECT value FROM register_meta WHERE key = ?');
  const writeMeta = db.prepare('INSERT INTO register_meta (key, value) VALUES (?, ?)');

  db.transaction(() => {
    if (readMeta.get('seeded_at') !== undefined) return;
    for (const [idnr, record] of Object.entries(DEMO_CITIZENS)) upsertRow.run(toRow(idnr, record));
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
