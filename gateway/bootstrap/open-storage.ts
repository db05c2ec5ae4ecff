/**
 * The one place that picks the storage backend (docs/architecture.md "Adding a store"). Everything else gets the
 * stores as core ports from here, so a second backend (PostgreSQL) is a new branch in `openStorage`, not a change
 * through the composition root, the web layer and the callbacks.
 *
 * Today's backend: one embedded SQLite file in OOG_DATA_DIR (WAL, synchronous=FULL, group-committed), holding the
 * transfer log, the replay store, consents, previews, consent requests, the callback outbox, verification runs
 * and web sessions, so that a backup restores them together.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { createKeyedLock } from '../core/keyed-lock.js';
import type {
  CallbackOutbox,
  Clock,
  ConsentRequestStore,
  ConsentStore,
  KeyedLock,
  OpenIntents,
  PreviewStore,
  ReplayStore,
  StoreHealth,
  TransferLogQueries,
  TransferLogRetention,
  TransferLogStore,
  WebSessionStore,
} from '../core/ports.js';
import type { VerificationRunStore } from '../core/transfer-log/index.js';
import { SqliteCallbackOutbox } from '../adapters/sqlite/sqlite-callback-outbox.js';
import { SqliteConsentRequestStore } from '../adapters/sqlite/sqlite-consent-request-store.js';
import { SqliteConsentStore } from '../adapters/sqlite/sqlite-consent-store.js';
import { SqliteDatabase } from '../adapters/sqlite/sqlite-database.js';
import { SqlitePreviewStore } from '../adapters/sqlite/sqlite-preview-store.js';
import { SqliteReplayStore } from '../adapters/sqlite/sqlite-replay-store.js';
import { SqliteTransferLogStore } from '../adapters/sqlite/sqlite-transfer-log-store.js';
import { SqliteVerificationRunStore } from '../adapters/sqlite/sqlite-verification-run-store.js';
import { SqliteWebSessionStore } from '../adapters/sqlite/sqlite-web-session-store.js';

/** The transfer log's store with everything the gateway asks of it. */
export type LogStore = TransferLogStore & OpenIntents & TransferLogQueries & TransferLogRetention;

export interface Storage {
  /** Where the data is, for messages (a file path; a database URL without its password). */
  readonly location: string;
  readonly log: LogStore;
  readonly replay: ReplayStore;
  readonly consents: ConsentStore;
  readonly previews: PreviewStore;
  readonly consentRequests: ConsentRequestStore;
  readonly outbox: CallbackOutbox;
  readonly verificationRuns: VerificationRunStore;
  readonly webSessions: WebSessionStore;
  readonly health: StoreHealth;
  /**
   * A keyed lock for one domain (consents, previews, consent requests). Calls with the same domain and key
   * exclude each other; the embedded backend serves one process, so its lock is in memory.
   */
  lock(domain: string): KeyedLock;
  /** The backend itself, for the operator's tools and the tests that inject store faults. */
  readonly backend: { readonly kind: 'sqlite'; readonly database: SqliteDatabase };
  close(): Promise<void>;
}

export interface OpenStorageOptions {
  readonly clock: Clock;
  /**
   * Called when there is no store yet, before an empty one is created; throwing refuses (the anchor shows that a
   * log existed, so a missing store is an incident, not a first start).
   */
  readonly beforeCreate?: (location: string) => Promise<void>;
}

/** Opens the storage `config` names (DATABASE_URL, else SQLite in OOG_DATA_DIR), creating it on a first start. */
export async function openStorage(config: Config, options: OpenStorageOptions): Promise<Storage> {
  if (config.databaseUrl) {
    throw new Error(
      'DATABASE_URL is set, but this version stores only in embedded SQLite (OOG_DATA_DIR); unset it',
    );
  }
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
