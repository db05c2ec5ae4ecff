/**
 * The embedded backend: one SQLite file in OOG_DATA_DIR (WAL, synchronous=FULL, group-committed) that holds every
 * store, so a backup restores them together. Only bootstrap/open-storage.ts uses this module.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { createKeyedLock } from '../core/keyed-lock.js';
import type { KeyedLock } from '../core/ports.js';
import { SqliteCallbackOutbox } from '../adapters/sqlite/sqlite-callback-outbox.js';
import { SqliteConsentRequestStore } from '../adapters/sqlite/sqlite-consent-request-store.js';
import { SqliteConsentStore } from '../adapters/sqlite/sqlite-consent-store.js';
import { SqliteDatabase } from '../adapters/sqlite/sqlite-database.js';
import { SqlitePreviewStore } from '../adapters/sqlite/sqlite-preview-store.js';
import { SqliteReplayStore } from '../adapters/sqlite/sqlite-replay-store.js';
import { SqliteTransferLogStore } from '../adapters/sqlite/sqlite-transfer-log-store.js';
import { SqliteVerificationRunStore } from '../adapters/sqlite/sqlite-verification-run-store.js';
import { SqliteWebSessionStore } from '../adapters/sqlite/sqlite-web-session-store.js';

import type { LogStore, OpenStorageOptions, Storage } from './storage.js';

export async function openSqliteStorage(config: Config, options: OpenStorageOptions): Promise<Storage> {
  mkdirSync(config.dataDir, { recursive: true });
  const file = join(config.dataDir, 'gateway.db');
  if (!existsSync(file)) await options.beforeCreate?.(file);
  const database = new SqliteDatabase(file);
  try {
    const locks = new Map<string, KeyedLock>();
    return {
      location: file,
      log: new SqliteTransferLogStore(database),
      replay: new SqliteReplayStore(database, options.clock),
      consents: new SqliteConsentStore(database),
      previews: new SqlitePreviewStore(database),
      consentRequests: new SqliteConsentRequestStore(database),
      outbox: new SqliteCallbackOutbox(database, {
        maxPending: config.callbacks.maxPending,
        maxPendingPerConsumer: config.callbacks.maxPendingPerConsumer,
        maxFinished: config.callbacks.maxPending,
      }),
      verificationRuns: new SqliteVerificationRunStore(database),
      webSessions: new SqliteWebSessionStore(database),
      health: { ready: () => database.ready() },
      lock(domain) {
        let lock = locks.get(domain);
        if (lock === undefined) locks.set(domain, (lock = createKeyedLock()));
        return lock;
      },
      backend: { kind: 'sqlite', database },
      async close() {
        database.close();
      },
    };
  } catch (error) {
    database.close();
    throw error;
  }
}

export async function openSqliteLogStore(
  config: Config,
  options: { readonly readonly: boolean },
): Promise<{ readonly store: LogStore; readonly location: string; close(): Promise<void> }> {
  const file = join(config.dataDir, 'gateway.db');
  if (!existsSync(file)) throw new Error(`no gateway store at ${file}`);
  const database = new SqliteDatabase(file, options);
  try {
    return {
      store: new SqliteTransferLogStore(database),
      location: file,
      async close() {
        database.close();
      },
    };
  } catch (error) {
    database.close();
    throw error;
  }
}
