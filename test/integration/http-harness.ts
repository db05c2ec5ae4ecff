/** Starts the real HTTP app on port 0 with fake services that record their calls, and collects log lines. */
import type { JWK } from 'jose';
import { Registry } from 'prom-client';
import { loadConfig } from '../../gateway/config.js';
import { GatewayError } from '../../gateway/core/errors.js';
import type { ConsentRecord } from '../../gateway/core/ports.js';
import { createApp, startServer } from '../../gateway/http/index.js';
import type { HttpServices } from '../../gateway/app/index.js';
import type { ConfigOverrides } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';

export const ERIKA = '93141705862';
export const MAX = '20561748335';
export const ERIKA_TOKEN = 'erika-token.abc';
export const MAX_TOKEN = 'max-token.def';
export const AGENCY_TOKEN = 'agency-token.ghi';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function consentOf(id: string, subjectRef: string): ConsentRecord {
  return {
    id,
    subjectRef,
    consumer: 'ags:09999001',
    evidenceTypes: ['meldebescheinigung'],
    purpose: 'wohngeld-antrag',
    validUntil: null,
    singleUse: false,
    createdAt: Date.UTC(2025, 0, 1),
    events: [{ type: 'given', at: Date.UTC(2025, 0, 1), by: 'citizen' }],
  };
}

export interface Calls {
  submit: Parameters<HttpServices['exchange']['submit']>[0][];
  get: Parameters<HttpServices['exchange']['get']>[0][];
  list: string[];
  give: [string, Parameters<HttpServices['consents']['give']>[1]][];
  withdraw: [string, string][];
  auth: string[];
}

/** Fake services: Erika owns consent `c-erika`; tokens map to citizens; everything else is refused. */
export function fakeServices(calls: Calls): HttpServices {
  const consents = new Map<string, ConsentRecord>([['c-erika', consentOf('c-erika', `ref:${ERIKA}`)]]);
  const citizens = new Map([
    [ERIKA_TOKEN, ERIKA],
    [MAX_TOKEN, MAX],
  ]);
  return {
    exchange: {
      async submit(submission) {
        calls.submit.push(submission);
        return {
          status: 200,
          body: {
            exchangeId: '7a1c8f9e-3b2d-4c5e-9f00-112233445566',
            status: 'released',
            evidence: 'aGVhZA.cGF5bG9hZA.c2ln',
            receipt: 'aGVhZA.cGF5bG9hZA.c2ln',
          },
        };
      },
      async get(query) {
        calls.get.push(query);
        return undefined;
      },
    },
    consents: {
      async list(idnr) {
        calls.list.push(idnr);
        return [...consents.values()].filter((c) => c.subjectRef === `ref:${idnr}`);
      },
      async give(idnr, request) {
        calls.give.push([idnr, request]);
        return { consent: { ...consentOf('c-new', `ref:${idnr}`), ...request }, receipt: 'aaa.bbb.ccc' };
      },
      async withdraw(idnr, id) {
        calls.withdraw.push([idnr, id]);
        const consent = consents.get(id);
        if (!consent || consent.subjectRef !== `ref:${idnr}`) return undefined;
        return {
          consent: {
            ...consent,
            events: [...consent.events, { type: 'withdrawn', at: Date.UTC(2025, 1, 1), by: 'citizen' }],
          },
          receipt: 'aaa.bbb.ccc',
        };
      },
    },
    audit: {
      async list() {
        return { transfers: [] };
      },
      async get() {
        return undefined;
      },
      async *export() {
        yield '';
      },
      async checkpoint() {
        return { treeSize: 0, rootHash: '', time: '1970-01-01T00:00:00.000Z', jws: 'a.b.c' };
      },
      async leaf() {
        return undefined;
      },
      async inclusion(index, treeSize) {
        return { index, treeSize, proof: [] };
      },
      async consistency(first, second) {
        return { first, second, proof: [] };
      },
      processing() {
        return { gateway: 'oog:demo-gateway', generatedAt: '', basis: '', activities: [] };
      },
    },
    citizenAccess: {
      async transfers() {
        return [];
      },
      async export(idnr) {
        return { generatedAt: '', basis: 'DSGVO Art. 15', subject: { idnr }, transfers: [] };
      },
    },
    consentRequests: {
      async submit() {
        throw new GatewayError('ERR_SIG_INVALID');
      },
      async status() {
        return undefined;
      },
      async listMine() {
        return [];
      },
      async getMine() {
        return undefined;
      },
      async answer() {
        throw new GatewayError('ERR_NOT_FOUND');
      },
    },
    previews: {
      async list() {
        return [];
      },
      async decide() {
        throw new GatewayError('ERR_NOT_FOUND');
      },
    },
    auth: {
      async citizen(bearer) {
        calls.auth.push(bearer);
        const idnr = citizens.get(bearer);
        if (!idnr) throw new GatewayError('ERR_AUTH', 'the bearer token is not valid');
        return { idnr };
      },
      async dpo() {
        throw new GatewayError('ERR_FORBIDDEN');
      },
      async agency(bearer) {
        calls.auth.push(bearer);
        if (bearer !== AGENCY_TOKEN) throw new GatewayError('ERR_AUTH', 'the bearer token is not valid');
        return { agency: 'ags:09999001' };
      },
    },
    health: { ready: async () => ({ ok: true, checks: { store: true, keys: true } }) },
    jwks: () => ({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' } as JWK] }),
    metrics: new Registry(),
  };
}

export interface TestApp {
  readonly url: string;
  readonly calls: Calls;
  /** Raw log lines as written (one JSON object per line). */
  readonly logs: string[];
  /** Forgets recorded calls and log lines (between tests sharing one app). */
  reset(): void;
  close(): Promise<void>;
}

export async function startTestApp(
  override: (services: HttpServices) => HttpServices = (s) => s,
  overrides: ConfigOverrides = {},
): Promise<TestApp> {
  const calls: Calls = { submit: [], get: [], list: [], give: [], withdraw: [], auth: [] };
  const logs: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void logs.push(line) },
  });
  const app = createApp({
    services: override(fakeServices(calls)),
    config: loadConfig({}, overrides),
    logger,
  });
  const running = await startServer(app, { port: 0, host: '127.0.0.1' });
  const reset = () => {
    for (const list of Object.values(calls) as unknown[][]) list.length = 0;
    logs.length = 0;
  };
  return { url: running.url, calls, logs, reset, close: () => running.close(100) };
}

/** The parsed log entries. */
export function entries(logs: readonly string[]): Record<string, unknown>[] {
  return logs
    .flatMap((chunk) => chunk.split('\n').filter((line) => line !== ''))
    .map((line) => JSON.parse(line));
}

/** Waits until the access log line of the last request has been written (it is written on 'finish'). */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The JSON body of a fetch response, as a plain record. */
export async function bodyOf(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}
