/**
 * Every PostgreSQL store's migrations, in the order they are applied: the database's opener migrates them in one
 * call (postgres-database.ts refuses applied migrations it is not given, so a partial list would look like a
 * newer schema).
 */
import { POSTGRES_CALLBACK_OUTBOX_MIGRATIONS } from './postgres-callback-outbox.js';
import { POSTGRES_CONSENT_REQUEST_MIGRATIONS } from './postgres-consent-request-store.js';
import { POSTGRES_CONSENT_MIGRATIONS } from './postgres-consent-store.js';
import type { PostgresMigration } from './postgres-database.js';
import { POSTGRES_PREVIEW_MIGRATIONS } from './postgres-preview-store.js';
import { POSTGRES_REPLAY_MIGRATIONS } from './postgres-replay-store.js';
import { POSTGRES_TRANSFER_LOG_MIGRATIONS } from './postgres-transfer-log-store.js';
import { POSTGRES_VERIFICATION_RUN_MIGRATIONS } from './postgres-verification-run-store.js';
import { POSTGRES_WEB_SESSION_MIGRATIONS } from './postgres-web-session-store.js';

/** The gateway's own table: fingerprints of the secrets every instance must share (postgres-storage.ts). */
const GATEWAY_MIGRATIONS: PostgresMigration[] = [
  {
    id: 'gateway/1',
    sql: `CREATE TABLE shared_secret_fingerprints (name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL)`,
  },
];

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  ...GATEWAY_MIGRATIONS,
  ...POSTGRES_TRANSFER_LOG_MIGRATIONS,
  ...POSTGRES_REPLAY_MIGRATIONS,
  ...POSTGRES_CONSENT_MIGRATIONS,
  ...POSTGRES_CONSENT_REQUEST_MIGRATIONS,
  ...POSTGRES_PREVIEW_MIGRATIONS,
  ...POSTGRES_WEB_SESSION_MIGRATIONS,
  ...POSTGRES_VERIFICATION_RUN_MIGRATIONS,
  ...POSTGRES_CALLBACK_OUTBOX_MIGRATIONS,
];
