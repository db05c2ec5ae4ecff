import type { Logger } from 'pino';
/**
 * Starts the whole demo gateway as `oog start --demo` would (gateway/main.ts): real HTTP on port 0, a real
 * SQLite data dir in a temp folder, real signatures with the example keys, the demo identity provider and the
 * demo Standesamt — and, as the Meldebehörde mld:09999001, either the demo register or a fake provider in a
 * chosen mode whose `requests` counter shows what reached it. Plus small helpers to sign and send requests,
 * mint citizen and agency tokens, and read what the transfer log recorded.
 */
import { constants, createHmac, randomUUID, sign as signBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ConfigOverrides } from '../../gateway/config.js';
import type { SignerVariant } from '../../gateway/adapters/files/index.js';
import { mintDemoToken } from '../../gateway/adapters/idp/demo-identity-provider.js';
import { signCompactJws } from '../../gateway/core/envelope/index.js';
import type { Clock, Signer, TransferRecord } from '../../gateway/core/ports.js';
import { createLogger } from '../../gateway/log.js';
import { startGateway, type RunningGateway } from '../../gateway/main.js';
import { fromRoot } from '../../gateway/paths.js';
import { loadKeyedParticipant, loadKeyedSigner, type KeyedSigner } from './keyed-signer.js';
import { startFakeProvider, type FakeProvider, type FakeProviderMode } from '../fixtures/fake-provider.js';

// The demo data set (PROTOCOL.md §7).
export const ERIKA = '93141705862';
export const MAX = '20561748335';
export const LENA = '88310679245';
export const NOBODY = '12532870461';
export const BAD_CHECK_DIGIT = '93141705863';
export const GATEWAY_ID = 'oog:demo-gateway';
export const WOHNGELDSTELLE = 'ags:09999001';
export const ELTERNGELDSTELLE = 'ags:09999002';
export const ORDNUNGSAMT = 'ags:09999003';
export const MELDEBEHOERDE = 'mld:09999001';
export const STANDESAMT = 'psw:09999001';
/** The fields the Wohngeldstelle may get from the Meldebehörde for wohngeld-antrag (policies/). */
export const WOHNGELD_FIELDS = ['familienname', 'vornamen', 'geburtsdatum', 'anschrift', 'einzugsdatum'];

/** The system clock plus an offset that a test can move forward (consent expiry without waiting). */
export interface TestClock extends Clock {
  advance(ms: number): void;
}

export function createTestClock(): TestClock {
  let offset = 0;
  return {
    nowMs: () => Date.now() + offset,
    advance(ms) {
      offset += ms;
    },
  };
}

export interface StartTestGatewayOptions {
  /** 'demo' (default): the demo Meldebehörde; a mode: a fake provider in that mode as mld:09999001. */
  readonly meldebehoerde?: 'demo' | FakeProviderMode;
  /** How long a 'slow' fake provider holds its answer (ms); default 10 s. */
  readonly slowMs?: number;
  /** Config members over the test defaults (port 0, 127.0.0.1, demo, silent log). */
  readonly config?: ConfigOverrides;
  /** An existing data dir (restart on the same data); default a new temp dir. */
  readonly dataDir?: string;
  readonly clock?: TestClock;
  /** Where the gateway logs; default a silent logger. */
  readonly logger?: Logger;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined if it is not JSON. */
  readonly json: Record<string, unknown> | undefined;
}

/** A transfer log record with its leaf index. */
export type LoggedRecord = TransferRecord & { readonly index: number };

export interface RequestOptions {
  readonly bearer?: string;
  /** A JSON body (sent as application/json). */
  readonly json?: unknown;
  readonly body?: string;
  readonly contentType?: string;
}

export interface SignRequestOptions {
  /** Default: the Wohngeldstelle's current key. */
  readonly signer?: Signer;
  /** Claims to leave out entirely. */
  readonly omit?: readonly string[];
}

export interface TestGateway {
  readonly gateway: RunningGateway;
  readonly url: string;
  readonly dataDir: string;
  readonly clock: TestClock;
  /** The fake mld:09999001, unless the demo Meldebehörde runs. */
  readonly provider: FakeProvider | undefined;
  /** Evidence request claims (PROTOCOL.md §1a) for Erika's Wohngeld case, iat from the gateway's clock. */
  requestClaims(overrides?: Record<string, unknown>, omit?: readonly string[]): Record<string, unknown>;
  /** Signs evidence request claims as a compact JWS (typ evidence-request+jwt). */
  signRequest(overrides?: Record<string, unknown>, options?: SignRequestOptions): Promise<string>;
  /** POST /v1/evidence-requests with the body as application/jose (or the given media type). */
  sendJws(body: string, contentType?: string): Promise<HttpAnswer>;
  /** Any call on the gateway. */
  request(method: string, path: string, options?: RequestOptions): Promise<HttpAnswer>;
  /** A bearer token of the demo identity provider for a citizen. */
  citizenToken(idnr: string): Promise<string>;
  /** A DPO bearer token of the demo identity provider, optionally limited to participant ids. */
  dpoToken(participants?: string[]): Promise<string>;
  /** An agency bearer (typ agency-auth+jwt) signed with the agency's example key. */
  agencyToken(agency: string | Signer, overrides?: Record<string, unknown>): Promise<string>;
  /** Every stored record of the transfer log, in index order. */
  records(): Promise<LoggedRecord[]>;
  recordsOf(exchangeId: string): Promise<LoggedRecord[]>;
  /** Records whose messageId (jti) is this one. */
  recordsOfMessage(messageId: string): Promise<LoggedRecord[]>;
  /** Stops the gateway and the fake provider; removes the data dir unless kept (for a restart). */
  close(options?: { keepDataDir?: boolean }): Promise<void>;
}

const PARTICIPANTS_FILE = fromRoot('certs-example/participants.json');

/** An example signer from certs-example/ (variants: current, rotated, expired, revoked). */
export function exampleSigner(participantId: string, which: SignerVariant = 'current'): KeyedSigner {
  return loadKeyedParticipant(PARTICIPANTS_FILE, participantId, which);
}

/** The Wohngeldstelle's id on a certificate of a rogue CA (certs-example/untrusted/): chains to no anchor. */
export function untrustedSigner(): KeyedSigner {
  const stem = fromRoot('certs-example/untrusted/ags-09999001');
  return loadKeyedSigner(`${stem}.cert.pem`, `${stem}.key.pem`);
}

const b64u = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** How signRaw signs: the JWS algorithms, including ones the gateway must refuse. */
export type RawScheme = 'ES256' | 'ES512' | 'PS256' | 'RS256' | 'EdDSA' | 'HS256' | 'none';

/**
 * A compact JWS built by hand from exact header and payload text (duplicate members, injected keys, odd algs),
 * signed with `key` under `scheme` whatever the header says: ECDSA as IEEE P1363, HS256 with the key bytes as
 * the secret, 'none' with an empty signature.
 */
export function signRaw(
  header: string,
  payload: string,
  key: KeyObject | Buffer | string | undefined,
  scheme: RawScheme = 'ES256',
): string {
  const input = `${b64u(header)}.${b64u(payload)}`;
  if (scheme === 'none' || key === undefined) return `${input}.`;
  const data = Buffer.from(input);
  let signature: Buffer;
  if (scheme === 'HS256') {
    signature = createHmac('sha256', key as Buffer | string)
      .update(data)
      .digest();
  } else {
    const privateKey = key as KeyObject;
    switch (scheme) {
      case 'ES256':
        signature = signBytes('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        break;
      case 'ES512':
        signature = signBytes('sha512', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        break;
      case 'PS256':
        signature = signBytes('sha256', data, {
          key: privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 32,
        });
        break;
      case 'RS256':
        signature = signBytes('sha256', data, privateKey);
        break;
      default:
        signature = signBytes(null, data, privateKey);
    }
  }
  return `${input}.${signature.toString('base64url')}`;
}

async function answerOf(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(text);
    json = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Starts the gateway with its demo services on free ports in a temp data dir. */
export async function startTestGateway(options: StartTestGatewayOptions = {}): Promise<TestGateway> {
  const clock = options.clock ?? createTestClock();
  const mode = options.meldebehoerde ?? 'demo';
  // Keys first: nothing to clean up if the example material cannot be read.
  const consumer = exampleSigner(WOHNGELDSTELLE);
  const providerSigner = mode === 'demo' ? undefined : exampleSigner(MELDEBEHOERDE);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'oog-e2e-'));
  let provider: FakeProvider | undefined;
  let gateway: RunningGateway;
  try {
    if (providerSigner !== undefined && mode !== 'demo') {
      provider = await startFakeProvider({ mode, signer: providerSigner, slowMs: options.slowMs ?? 10_000 });
    }
    const config = loadConfig(
      {},
      { port: 0, host: '127.0.0.1', dataDir, demo: true, logLevel: 'silent', ...options.config },
    );
    gateway = await startGateway(config, {
      clock,
      logger: options.logger ?? createLogger({ level: 'silent' }),
      demoPorts: { meldebehoerde: 0, standesamt: 0, idp: 0 },
      endpointOverrides: provider ? { [MELDEBEHOERDE]: provider.url } : {},
    });
  } catch (error) {
    await provider?.close();
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const agencySigners = new Map<string, Signer>();

  async function request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    let body: string | undefined = opts.body;
    if (opts.bearer !== undefined) headers['authorization'] = `Bearer ${opts.bearer}`;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] = 'application/json';
    }
    if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
    return answerOf(await fetch(`${gateway.url}${path}`, { method, headers, body }));
  }

  function requestClaims(overrides: Record<string, unknown> = {}, omit: readonly string[] = []) {
    const iat = Math.floor(clock.nowMs() / 1000);
    const claims: Record<string, unknown> = {
      iss: WOHNGELDSTELLE,
      aud: GATEWAY_ID,
      iat,
      exp: iat + 120,
      jti: randomUUID(),
      evidenceType: 'meldebescheinigung',
      provider: MELDEBEHOERDE,
      subject: { idnr: ERIKA },
      purpose: 'wohngeld-antrag',
      procedure: { reference: 'WG-2026/00042' },
      actor: 'sachbearbeitung-17',
      ...overrides,
    };
    for (const name of omit) delete claims[name];
    return claims;
  }

  async function records(): Promise<LoggedRecord[]> {
    const out: LoggedRecord[] = [];
    for await (const leaf of gateway.logStore.iterateLeaves(0)) {
      if (leaf.record === null) continue;
      out.push({ ...(JSON.parse(leaf.record) as TransferRecord), index: leaf.index });
    }
    return out;
  }

  return {
    gateway,
    url: gateway.url,
    dataDir,
    clock,
    provider,
    requestClaims,
    signRequest: (overrides = {}, opts = {}) =>
      signCompactJws(opts.signer ?? consumer, 'evidence-request+jwt', requestClaims(overrides, opts.omit)),
    sendJws: (body, contentType = 'application/jose') =>
      request('POST', '/v1/evidence-requests', { body, contentType }),
    request,
    citizenToken(idnr) {
      const { key, issuer, audience } = gateway.idp;
      if (!key) throw new Error('the demo identity provider is not running');
      return mintDemoToken(key, { issuer, audience, citizen: idnr });
    },
    dpoToken(participants) {
      const { key, issuer, audience } = gateway.idp;
      if (!key) throw new Error('the demo identity provider is not running');
      return mintDemoToken(key, { issuer, audience, dpo: true, participants });
    },
    agencyToken(agency, overrides = {}) {
      let signer: Signer;
      if (typeof agency === 'string') {
        signer = agencySigners.get(agency) ?? exampleSigner(agency);
        agencySigners.set(agency, signer);
      } else signer = agency;
      const iat = Math.floor(clock.nowMs() / 1000);
      return signCompactJws(signer, 'agency-auth+jwt', {
        iss: signer.participantId,
        aud: GATEWAY_ID,
        iat,
        exp: iat + 120,
        jti: randomUUID(),
        ...overrides,
      });
    },
    records,
    recordsOf: async (exchangeId) => (await records()).filter((r) => r.exchangeId === exchangeId),
    recordsOfMessage: async (messageId) => (await records()).filter((r) => r.messageId === messageId),
    async close(opts = {}) {
      try {
        await gateway.close();
      } finally {
        await provider?.close();
        if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
