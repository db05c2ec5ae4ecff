import { expect } from 'chai';
import { importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateExamplePki } from '../../../certs-example/generate.js';
import { loadSigner, loadSignerFromFiles, loadTrustMaterial } from '../../../gateway/adapters/files/index.js';
import { GatewayError } from '../../../gateway/core/errors.js';
import { createTrustStore, kidOf } from '../../../gateway/core/trust/index.js';
import { fromRoot } from '../../../gateway/paths.js';
import { clockAt } from './example-pki.js';

const DEMO_IDS = [
  'oog:demo-gateway',
  'ags:09999001',
  'mld:09999001',
  'psw:09999001',
  'ags:09999002',
  'ags:09999003',
];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof GatewayError ? error.code : 'not a GatewayError';
  }
  return undefined;
}

describe('generateExamplePki', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'oog-pki-'));
    file = path.join(dir, 'participants.json');
    await generateExamplePki(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('produces a set that loads, in which every demo participant has a valid key', () => {
    const { gatewayId, material } = loadTrustMaterial(file);
    expect(gatewayId).to.equal('oog:demo-gateway');
    const store = createTrustStore(material, clockAt('2030-01-01T00:00:00Z'));
    expect(store.participants().map((p) => p.id)).to.have.members(DEMO_IDS);
    for (const id of DEMO_IDS) {
      const signer = loadSigner(file, id);
      expect(store.keyByKid(signer.kid).participantId).to.equal(id);
    }
    expect(store.keysOf('ags:09999001')).to.have.length(2);
    expect(store.providerFor('meldebescheinigung')?.endpoint).to.deep.equal({
      kind: 'http-json',
      url: 'http://127.0.0.1:8081/evidence',
    });
  });

  it('makes the expired and revoked test certificates refused with ERR_TRUST_CERT, the rogue one unknown', () => {
    const store = createTrustStore(loadTrustMaterial(file).material, clockAt('2030-01-01T00:00:00Z'));
    expect(codeOf(() => store.keyByKid(loadSigner(file, 'ags:09999001', 'expired').kid))).to.equal(
      'ERR_TRUST_CERT',
    );
    expect(codeOf(() => store.keyByKid(loadSigner(file, 'ags:09999001', 'revoked').kid))).to.equal(
      'ERR_TRUST_CERT',
    );
    const rogue = loadSignerFromFiles(
      path.join(dir, 'untrusted/ags-09999001.cert.pem'),
      path.join(dir, 'untrusted/ags-09999001.key.pem'),
    );
    expect(rogue.participantId).to.equal('ags:09999001');
    expect(codeOf(() => store.keyByKid(rogue.kid))).to.equal('ERR_TRUST_UNKNOWN_SENDER');
  });

  it('writes participants.json and callback-secrets.json exactly as committed in certs-example/', () => {
    for (const name of ['participants.json', 'callback-secrets.json']) {
      expect(readFileSync(path.join(dir, name), 'utf8'), name).to.equal(
        readFileSync(fromRoot(`certs-example/${name}`), 'utf8'),
      );
    }
    expect(statSync(path.join(dir, 'callback-secrets.json')).mode & 0o777).to.equal(0o600);
    const store = createTrustStore(loadTrustMaterial(file).material, clockAt('2030-01-01T00:00:00Z'));
    expect(store.participant('ags:09999001')?.callbackUrl).to.equal(
      'http://127.0.0.1:8099/callbacks/ags-09999001',
    );
    expect(store.participant('ags:09999003')?.callbackUrl).to.equal(undefined);
  });

  it('uses fixed validity dates, 2025-01-01 to 2045-01-01', () => {
    const cert = new X509Certificate(readFileSync(path.join(dir, 'participants/mld-09999001.cert.pem')));
    expect(Date.parse(cert.validFrom)).to.equal(Date.parse('2025-01-01T00:00:00Z'));
    expect(Date.parse(cert.validTo)).to.equal(Date.parse('2045-01-01T00:00:00Z'));
    expect(kidOf(cert)).to.equal(loadSigner(file, 'mld:09999001').kid);
  });

  it('marks every PEM file as an example before its BEGIN line', () => {
    for (const sub of ['ca', 'participants', 'untrusted', 'demo-idp']) {
      for (const name of readdirSync(path.join(dir, sub)).filter((n) => n.endsWith('.pem'))) {
        expect(readFileSync(path.join(dir, sub, name), 'utf8')).to.match(
          /^# EXAMPLE ONLY - NOT FOR PRODUCTION/,
        );
      }
    }
  });

  it('writes a demo identity provider key pair whose JWK and PEM forms match and sign ES256 tokens', async () => {
    const privateJwk = JSON.parse(readFileSync(path.join(dir, 'demo-idp/private.jwk.json'), 'utf8')) as JWK;
    const publicJwk = JSON.parse(readFileSync(path.join(dir, 'demo-idp/public.jwk.json'), 'utf8')) as JWK;
    expect(publicJwk.d).to.equal(undefined);
    expect(publicJwk.kid).to.equal(privateJwk.kid);
    const token = await new SignJWT({ idnr: '93141705862' })
      .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid })
      .sign(await importJWK(privateJwk, 'ES256'));
    const { payload } = await jwtVerify(token, await importJWK(publicJwk, 'ES256'), {
      algorithms: ['ES256'],
    });
    expect(payload.idnr).to.equal('93141705862');
    const pemPublic = createPublicKey(
      createPrivateKey(readFileSync(path.join(dir, 'demo-idp/private.key.pem'))),
    );
    const jwkPublic = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    expect(pemPublic.equals(jwkPublic)).to.equal(true);
  });
});
