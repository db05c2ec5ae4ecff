/** The storage's shape: every store as a core port, whichever backend open-storage.ts picked. */
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
import type { PostgresDatabase } from '../adapters/postgres/postgres-database.js';
import type { SqliteDatabase } from '../adapters/sqlite/sqlite-database.js';

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
   * exclude each other: in memory for the embedded backend (one process), an advisory lock on PostgreSQL.
   */
  lock(domain: string): KeyedLock;
  /** The backend itself, for the operator's tools and the tests that inject store faults. */
  readonly backend:
    | { readonly kind: 'sqlite'; readonly database: SqliteDatabase }
    | { readonly kind: 'postgres'; readonly database: PostgresDatabase };
  close(): Promise<void>;
}

export interface OpenStorageOptions {
  readonly clock: Clock;
  /**
   * Called when there is no store yet, before an empty one is created; throwing refuses (the anchor shows that a
   * log existed, so a missing store is an incident, not a first start).
   */
  readonly beforeCreate?: (location: string) => Promise<void>;
  /**
   * Secrets every instance sharing the storage must hold alike (named by the setting that points to each): a
   * shared backend records their fingerprints at the first start and refuses an instance whose differ.
   */
  readonly sharedSecrets?: Readonly<Record<string, Uint8Array>>;
}
