/**
 * The shared backend (DATABASE_URL): one PostgreSQL database for every gateway instance, holding every store;
 * schema migrations at start under an advisory lock; keyed locks as advisory locks, so consent, preview and
 * consent-request decisions are ordered across instances as in one process. Only bootstrap/open-storage.ts uses
 * this module.
 */
import { createHmac } from 'node:crypto';
import type { Config } from '../config.js';
import { PostgresCallbackOutbox } from '../adapters/postgres/postgres-callback-outbox.js';
import { PostgresConsentRequestStore } from '../adapters/postgres/postgres-consent-request-store.js';
import { PostgresConsentStore } from '../adapters/postgres/postgres-consent-store.js';
import { PostgresDatabase, PostgresStartError } from '../adapters/postgres/postgres-database.js';
import { createPostgresKeyedLock } from '../adapters/postgres/postgres-keyed-lock.js';
import { PostgresPreviewStore } from '../adapters/postgres/postgres-preview-store.js';
import { PostgresReplayStore } from '../adapters/postgres/postgres-replay-store.js';
import { POSTGRES_MIGRATIONS } from '../adapters/postgres/postgres-schema.js';
import { PostgresTransferLogStore } from '../adapters/postgres/postgres-transfer-log-store.js';
import { PostgresVerificationRunStore } from '../adapters/postgres/postgres-verification-run-store.js';
import { PostgresWebSessionStore } from '../adapters/postgres/postgres-web-session-store.js';
import type { KeyedLock } from '../core/ports.js';
import type { LogStore, OpenStorageOptions, Storage } from './storage.js';

/** Whether the database has no gateway schema yet (a first start against it). */
async function isEmpty(database: PostgresDatabase): Promise<boolean> {
  const result = await database.query<{ t: string | null }>("SELECT to_regclass('schema_migrations') AS t");
  return result.rows[0]?.t === null;
}

/**
 * Records each shared secret's fingerprint (an HMAC under the secret itself, which reveals nothing of it) at the
 * first start, and refuses an instance whose secret differs: with another subject key it would not find a
 * citizen's consents, with another preview key not open held evidence, with another token key not accept a
 * consent request's link another instance sent.
 */
async function checkSharedSecrets(
  database: PostgresDatabase,
  secrets: Readonly<Record<string, Uint8Array>>,
): Promise<void> {
  const wrong: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    const fingerprint = createHmac('sha256', secret)
      .update('oog shared-secret fingerprint')
      .digest('base64url');
    await database.query(
      'INSERT INTO shared_secret_fingerprints (name, fingerprint) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
      [name, fingerprint],
    );
    const stored = await database.query<{ fingerprint: string }>(
      'SELECT fingerprint FROM shared_secret_fingerprints WHERE name = $1',
      [name],
    );
    if (stored.rows[0]?.fingerprint !== fingerprint) wrong.push(name);
  }
  if (wrong.length > 0) {
    throw new PostgresStartError(
      `${wrong.join(', ')} ${wrong.length === 1 ? 'names a secret' : 'name secrets'} other than the one the other gateway instances on ${database.location} use; give every instance the same file`,
    );
  }
}

export async function openPostgresStorage(
  config: Config,
  url: string,
  options: OpenStorageOptions,
): Promise<Storage> {
  const database = await PostgresDatabase.open(url);
  try {
    if (await isEmpty(database)) await options.beforeCreate?.(database.location);
    await database.migrate(POSTGRES_MIGRATIONS);
    await checkSharedSecrets(database, options.sharedSecrets ?? {});
    const locks = new Map<string, KeyedLock>();
    return {
      location: database.location,
      log: new PostgresTransferLogStore(database),
      replay: new PostgresReplayStore(database, options.clock),
      consents: new PostgresConsentStore(database),
      previews: new PostgresPreviewStore(database),
      consentRequests: new PostgresConsentRequestStore(database),
      outbox: new PostgresCallbackOutbox(database, {
        maxPending: config.callbacks.maxPending,
        maxPendingPerConsumer: config.callbacks.maxPendingPerConsumer,
        maxFinished: config.callbacks.maxPending,
      }),
      verificationRuns: new PostgresVerificationRunStore(database),
      webSessions: new PostgresWebSessionStore(database),
      health: { ready: () => database.ready() },
      lock(domain) {
        let lock = locks.get(domain);
        if (lock === undefined) locks.set(domain, (lock = createPostgresKeyedLock(database, domain)));
        return lock;
      },
      backend: { kind: 'postgres', database },
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** The log's store alone (`oog log …`): refuses a database without the gateway's schema. */
export async function openPostgresLogStore(
  url: string,
): Promise<{ readonly store: LogStore; readonly location: string; close(): Promise<void> }> {
  const database = await PostgresDatabase.open(url);
  try {
    if (await isEmpty(database)) throw new Error(`no gateway store at ${database.location}`);
    await database.migrate(POSTGRES_MIGRATIONS);
    return {
      store: new PostgresTransferLogStore(database),
      location: database.location,
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
