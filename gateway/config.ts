/**
 * The gateway's configuration: the only reader of process.env (STYLE.md). Settings are read once, coerced from
 * their string form, validated against schemas/config.schema.json and deep-frozen, as fastify does at boot. An
 * invalid setting stops the start with an error that names the environment variable, never its value (a
 * DATABASE_URL may hold a password).
 */
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import configSchema from '../schemas/config.schema.json' with { type: 'json' };
import type { LogLevel } from './log.js';
import { fromRoot } from './paths.js';

export type JwsAlg = 'ES256' | 'PS256' | 'EdDSA';

export interface Config {
  /** PORT; 0 picks a free port. */
  readonly port: number;
  /** HOST */
  readonly host: string;
  /** OOG_DATA_DIR, absolute */
  readonly dataDir: string;
  /** DATABASE_URL (postgres://…); absent: embedded SQLite in dataDir */
  readonly databaseUrl?: string;
  /** OOG_DEMO */
  readonly demo: boolean;
  /**
   * Demo mode's own services: `embedded` starts the demo registers and the demo OpenID Provider in this process
   * (OOG_DEMO_SERVICES, default); `external` uses those another instance started, at the same ports (a second
   * instance on one database). Ports: OOG_DEMO_MELDEBEHOERDE_PORT, OOG_DEMO_STANDESAMT_PORT, OOG_DEMO_IDP_PORT.
   */
  readonly demoServices: {
    readonly mode: 'embedded' | 'external';
    readonly meldebehoerdePort: number;
    readonly standesamtPort: number;
    readonly idpPort: number;
  };
  /** OOG_GATEWAY_ID */
  readonly gatewayId: string;
  /** OOG_PARTICIPANTS_FILE, absolute */
  readonly participantsFile: string;
  /** OOG_POLICIES_DIR, absolute */
  readonly policiesDir: string;
  /** OOG_GATEWAY_KEY, absolute path of the gateway's PKCS#8 PEM signing key */
  readonly gatewayKeyFile: string;
  /** OOG_JWS_ALGS */
  readonly jwsAlgs: readonly JwsAlg[];
  /** OOG_MAX_AGE_S */
  readonly maxAgeS: number;
  /** OOG_SKEW_S */
  readonly skewS: number;
  /** OOG_PROVIDER_TIMEOUT_MS */
  readonly providerTimeoutMs: number;
  /** OOG_PUBLIC_URL: the base URL citizens reach the gateway under (links in answers); default its own URL */
  readonly publicUrl?: string;
  /** OOG_PREVIEW_KEY_FILE, absolute; default <dataDir>/preview.key (seals evidence waiting for preview) */
  readonly previewKeyFile: string;
  /** OOG_PREVIEW_COLLECT_S: how long an approved preview's evidence can be collected by its consumer */
  readonly previewCollectS: number;
  /** OOG_PREVIEW_SWEEP_S: how often overdue previews are expired and uncollected evidence destroyed */
  readonly previewSweepS: number;
  /** OOG_PURGE_INTERVAL_S: seconds between retention purges of the transfer log; 0 turns the schedule off */
  readonly purgeIntervalS: number;
  /** OOG_VERIFY_INTERVAL_S: seconds between full verifications of the stored log; 0 turns the schedule off */
  readonly verifyIntervalS: number;
  /** OOG_CHECKPOINT_INTERVAL_S: at most this many seconds between a record's append and a checkpoint over it */
  readonly checkpointIntervalS: number;
  /** OOG_LOG_ANCHOR_FILE, absolute; default <dataDir>/transfer-log.anchor (keep it off the store's volume) */
  readonly logAnchorFile: string;
  /** OOG_UNAUTH_REFUSALS_PER_MIN: refusals of unauthenticated messages logged per source address and minute; 0: all */
  readonly unauthRefusalsPerMin: number;
  /** OOG_IDP_ISSUER, OOG_IDP_JWKS_URL, OOG_IDP_AUDIENCE: all three or none. */
  readonly idp: { readonly issuer?: string; readonly jwksUrl?: string; readonly audience?: string };
  /** OOG_SUBJECT_KEY_FILE, absolute; default <dataDir>/subject.key */
  readonly subjectKeyFile: string;
  /** OOG_REQUEST_TOKEN_KEY_FILE, absolute; default <dataDir>/request-token.key (consent requests' citizen tokens) */
  readonly requestTokenKeyFile: string;
  /** LOG_LEVEL */
  readonly logLevel: LogLevel;
  /** Callbacks to consumers (docs/callbacks.md). */
  readonly callbacks: {
    /** OOG_CALLBACK_SECRETS_FILE, absolute: the consumers' HMAC secrets, mode 0600 */
    readonly secretsFile: string;
    /** OOG_CALLBACK_MAX_ATTEMPTS: attempts in all, the first included */
    readonly maxAttempts: number;
    /** OOG_CALLBACK_BASE_DELAY_MS: wait after the first failed attempt; doubles per attempt, with jitter */
    readonly baseDelayMs: number;
    /** OOG_CALLBACK_MAX_DELAY_MS: longest single wait */
    readonly maxDelayMs: number;
    /** OOG_CALLBACK_TIMEOUT_MS: per attempt */
    readonly timeoutMs: number;
    /** OOG_CALLBACK_MAX_PENDING: pending callbacks in all; beyond it new ones are recorded as dropped */
    readonly maxPending: number;
    /** OOG_CALLBACK_MAX_PENDING_PER_CONSUMER */
    readonly maxPendingPerConsumer: number;
  };
  /**
   * The web portal's OpenID Connect client and sessions (OOG_OIDC_*, OOG_SESSION_*). The issuer is the
   * identity provider's (OOG_IDP_ISSUER, or the demo OpenID Provider). Without a client id outside demo mode
   * the portal is off.
   */
  readonly web: {
    /** OOG_OIDC_CLIENT_ID; demo default `oog-portal` */
    readonly clientId?: string;
    /** OOG_OIDC_CLIENT_SECRET; absent: a public client (PKCE only) */
    readonly clientSecret?: string;
    /** OOG_OIDC_REDIRECT_URI; default `<gateway URL>/auth/callback` */
    readonly redirectUri?: string;
    /** OOG_SESSION_IDLE_S: a session ends after this long without a request */
    readonly sessionIdleS: number;
    /** OOG_SESSION_MAX_S: a session ends this long after the login, used or not */
    readonly sessionMaxS: number;
  };
  /** Body limits of the HTTP layer; not read from the environment. */
  readonly http: { readonly jsonLimitBytes: number; readonly evidenceLimitBytes: number };
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] extends readonly (infer U)[] ? readonly U[] : T[K] };

/** What code (tests, CLI flags) may set over the environment; nested objects merge member by member. */
export interface ConfigOverrides extends Omit<
  Mutable<Config>,
  'idp' | 'http' | 'callbacks' | 'web' | 'demoServices'
> {
  readonly idp?: Mutable<Config['idp']>;
  readonly demoServices?: Mutable<Config['demoServices']>;
  readonly callbacks?: Mutable<Config['callbacks']>;
  readonly web?: Mutable<Config['web']>;
  readonly http?: Mutable<Config['http']>;
}

/** Config member (as a JSON pointer) → the environment variable that sets it, for error messages. */
const VARIABLE_OF: Readonly<Record<string, string>> = {
  '/port': 'PORT',
  '/host': 'HOST',
  '/dataDir': 'OOG_DATA_DIR',
  '/databaseUrl': 'DATABASE_URL',
  '/demo': 'OOG_DEMO',
  '/demoServices/mode': 'OOG_DEMO_SERVICES',
  '/demoServices/meldebehoerdePort': 'OOG_DEMO_MELDEBEHOERDE_PORT',
  '/demoServices/standesamtPort': 'OOG_DEMO_STANDESAMT_PORT',
  '/demoServices/idpPort': 'OOG_DEMO_IDP_PORT',
  '/gatewayId': 'OOG_GATEWAY_ID',
  '/participantsFile': 'OOG_PARTICIPANTS_FILE',
  '/policiesDir': 'OOG_POLICIES_DIR',
  '/gatewayKeyFile': 'OOG_GATEWAY_KEY',
  '/jwsAlgs': 'OOG_JWS_ALGS',
  '/maxAgeS': 'OOG_MAX_AGE_S',
  '/skewS': 'OOG_SKEW_S',
  '/providerTimeoutMs': 'OOG_PROVIDER_TIMEOUT_MS',
  '/publicUrl': 'OOG_PUBLIC_URL',
  '/previewKeyFile': 'OOG_PREVIEW_KEY_FILE',
  '/previewCollectS': 'OOG_PREVIEW_COLLECT_S',
  '/previewSweepS': 'OOG_PREVIEW_SWEEP_S',
  '/purgeIntervalS': 'OOG_PURGE_INTERVAL_S',
  '/verifyIntervalS': 'OOG_VERIFY_INTERVAL_S',
  '/checkpointIntervalS': 'OOG_CHECKPOINT_INTERVAL_S',
  '/logAnchorFile': 'OOG_LOG_ANCHOR_FILE',
  '/unauthRefusalsPerMin': 'OOG_UNAUTH_REFUSALS_PER_MIN',
  '/idp/issuer': 'OOG_IDP_ISSUER',
  '/idp/jwksUrl': 'OOG_IDP_JWKS_URL',
  '/idp/audience': 'OOG_IDP_AUDIENCE',
  '/subjectKeyFile': 'OOG_SUBJECT_KEY_FILE',
  '/requestTokenKeyFile': 'OOG_REQUEST_TOKEN_KEY_FILE',
  '/logLevel': 'LOG_LEVEL',
  '/callbacks/secretsFile': 'OOG_CALLBACK_SECRETS_FILE',
  '/callbacks/maxAttempts': 'OOG_CALLBACK_MAX_ATTEMPTS',
  '/callbacks/baseDelayMs': 'OOG_CALLBACK_BASE_DELAY_MS',
  '/callbacks/maxDelayMs': 'OOG_CALLBACK_MAX_DELAY_MS',
  '/callbacks/timeoutMs': 'OOG_CALLBACK_TIMEOUT_MS',
  '/callbacks/maxPending': 'OOG_CALLBACK_MAX_PENDING',
  '/callbacks/maxPendingPerConsumer': 'OOG_CALLBACK_MAX_PENDING_PER_CONSUMER',
  '/web/clientId': 'OOG_OIDC_CLIENT_ID',
  '/web/clientSecret': 'OOG_OIDC_CLIENT_SECRET',
  '/web/redirectUri': 'OOG_OIDC_REDIRECT_URI',
  '/web/sessionIdleS': 'OOG_SESSION_IDLE_S',
  '/web/sessionMaxS': 'OOG_SESSION_MAX_S',
};

/** Example material shipped with the project: resolved against the project root, not the working directory. */
const EXAMPLE_DEFAULTS = {
  participantsFile: 'certs-example/participants.json',
  policiesDir: 'policies',
  gatewayKeyFile: 'certs-example/participants/oog-demo-gateway.key.pem',
  callbackSecretsFile: 'certs-example/callback-secrets.json',
} as const;

/** The published example callback secrets: their file mode is not checked (docs/callbacks.md). */
export const EXAMPLE_CALLBACK_SECRETS_FILE = fromRoot(EXAMPLE_DEFAULTS.callbackSecretsFile);
/** The demo services in this process, at the ports the example participant registry names. */
const DEMO_SERVICES_DEFAULTS: Readonly<Record<string, unknown>> = {
  mode: 'embedded',
  meldebehoerdePort: 8081,
  standesamtPort: 8082,
  idpPort: 8090,
};
/** Portal sessions: 15 minutes idle, 8 hours at most (a working day). */
const WEB_DEFAULTS: Readonly<Record<string, unknown>> = { sessionIdleS: 900, sessionMaxS: 8 * 3600 };

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv, ['uri']);
const validateConfig = ajv.compile(configSchema);

type Env = Readonly<Record<string, string | undefined>>;

/** An unset or empty variable is absent. */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Integers in plain decimal; anything else is passed on as a string so that the schema names the variable. */
function integer(text: string | undefined): number | string | undefined {
  return text !== undefined && /^-?[0-9]{1,15}$/.test(text) ? Number(text) : text;
}

function boolean(text: string | undefined): boolean | string | undefined {
  if (text === undefined) return undefined;
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === '1' || lower === 'yes' || lower === 'on') return true;
  if (lower === 'false' || lower === '0' || lower === 'no' || lower === 'off') return false;
  return text;
}

function list(text: string | undefined): string[] | undefined {
  return text?.split(',').map((item) => item.trim());
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

function describe(error: ErrorObject): string {
  let pointer = error.instancePath;
  if (error.keyword === 'dependentRequired' || error.keyword === 'required') {
    pointer = `${pointer}/${String((error.params as { missingProperty?: string }).missingProperty)}`;
  }
  const name =
    VARIABLE_OF[pointer] ?? VARIABLE_OF[pointer.replace(/\/[0-9]+$/, '')] ?? (pointer || 'configuration');
  return `${name} ${error.message ?? 'is invalid'}`;
}

/**
 * Reads, validates and freezes the configuration. Throws an Error naming each invalid variable (never its
 * value). `overrides` (config members, not variable names) take precedence over the environment.
 */
export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  const fromEnv = dropUndefined({
    port: integer(read(env, 'PORT')),
    host: read(env, 'HOST'),
    dataDir: read(env, 'OOG_DATA_DIR'),
    databaseUrl: read(env, 'DATABASE_URL'),
    demo: boolean(read(env, 'OOG_DEMO')),
    gatewayId: read(env, 'OOG_GATEWAY_ID'),
    participantsFile: read(env, 'OOG_PARTICIPANTS_FILE'),
    policiesDir: read(env, 'OOG_POLICIES_DIR'),
    gatewayKeyFile: read(env, 'OOG_GATEWAY_KEY'),
    jwsAlgs: list(read(env, 'OOG_JWS_ALGS')),
    maxAgeS: integer(read(env, 'OOG_MAX_AGE_S')),
    skewS: integer(read(env, 'OOG_SKEW_S')),
    providerTimeoutMs: integer(read(env, 'OOG_PROVIDER_TIMEOUT_MS')),
    publicUrl: read(env, 'OOG_PUBLIC_URL'),
    previewKeyFile: read(env, 'OOG_PREVIEW_KEY_FILE'),
    previewCollectS: integer(read(env, 'OOG_PREVIEW_COLLECT_S')),
    previewSweepS: integer(read(env, 'OOG_PREVIEW_SWEEP_S')),
    purgeIntervalS: integer(read(env, 'OOG_PURGE_INTERVAL_S')),
    verifyIntervalS: integer(read(env, 'OOG_VERIFY_INTERVAL_S')),
    checkpointIntervalS: integer(read(env, 'OOG_CHECKPOINT_INTERVAL_S')),
    logAnchorFile: read(env, 'OOG_LOG_ANCHOR_FILE'),
    unauthRefusalsPerMin: integer(read(env, 'OOG_UNAUTH_REFUSALS_PER_MIN')),
    subjectKeyFile: read(env, 'OOG_SUBJECT_KEY_FILE'),
    requestTokenKeyFile: read(env, 'OOG_REQUEST_TOKEN_KEY_FILE'),
    logLevel: read(env, 'LOG_LEVEL'),
  });
  const idpFromEnv = dropUndefined({
    issuer: read(env, 'OOG_IDP_ISSUER'),
    jwksUrl: read(env, 'OOG_IDP_JWKS_URL'),
    audience: read(env, 'OOG_IDP_AUDIENCE'),
  });
  const callbacksFromEnv: Record<string, unknown> = dropUndefined({
    secretsFile: read(env, 'OOG_CALLBACK_SECRETS_FILE'),
    maxAttempts: integer(read(env, 'OOG_CALLBACK_MAX_ATTEMPTS')),
    baseDelayMs: integer(read(env, 'OOG_CALLBACK_BASE_DELAY_MS')),
    maxDelayMs: integer(read(env, 'OOG_CALLBACK_MAX_DELAY_MS')),
    timeoutMs: integer(read(env, 'OOG_CALLBACK_TIMEOUT_MS')),
    maxPending: integer(read(env, 'OOG_CALLBACK_MAX_PENDING')),
    maxPendingPerConsumer: integer(read(env, 'OOG_CALLBACK_MAX_PENDING_PER_CONSUMER')),
  });
  const callbacks: Record<string, unknown> = {
    // 8 attempts over about an hour: waits of 30 s, 1, 2, 4, 8, 16 min and 30 min (each 50–100 % with jitter).
    maxAttempts: 8,
    baseDelayMs: 30_000,
    maxDelayMs: 1_800_000,
    timeoutMs: 5_000,
    maxPending: 10_000,
    maxPendingPerConsumer: 1_000,
    ...callbacksFromEnv,
    ...dropUndefined(overrides.callbacks ?? {}),
  };
  callbacks['secretsFile'] =
    typeof callbacks['secretsFile'] === 'string'
      ? resolve(callbacks['secretsFile'])
      : EXAMPLE_CALLBACK_SECRETS_FILE;
  const demoServicesFromEnv: Record<string, unknown> = dropUndefined({
    mode: read(env, 'OOG_DEMO_SERVICES'),
    meldebehoerdePort: integer(read(env, 'OOG_DEMO_MELDEBEHOERDE_PORT')),
    standesamtPort: integer(read(env, 'OOG_DEMO_STANDESAMT_PORT')),
    idpPort: integer(read(env, 'OOG_DEMO_IDP_PORT')),
  });
  const demoServices: Record<string, unknown> = {
    ...DEMO_SERVICES_DEFAULTS,
    ...demoServicesFromEnv,
    ...dropUndefined(overrides.demoServices ?? {}),
  };
  const webFromEnv = dropUndefined({
    clientId: read(env, 'OOG_OIDC_CLIENT_ID'),
    clientSecret: read(env, 'OOG_OIDC_CLIENT_SECRET'),
    redirectUri: read(env, 'OOG_OIDC_REDIRECT_URI'),
    sessionIdleS: integer(read(env, 'OOG_SESSION_IDLE_S')),
    sessionMaxS: integer(read(env, 'OOG_SESSION_MAX_S')),
  });
  const merged: Record<string, unknown> = {
    ...fromEnv,
    ...dropUndefined(overrides),
    idp: { ...idpFromEnv, ...dropUndefined(overrides.idp ?? {}) },
    callbacks,
    demoServices,
    web: {
      ...WEB_DEFAULTS,
      ...webFromEnv,
      ...dropUndefined(overrides.web ?? {}),
    },
    http: {
      jsonLimitBytes: 64 * 1024,
      evidenceLimitBytes: 256 * 1024,
      ...dropUndefined(overrides.http ?? {}),
    },
  };

  const pathOr = (key: string, fallback: () => string): string =>
    typeof merged[key] === 'string' ? resolve(merged[key]) : fallback();
  const dataDir = pathOr('dataDir', () => resolve('data'));
  const candidate: Record<string, unknown> = {
    port: 8080,
    host: '127.0.0.1',
    demo: false,
    gatewayId: 'oog:demo-gateway',
    jwsAlgs: ['ES256', 'PS256', 'EdDSA'],
    maxAgeS: 300,
    skewS: 60,
    providerTimeoutMs: 10_000,
    previewCollectS: 86_400,
    previewSweepS: 60,
    purgeIntervalS: 3600,
    verifyIntervalS: 86_400,
    checkpointIntervalS: 5,
    unauthRefusalsPerMin: 60,
    logLevel: 'info',
    ...merged,
    dataDir,
    participantsFile: pathOr('participantsFile', () => fromRoot(EXAMPLE_DEFAULTS.participantsFile)),
    policiesDir: pathOr('policiesDir', () => fromRoot(EXAMPLE_DEFAULTS.policiesDir)),
    gatewayKeyFile: pathOr('gatewayKeyFile', () => fromRoot(EXAMPLE_DEFAULTS.gatewayKeyFile)),
    subjectKeyFile: pathOr('subjectKeyFile', () => resolve(dataDir, 'subject.key')),
    previewKeyFile: pathOr('previewKeyFile', () => resolve(dataDir, 'preview.key')),
    requestTokenKeyFile: pathOr('requestTokenKeyFile', () => resolve(dataDir, 'request-token.key')),
    logAnchorFile: pathOr('logAnchorFile', () => resolve(dataDir, 'transfer-log.anchor')),
  };

  if (!validateConfig(candidate)) {
    const problems = [...new Set((validateConfig.errors ?? []).map(describe))];
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  return deepFreeze(candidate as unknown as Config);
}
