/**
 * Runs the store contract suites against PostgreSQL (the machine's, test/helpers/postgres.ts): each test gets a
 * fresh database, migrated, and `reopen` opens a second pool on it (a second gateway instance). Today the
 * transfer log store; the other PostgreSQL stores add their suites here.
 */
import { PostgresDatabase } from '../../gateway/adapters/postgres/postgres-database.js';
import {
  POSTGRES_TRANSFER_LOG_MIGRATIONS,
  PostgresTransferLogStore,
} from '../../gateway/adapters/postgres/postgres-transfer-log-store.js';
import { freshPostgresDatabase } from '../helpers/postgres.js';
import type { OpenedStore } from './harness.js';
import { transferLogStoreContract } from './transfer-log-store.contract.js';

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
});
