/**
 * Demo mode (OOG_DEMO=true, README "Start"): the two demo registers, the demo OpenID Provider and the demo
 * citizen's standing consent, so that one command shows the whole exchange on a fresh machine. A production
 * gateway never runs any of this; the OpenID Provider library is not even loaded then.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { Config } from '../config.js';
import type { ConsentService } from '../core/consent/index.js';
import type { Signer } from '../core/ports.js';
import type { TrustMaterial } from '../core/trust/index.js';
import type { XoevSchemaFiles } from '../core/envelope/xoev/index.js';
import { loadSignerFromFiles } from '../adapters/files/index.js';
import type { DemoIdpKey } from '../adapters/idp/demo-identity-provider.js';
import type { DemoOpenIdProvider } from '../adapters/idp/demo-openid-provider.js';
import { startDemoMeldebehoerde, startDemoStandesamt } from '../../demo-registers/index.js';
import { fromRoot } from '../paths.js';
import type { Closer } from './background-jobs.js';

/** The portal's client id at the demo OpenID Provider (its secret is made fresh at every start). */
export const DEMO_PORTAL_CLIENT_ID = 'oog-portal';

/** The demo citizen who holds a standing consent for the Wohngeldstelle (the wire contract's demo section). */
const DEMO_CONSENT = {
  idnr: '93141705862',
  consumer: 'ags:09999001',
  evidenceTypes: ['meldebescheinigung'],
  purpose: 'wohngeld-antrag',
} as const;

/** Ports of the demo services over the configured ones; 0 picks free ones (tests). */
export interface DemoPorts {
  readonly meldebehoerde?: number;
  readonly standesamt?: number;
  readonly idp?: number;
}

/** Loads the demo identity provider's example key from certs-example/demo-idp/. */
export async function loadDemoIdpKey(): Promise<DemoIdpKey> {
  const jwk = JSON.parse(readFileSync(fromRoot('certs-example/demo-idp/public.jwk.json'), 'utf8')) as JWK;
  const privateKey = createPrivateKey(readFileSync(fromRoot('certs-example/demo-idp/private.key.pem')));
  return { privateKey, publicKey: createPublicKey(privateKey), kid: String(jwk.kid) };
}

/**
 * Starts the demo Meldebehörde and Standesamt with their example keys, each unless `overrides` already points
 * its participant elsewhere; with OOG_DEMO_SERVICES=external, starts none and points at those another instance
 * runs at the configured ports. Resolves with the endpoint overrides that point the trust store at them.
 */
export async function startDemoRegisters(deps: {
  readonly config: Config;
  readonly material: TrustMaterial;
  readonly signer: Signer;
  readonly schemas: XoevSchemaFiles;
  readonly overrides: Readonly<Record<string, string>>;
  readonly ports?: DemoPorts;
  readonly closers: Closer[];
}): Promise<Record<string, string>> {
  const { config, material, closers } = deps;
  const overrides: Record<string, string> = { ...deps.overrides };
  const gateway = { id: config.gatewayId, certificates: [deps.signer.certificate] };
  const signerOf = (id: string) => {
    if (!material.participants.some((p) => p.id === id))
      throw new Error(`demo participant ${id} is not registered`);
    const file = fromRoot(`certs-example/participants/${id.replace(':', '-')}`);
    return loadSignerFromFiles(`${file}.cert.pem`, `${file}.key.pem`);
  };
  if (config.demoServices.mode === 'external') {
    const external = (id: string, port: number) => {
      const endpoint = material.participants.find((p) => p.id === id)?.endpoint;
      if (endpoint === undefined || overrides[id]) return;
      const url = new URL(endpoint.url);
      url.port = String(port);
      overrides[id] = url.toString();
    };
    external('mld:09999001', config.demoServices.meldebehoerdePort);
    external('psw:09999001', config.demoServices.standesamtPort);
    return overrides;
  }
  if (!overrides['mld:09999001']) {
    const mld = await startDemoMeldebehoerde({
      dbPath: join(config.dataDir, 'demo-meldebehoerde.db'),
      signer: signerOf('mld:09999001'),
      gateway,
      port: deps.ports?.meldebehoerde ?? config.demoServices.meldebehoerdePort,
    });
    closers.push(() => mld.close());
    overrides['mld:09999001'] = mld.url;
  }
  if (!overrides['psw:09999001']) {
    const psw = await startDemoStandesamt({
      dbPath: join(config.dataDir, 'demo-standesamt.db'),
      signer: signerOf('psw:09999001'),
      gateway,
      schemas: deps.schemas,
      port: deps.ports?.standesamt ?? config.demoServices.standesamtPort,
    });
    closers.push(() => psw.close());
    overrides['psw:09999001'] = psw.url;
  }
  return overrides;
}

/**
 * Starts the demo OpenID Provider with the example key (loaded only here, so production never loads it); with
 * OOG_DEMO_SERVICES=external, uses the one another instance runs at the configured port instead (`op` absent).
 */
export async function startDemoIdentityProvider(
  config: Config,
  ports: DemoPorts | undefined,
  closers: Closer[],
): Promise<{ issuer: string; op?: DemoOpenIdProvider; key: DemoIdpKey }> {
  const key = await loadDemoIdpKey();
  if (config.demoServices.mode === 'external') {
    return { issuer: `http://127.0.0.1:${config.demoServices.idpPort}`, key };
  }
  const { startDemoOpenIdProvider } = await import('../adapters/idp/demo-openid-provider.js');
  const op = await startDemoOpenIdProvider({ key, port: ports?.idp ?? config.demoServices.idpPort });
  closers.push(() => op.close());
  return { issuer: op.issuer, op, key };
}

/** Gives the demo citizen's standing consent once (a restart finds it). */
export async function seedDemoConsent(
  consents: Pick<ConsentService, 'list' | 'give'>,
  subjectRef: (idnr: string) => string,
): Promise<void> {
  const ref = subjectRef(DEMO_CONSENT.idnr);
  const existing = await consents.list(ref);
  if (existing.some((c) => c.consumer === DEMO_CONSENT.consumer && c.purpose === DEMO_CONSENT.purpose))
    return;
  await consents.give(ref, {
    consumer: DEMO_CONSENT.consumer,
    evidenceTypes: [...DEMO_CONSENT.evidenceTypes],
    purpose: DEMO_CONSENT.purpose,
  });
}
