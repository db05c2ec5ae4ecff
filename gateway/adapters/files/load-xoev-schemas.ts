/**
 * Reads the project's XÖV schemas (schemas/xoev/: oog-nachweis.xsd, xmldsig-profil.xsd and the unmodified KoSIT
 * files in kosit/) into the XoevSchemaFiles the core compiles in process (gateway/core/envelope/xoev).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fromRoot } from '../../paths.js';
import type { XoevSchemaFiles } from '../../core/envelope/xoev/index.js';

/** The project's schemas/xoev folder. */
export const XOEV_SCHEMA_DIR = fromRoot('schemas/xoev');

/** The entry schema of the project's messages. */
export const XOEV_ENTRY_SCHEMA = 'oog-nachweis.xsd';

function collect(dir: string, prefix: string, files: Record<string, string>): void {
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const relative = prefix === '' ? name : `${prefix}/${name}`;
    if (statSync(full).isDirectory()) collect(full, relative, files);
    else if (name.endsWith('.xsd')) files[relative] = readFileSync(full, 'utf8');
  }
}

/**
 * Every `.xsd` under `dir` (default schemas/xoev), by path relative to it, with `entry` as the entry schema.
 * Throws the fs error if the folder cannot be read, and a plain Error if the entry schema is missing.
 */
export function loadXoevSchemas(
  dir: string = XOEV_SCHEMA_DIR,
  entry: string = XOEV_ENTRY_SCHEMA,
): XoevSchemaFiles {
  const files: Record<string, string> = {};
  collect(dir, '', files);
  if (files[entry] === undefined) throw new Error(`${path.join(dir, entry)}: entry schema missing`);
  return Object.freeze({ entry, files: Object.freeze(files) });
}
