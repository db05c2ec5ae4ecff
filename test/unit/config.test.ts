import { isAbsolute, join, resolve } from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../gateway/config.js';
import { fromRoot } from '../../gateway/paths.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies the documented defaults when the environment is empty', () => {
    const config = loadConfig({});
    expect(config).to.deep.include({
      port: 8080,
      host: '127.0.0.1',
      demo: false,
      gatewayId: 'oog:demo-gateway',
      jwsAlgs: ['ES256', 'PS256', 'EdDSA'],
      maxAgeS: 300,
      skewS: 60,
      providerTimeoutMs: 10_000,
      purgeIntervalS: 3600,
      verifyIntervalS: 86_400,
      unauthRefusalsPerMin: 60,
      logLevel: 'info',
      dataDir: resolve('data'),
      participantsFile: fromRoot('certs-example/participants.json'),
      policiesDir: fromRoot('policies'),
      subjectKeyFile: join(resolve('data'), 'subject.key'),
    });
    expect(config.databaseUrl).to.equal(undefined);
    expect(config.idp).to.deep.equal({});
    expect(config.http).to.deep.equal({ jsonLimitBytes: 65536, evidenceLimitBytes: 262144 });
    expect(config.web).to.deep.equal({ sessionIdleS: 900, sessionMaxS: 28800 });
    expect(isAbsolute(config.gatewayKeyFile)).to.equal(true);
  });

  it('demo services – in this process at 8081, 8082 and 8090 by default; external and other ports on request', () => {
    expect(loadConfig({}).demoServices).to.deep.equal({
      mode: 'embedded',
      meldebehoerdePort: 8081,
      standesamtPort: 8082,
      idpPort: 8090,
    });
    expect(
      loadConfig({
        OOG_DEMO_SERVICES: 'external',
        OOG_DEMO_MELDEBEHOERDE_PORT: '9081',
        OOG_DEMO_STANDESAMT_PORT: '9082',
        OOG_DEMO_IDP_PORT: '9090',
      }).demoServices,
    ).to.deep.equal({ mode: 'external', meldebehoerdePort: 9081, standesamtPort: 9082, idpPort: 9090 });
    expect(refusal(() => loadConfig({ OOG_DEMO_SERVICES: 'elsewhere' }))).to.match(/OOG_DEMO_SERVICES/);
    expect(refusal(() => loadConfig({ OOG_DEMO_IDP_PORT: '70000' }))).to.match(/OOG_DEMO_IDP_PORT/);
  });

  it('reads the portal settings', () => {
    const config = loadConfig({
      OOG_OIDC_CLIENT_ID: 'portal',
      OOG_OIDC_CLIENT_SECRET: 'a-long-enough-secret',
      OOG_OIDC_REDIRECT_URI: 'https://portal.example/auth/callback',
      OOG_SESSION_IDLE_S: '600',
      OOG_SESSION_MAX_S: '3600',
    });
    expect(config.web).to.deep.equal({
      clientId: 'portal',
      clientSecret: 'a-long-enough-secret',
      redirectUri: 'https://portal.example/auth/callback',
      sessionIdleS: 600,
      sessionMaxS: 3600,
    });
  });

  it('reads and coerces every variable', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      OOG_DATA_DIR: '/var/lib/oog',
      DATABASE_URL: 'postgres://oog@db/oog',
      OOG_DEMO: 'true',
      OOG_GATEWAY_ID: 'oog:land-gateway',
      OOG_PARTICIPANTS_FILE: '/etc/oog/participants.json',
      OOG_POLICIES_DIR: '/etc/oog/policies',
      OOG_GATEWAY_KEY: '/etc/oog/gateway.key.pem',
      OOG_JWS_ALGS: 'ES256, EdDSA',
      OOG_MAX_AGE_S: '120',
      OOG_SKEW_S: '30',
      OOG_PROVIDER_TIMEOUT_MS: '2500',
      OOG_PURGE_INTERVAL_S: '0',
      OOG_VERIFY_INTERVAL_S: '0',
      OOG_UNAUTH_REFUSALS_PER_MIN: '0',
      OOG_IDP_ISSUER: 'https://idp.example',
      OOG_IDP_JWKS_URL: 'https://idp.example/jwks',
      OOG_IDP_AUDIENCE: 'oog',
      LOG_LEVEL: 'warn',
    });
    expect(config).to.deep.include({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/var/lib/oog',
      databaseUrl: 'postgres://oog@db/oog',
      demo: true,
      gatewayId: 'oog:land-gateway',
      participantsFile: '/etc/oog/participants.json',
      policiesDir: '/etc/oog/policies',
      gatewayKeyFile: '/etc/oog/gateway.key.pem',
      jwsAlgs: ['ES256', 'EdDSA'],
      maxAgeS: 120,
      skewS: 30,
      providerTimeoutMs: 2500,
      purgeIntervalS: 0,
      verifyIntervalS: 0,
      unauthRefusalsPerMin: 0,
      idp: { issuer: 'https://idp.example', jwksUrl: 'https://idp.example/jwks', audience: 'oog' },
      subjectKeyFile: '/var/lib/oog/subject.key',
      logLevel: 'warn',
    });
  });

  it('callbacks – defaults to 8 attempts over about an hour and the example secrets file', () => {
    expect(loadConfig({}).callbacks).to.deep.equal({
      secretsFile: fromRoot('certs-example/callback-secrets.json'),
      maxAttempts: 8,
      baseDelayMs: 30_000,
      maxDelayMs: 1_800_000,
      timeoutMs: 5_000,
      maxPending: 10_000,
      maxPendingPerConsumer: 1_000,
    });
  });

  it('callbacks – reads every OOG_CALLBACK_* variable, and overrides win member by member', () => {
    const config = loadConfig(
      {
        OOG_CALLBACK_SECRETS_FILE: '/etc/oog/callback-secrets.json',
        OOG_CALLBACK_MAX_ATTEMPTS: '3',
        OOG_CALLBACK_BASE_DELAY_MS: '100',
        OOG_CALLBACK_MAX_DELAY_MS: '1000',
        OOG_CALLBACK_TIMEOUT_MS: '2000',
        OOG_CALLBACK_MAX_PENDING: '50',
        OOG_CALLBACK_MAX_PENDING_PER_CONSUMER: '5',
      },
      { callbacks: { maxAttempts: 2 } },
    );
    expect(config.callbacks).to.deep.equal({
      secretsFile: '/etc/oog/callback-secrets.json',
      maxAttempts: 2,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      timeoutMs: 2000,
      maxPending: 50,
      maxPendingPerConsumer: 5,
    });
    expect(Object.isFrozen(config.callbacks)).to.equal(true);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', OOG_DEMO: ' ' })).to.deep.include({ port: 8080, demo: false });
  });

  it('lets overrides win over the environment', () => {
    const config = loadConfig(
      { PORT: '9000', OOG_DEMO: 'false' },
      { port: 0, demo: true, http: { jsonLimitBytes: 2048 } },
    );
    expect(config).to.deep.include({ port: 0, demo: true });
    expect(config.http).to.deep.equal({ jsonLimitBytes: 2048, evidenceLimitBytes: 262144 });
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.jwsAlgs)).to.equal(true);
    expect(Object.isFrozen(config.http)).to.equal(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).to.throw(TypeError);
  });

  const invalid: [string, Record<string, string>][] = [
    ['PORT', { PORT: '80a' }],
    ['PORT', { PORT: '70000' }],
    ['HOST', { HOST: 'evil host/' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://root:hunter2@db/x' }],
    ['OOG_DEMO', { OOG_DEMO: 'maybe' }],
    ['OOG_GATEWAY_ID', { OOG_GATEWAY_ID: 'no-prefix' }],
    ['OOG_JWS_ALGS', { OOG_JWS_ALGS: 'ES256,HS256' }],
    ['OOG_JWS_ALGS', { OOG_JWS_ALGS: 'none' }],
    ['OOG_MAX_AGE_S', { OOG_MAX_AGE_S: '-5' }],
    ['OOG_SKEW_S', { OOG_SKEW_S: '1.5' }],
    ['OOG_PROVIDER_TIMEOUT_MS', { OOG_PROVIDER_TIMEOUT_MS: 'soon' }],
    ['OOG_PURGE_INTERVAL_S', { OOG_PURGE_INTERVAL_S: '1h' }],
    ['OOG_PURGE_INTERVAL_S', { OOG_PURGE_INTERVAL_S: '-1' }],
    ['OOG_PURGE_INTERVAL_S', { OOG_PURGE_INTERVAL_S: '604801' }],
    ['OOG_VERIFY_INTERVAL_S', { OOG_VERIFY_INTERVAL_S: 'daily' }],
    ['OOG_VERIFY_INTERVAL_S', { OOG_VERIFY_INTERVAL_S: '2592001' }],
    ['OOG_UNAUTH_REFUSALS_PER_MIN', { OOG_UNAUTH_REFUSALS_PER_MIN: '-1' }],
    ['OOG_UNAUTH_REFUSALS_PER_MIN', { OOG_UNAUTH_REFUSALS_PER_MIN: 'lots' }],
    ['OOG_IDP_JWKS_URL', { OOG_IDP_ISSUER: 'https://idp.example', OOG_IDP_AUDIENCE: 'oog' }],
    [
      'OOG_IDP_JWKS_URL',
      { OOG_IDP_ISSUER: 'https://i', OOG_IDP_AUDIENCE: 'a', OOG_IDP_JWKS_URL: 'file:///x' },
    ],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['OOG_CALLBACK_MAX_ATTEMPTS', { OOG_CALLBACK_MAX_ATTEMPTS: '0' }],
    ['OOG_CALLBACK_BASE_DELAY_MS', { OOG_CALLBACK_BASE_DELAY_MS: 'fast' }],
    ['OOG_CALLBACK_MAX_DELAY_MS', { OOG_CALLBACK_MAX_DELAY_MS: '-1' }],
    ['OOG_CALLBACK_TIMEOUT_MS', { OOG_CALLBACK_TIMEOUT_MS: '600000' }],
    ['OOG_CALLBACK_MAX_PENDING', { OOG_CALLBACK_MAX_PENDING: '0' }],
    ['OOG_CALLBACK_MAX_PENDING_PER_CONSUMER', { OOG_CALLBACK_MAX_PENDING_PER_CONSUMER: '1e9' }],
    ['OOG_OIDC_CLIENT_ID', { OOG_OIDC_CLIENT_ID: 'has space' }],
    ['OOG_OIDC_CLIENT_SECRET', { OOG_OIDC_CLIENT_SECRET: 'short' }],
    ['OOG_OIDC_REDIRECT_URI', { OOG_OIDC_REDIRECT_URI: 'https://portal.example/elsewhere' }],
    ['OOG_OIDC_REDIRECT_URI', { OOG_OIDC_REDIRECT_URI: 'javascript:alert(1)//auth/callback' }],
    ['OOG_SESSION_IDLE_S', { OOG_SESSION_IDLE_S: '5' }],
    ['OOG_SESSION_MAX_S', { OOG_SESSION_MAX_S: 'forever' }],
  ];
  for (const [variable, env] of invalid) {
    it(`refuses an invalid ${variable} (${JSON.stringify(env)}), naming the variable`, () => {
      expect(refusal(() => loadConfig(env))).to.include(variable);
    });
  }

  it('never echoes the value of an invalid variable', () => {
    expect(refusal(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' }))).not.to.include(
      'hunter2',
    );
  });
});
