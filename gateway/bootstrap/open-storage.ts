/**
 * The one place that picks the storage backend (docs/architecture.md "Adding a store"). Everything else gets the
 * stores as core ports from here, so a backend is a branch here, not a change through the composition root, the
 * web layer and the callbacks. DATABASE_URL: PostgreSQL, shared by several instances (postgres-storage.ts);
 * otherwise one embedded SQLite file in OOG_DATA_DIR (sqlite-storage.ts). Either holds every store, so that a
 * backup restores them together.
 */
import type { Config } from '../config.js';
import { openPostgresLogStore, openPostgresStorage } from './postgres-storage.js';
import { openSqliteLogStore, openSqliteStorage } from './sqlite-storage.js';
import type { LogStore, OpenStorageOptions, Storage } from './storage.js';
export type { LogStore, OpenStorageOptions, Storage } from './storage.js';

/** Opens the storage `config` names (DATABASE_URL, else SQLite in OOG_DATA_DIR), creating it on a first start. */
export async function openStorage(config: Config, options: OpenStorageOptions): Promise<Storage> {
  if (config.databaseUrl) {
    return openPostgresStorage(config, config.databaseUrl, options);
  }
  return openSqliteStorage(config, options);
}

/**
 * Opens only the transfer log's store, for the operator's commands (`oog log …`): read-only for those that only
 * read. Throws if there is no store yet: a command must not create an empty one where the operator mistyped.
 */
export async function openLogStorage(
  config: Config,
  options: { readonly readonly: boolean },
): Promise<{ readonly store: LogStore; readonly location: string; close(): Promise<void> }> {
  if (config.databaseUrl) {
    // PostgreSQL has no read-only open here: the commands that only read simply write nothing.
    return openPostgresLogStore(config.databaseUrl);
  }
  return openSqliteLogStore(config, options);
}
