/**
 * Runs the store contract suites against PostgreSQL (the machine's, test/helpers/postgres.ts): each test gets a
 * fresh database, migrated, and `reopen` opens a second pool on it (a second gateway instance). Today the
 * every store, the keyed lock and the database's health, as test/contract/sqlite.test.ts runs them on SQLite.
 */
import { PostgresDatabase } from '../../gateway/adapters/postgres/postgres-database.js';
import {
  POSTGRES_TRANSFER_LOG_MIGRATIONS,
  PostgresTransferLogStore,
} from '../../gateway/adapters/postgres/postgres-transfer-log-store.js';
import { PostgresCallbackOutbox } from '../../gateway/adapters/postgres/postgres-callback-outbox.js';
import { PostgresConsentRequestStore } from '../../gateway/adapters/postgres/postgres-consent-request-store.js';
import { PostgresConsentStore } from '../../gateway/adapters/postgres/postgres-consent-store.js';
import { createPostgresKeyedLock } from '../../gateway/adapters/postgres/postgres-keyed-lock.js';
import { PostgresPreviewStore } from '../../gateway/adapters/postgres/postgres-preview-store.js';
import { PostgresReplayStore } from '../../gateway/adapters/postgres/postgres-replay-store.js';
import { POSTGRES_MIGRATIONS } from '../../gateway/adapters/postgres/postgres-schema.js';
import { PostgresVerificationRunStore } from '../../gateway/adapters/postgres/postgres-verification-run-store.js';
import { PostgresWebSessionStore } from '../../gateway/adapters/postgres/postgres-web-session-store.js';
import type { Clock } from '../../gateway/core/ports.js';
import { freshPostgresDatabase } from '../helpers/postgres.js';
import { callbackOutboxContract } from './callback-outbox.contract.js';
import { consentRequestStoreContract } from './consent-request-store.contract.js';
import { consentStoreContract } from './consent-store.contract.js';
import type { OpenedStore } from './harness.js';
import { keyedLockContract } from './keyed-lock.contract.js';
import { previewStoreContract } from './preview-store.contract.js';
import { replayStoreContract } from './replay-store.contract.js';
import { storeHealthContract } from './store-health.contract.js';
import { transferLogStoreContract } from './transfer-log-store.contract.js';
import { verificationRunStoreContract } from './verification-run-store.contract.js';
import { webSessionStoreContract } from './web-session-store.contract.js';

/**
 * Creates a fresh database, applies the migrations and builds a store on it; `reopen` builds another store on
 * a second pool (another gateway instance on the same database).
 */
function postgres<S>(
  migrations: Parameters<PostgresDatabase['migrate']>[0],
  build: (database: PostgresDatabase) => S,
): () => Promise<OpenedStore<S>> {
  return async () => {
    const fresh = await freshPostgresDatabase('oog_contract');
    const databases: PostgresDatabase[] = [];
    const open = async (): Promise<S> => {
      const database = await PostgresDatabase.open(fresh.url);
      databases.push(database);
      await database.migrate(migrations);
      return build(database);
    };
    try {
      return {
        store: await open(),
        reopen: open,
        close: async () => {
          for (const database of databases) await database.close();
          await fresh.drop();
        },
      };
    } catch (error) {
      for (const database of databases) await database.close();
      await fresh.drop();
      throw error;
    }
  };
}

describe('store contracts on PostgreSQL', function () {
  this.timeout(30_000);
  // Known bugs: test/contract/README.md "Known bugs". The PostgreSQL store turns time ranges into index bounds
  // exactly as the SQLite store does (both answer the same), so it shares that bug; fix both together.
  transferLogStoreContract(
    'PostgresTransferLogStore',
    postgres(POSTGRES_TRANSFER_LOG_MIGRATIONS, (db) => new PostgresTransferLogStore(db)),
    { knownBugs: ['time-bound-out-of-order'] },
  );
  const all = <S>(build: (database: PostgresDatabase) => S) => postgres(POSTGRES_MIGRATIONS, build);
  replayStoreContract('PostgresReplayStore', (clock: Clock) =>
    all((db) => new PostgresReplayStore(db, clock))(),
  );
  consentStoreContract(
    'PostgresConsentStore',
    all((db) => new PostgresConsentStore(db)),
  );
  consentRequestStoreContract(
    'PostgresConsentRequestStore',
    all((db) => new PostgresConsentRequestStore(db)),
  );
  previewStoreContract(
    'PostgresPreviewStore',
    all((db) => new PostgresPreviewStore(db)),
  );
  webSessionStoreContract(
    'PostgresWebSessionStore',
    all((db) => new PostgresWebSessionStore(db)),
  );
  verificationRunStoreContract(
    'PostgresVerificationRunStore',
    all((db) => new PostgresVerificationRunStore(db)),
  );
  callbackOutboxContract('PostgresCallbackOutbox', (bounds) =>
    all((db) => new PostgresCallbackOutbox(db, bounds))(),
  );
  storeHealthContract(
    'PostgresDatabase',
    all((db) => ({
      health: db,
      transferLog: new PostgresTransferLogStore(db),
      replay: new PostgresReplayStore(db),
      consents: new PostgresConsentStore(db),
      shutdown: async () => db.close(),
    })),
  );
  keyedLockContract(
    'createPostgresKeyedLock',
    all((db) => createPostgresKeyedLock(db, 'contract')),
  );
});
