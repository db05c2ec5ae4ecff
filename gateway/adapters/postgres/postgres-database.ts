/**
 * One PostgreSQL database shared by every gateway instance (DATABASE_URL): a `pg` pool, transactions, schema
 * migrations and the readiness probe. Durable: `synchronous_commit` is on for every connection, so nothing is
 * acknowledged before its commit is on disk.
 *
 * Failures keep the gateway's contract: a connection refused, reset or timed out, the server shutting down or
 * a database in recovery becomes ERR_LOG_UNAVAILABLE (503), so callers fail closed exactly as they do when
 * the SQLite file cannot be written; a fault of the statement itself (a constraint) keeps its own error.
 *
 * Migrations run at start under a transaction-scoped advisory lock, so two instances starting at once apply
 * each migration once; a database that has migrations this code does not know (a newer version ran against it)
 * is refused, the start stops with a message naming them.
 */
import pg from 'pg';
import { GatewayError } from '../../core/errors.js';

export interface PostgresMigration {
  /** `<component>/<n>`, applied once, in the order given. */
  readonly id: string;
  readonly sql: string;
}

/** A start-up problem with the database, its message written for the operator (no stack needed). */
export class PostgresStartError extends Error {
  override readonly name = 'PostgresStartError';
}

export interface PostgresDatabaseOptions {
  /** Connections in the pool; default 10. */
  readonly max?: number;
  /** How long a statement may take before it fails (ms); default 10 000. */
  readonly statementTimeoutMs?: number;
  /** How long to wait for a connection (ms); default 5 000. */
  readonly connectTimeoutMs?: number;
  readonly applicationName?: string;
}

/** The advisory lock key (a bigint) under which migrations run: 'oog-migrate' as an arbitrary fixed number. */
const MIGRATION_LOCK = 0x6f6f_676d_6967n;

/** SQLSTATE classes and Node error codes that say the database cannot be used now (not the statement's fault). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '53300', // too_many_connections
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  '25006', // read_only_sql_transaction (a standby)
  '3D000', // the database is gone (dropped, or a restore under way)
  '28P01', // the password changed under a running gateway
  '28000',
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether an error says the database is unavailable (as opposed to a fault of the statement). */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof GatewayError) return error.code === 'ERR_LOG_UNAVAILABLE';
  const code = codeOf(error);
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect|Cannot use a pool after calling end/i.test(
    message,
  );
}

/** The error callers see: ERR_LOG_UNAVAILABLE for an unavailable database, the error itself otherwise. */
export function storeError(error: unknown, what = 'the database cannot be used'): unknown {
  if (error instanceof GatewayError) return error;
  return isUnavailable(error) ? new GatewayError('ERR_LOG_UNAVAILABLE', what, { cause: error }) : error;
}

/** DATABASE_URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(malformed DATABASE_URL)';
  }
}

function describeStartFailure(error: unknown, url: URL): string {
  const where = `PostgreSQL at ${url.hostname}:${url.port || '5432'}`;
  const code = codeOf(error);
  const user = decodeURIComponent(url.username) || 'the default user';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'the default database';
  switch (code) {
    case '28P01':
      return `${where} refused the password for ${user} (DATABASE_URL)`;
    case '28000':
      return `${where} does not let ${user} in (pg_hba.conf or role, DATABASE_URL)`;
    case '3D000':
      return `${where} has no database ${database} (DATABASE_URL); create it first`;
    case 'ECONNREFUSED':
      return `${where} is unreachable: connection refused (is it running? DATABASE_URL)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where} is unreachable: the host name does not resolve (DATABASE_URL)`;
    case 'ETIMEDOUT':
      return `${where} is unreachable: the connection timed out (DATABASE_URL)`;
    case '57P03':
      return `${where} does not accept connections yet (starting up or in recovery)`;
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return `${where} cannot be used: ${message}${code ? ` (${code})` : ''}`;
    }
  }
}

export class PostgresDatabase {
  readonly pool: pg.Pool;
  /** DATABASE_URL without its password. */
  readonly location: string;
  #closed = false;

  private constructor(pool: pg.Pool, location: string) {
    this.pool = pool;
    this.location = location;
  }

  /**
   * Connects (one round trip to prove it) and returns the database. Throws PostgresStartError naming the
   * problem: a malformed URL, an unreachable server, a wrong password, a missing database.
   */
  static async open(url: string, options: PostgresDatabaseOptions = {}): Promise<PostgresDatabase> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new PostgresStartError(
        'DATABASE_URL is not a URL; expected postgres://user:password@host:5432/database',
      );
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new PostgresStartError(
        `DATABASE_URL has the scheme ${parsed.protocol.replace(/:$/, '')}; expected postgres://user:password@host:5432/database`,
      );
    }
    const pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      application_name: options.applicationName ?? 'once-only-gateway',
      // Durable before acknowledged, whatever the server's default says.
      options: '-c synchronous_commit=on',
    });
    // An idle client that loses its connection must not crash the process; the next query fails instead.
    pool.on('error', () => undefined);
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw new PostgresStartError(describeStartFailure(error, parsed));
    }
    return new PostgresDatabase(pool, redactUrl(url));
  }

  /**
   * Applies the migrations this code knows that the database lacks, in order, each in the one transaction that
   * holds the migration lock. Throws PostgresStartError if the database has applied migrations this code does
   * not know (a newer version of the gateway migrated it).
   */
  async migrate(migrations: readonly PostgresMigration[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const applied = new Set(
        (await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id),
      );
      const known = new Set(migrations.map((m) => m.id));
      const unknown = [...applied].filter((id) => !known.has(id)).sort();
      if (unknown.length > 0) {
        throw new PostgresStartError(
          `the database at ${this.location} has a newer schema than this version of the gateway knows (migrations ${unknown.join(', ')}); run the newer version or restore a matching database`,
        );
      }
      for (const migration of migrations) {
        if (applied.has(migration.id)) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** One query on any pooled connection; an unavailable database rejects with ERR_LOG_UNAVAILABLE. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>> {
    if (this.#closed) throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the store is closed');
    try {
      return await this.pool.query<R>(text, values as unknown[] | undefined);
    } catch (error) {
      throw storeError(error);
    }
  }

  /**
   * Runs `fn` in one transaction (READ COMMITTED unless `fn` says otherwise) and commits; rolls back and rejects
   * if `fn` throws. An unavailable database rejects with ERR_LOG_UNAVAILABLE; nothing is acknowledged before the
   * COMMIT returned.
   */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new GatewayError('ERR_LOG_UNAVAILABLE', 'the store is closed');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeError(error);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = isUnavailable(error);
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw storeError(error);
    } finally {
      client.release(broken);
    }
  }

  /** Readiness: a round trip within a second. */
  async ready(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await Promise.race([
        this.pool.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1_000).unref()),
      ]);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }
}
