import { expect } from 'chai';
import { verify } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  loadSigner,
  loadSignerFromFiles,
  loadTrustMaterial,
  signerFiles,
} from '../../../gateway/adapters/files/index.js';
import { createTrustStore } from '../../../gateway/core/trust/index.js';
import { CERTS_DIR, clockAt, PARTICIPANTS_FILE } from './example-pki.js';

describe('loadTrustMaterial', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'oog-trust-'));
    cpSync(CERTS_DIR, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function rewrite(change: (config: Record<string, unknown>) => void): string {
    const file = path.join(dir, 'participants.json');
    const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    change(config);
    writeFileSync(file, JSON.stringify(config));
    return file;
  }

  it('reads the committed example, files relative to participants.json, into a store that works today', () => {
    const { gatewayId, material } = loadTrustMaterial(PARTICIPANTS_FILE);
    expect(gatewayId).to.equal('oog:demo-gateway');
    expect(material.anchors).to.have.length(1);
    expect(material.intermediates).to.have.length(1);
    expect(material.crls).to.have.length(1);
    const store = createTrustStore(material, { nowMs: () => Date.now() });
    for (const participant of store.participants())
      expect(store.keysOf(participant.id).length).to.be.greaterThan(0);
  });

  it('reads a copy in another folder the same way', () => {
    const { material } = loadTrustMaterial(path.join(dir, 'participants.json'));
    expect(material.participants.map((p) => p.id)).to.include('psw:09999001');
  });

  it('refuses a configuration whose gateway is not a participant with role gateway', () => {
    const file = rewrite((config) => {
      config.gateway = 'oog:other-gateway';
    });
    expect(() => loadTrustMaterial(file)).to.throw(Error);
  });

  it('refuses a file that is not JSON', () => {
    const file = path.join(dir, 'participants.json');
    writeFileSync(file, '{ not json');
    expect(() => loadTrustMaterial(file)).to.throw(Error);
  });

  it('refuses a configuration naming a file that is missing', () => {
    const file = rewrite((config) => {
      config.anchors = ['ca/no-such-file.pem'];
    });
    expect(() => loadTrustMaterial(file)).to.throw(Error);
  });

  it('reads a CRL file in DER as well as in PEM', () => {
    const pem = readFileSync(path.join(dir, 'ca/issuing-ca.crl.pem'), 'utf8');
    const base64 = pem.split('-----BEGIN X509 CRL-----')[1]?.split('-----END')[0] ?? '';
    writeFileSync(path.join(dir, 'ca/issuing-ca.crl'), Buffer.from(base64, 'base64'));
    const file = rewrite((config) => {
      config.crls = ['ca/issuing-ca.crl'];
    });
    const { material } = loadTrustMaterial(file);
    expect(material.crls[0]).to.be.instanceOf(Uint8Array);
    const store = createTrustStore(material, clockAt('2030-01-01T00:00:00Z'));
    expect(store.keysOf('ags:09999001')).to.have.length(2);
  });
});

describe('loadSigner', () => {
  it('loads the current key of each demo participant, whose signature the trust store’s key verifies', async () => {
    const store = createTrustStore(
      loadTrustMaterial(PARTICIPANTS_FILE).material,
      clockAt('2030-01-01T00:00:00Z'),
    );
    for (const id of [
      'oog:demo-gateway',
      'ags:09999001',
      'mld:09999001',
      'psw:09999001',
      'ags:09999002',
      'ags:09999003',
    ]) {
      const signer = loadSigner(PARTICIPANTS_FILE, id);
      expect(signer.participantId).to.equal(id);
      expect(signer.alg).to.equal('ES256');
      const signature = await signer.sign(Buffer.from('hello'));
      const publicKey = store.keyByKid(signer.kid).publicKey;
      expect(
        verify('sha256', Buffer.from('hello'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature),
      ).to.equal(true);
    }
  });

  it('loads the test keys of ags:09999001, each with its own kid', () => {
    const kids = (['current', 'rotated', 'expired', 'revoked'] as const).map(
      (which) => loadSigner(PARTICIPANTS_FILE, 'ags:09999001', which).kid,
    );
    expect(new Set(kids).size).to.equal(4);
  });

  it('refuses a participant id that is a path', () => {
    expect(() => loadSigner(PARTICIPANTS_FILE, '../../etc/passwd')).to.throw(Error);
    expect(() => signerFiles(PARTICIPANTS_FILE, 'ags:09999001', '../x' as 'current')).to.throw(Error);
  });

  it('names the files predictably beside participants.json', () => {
    const files = signerFiles(PARTICIPANTS_FILE, 'ags:09999001', 'rotated');
    expect(files.certFile).to.equal(path.join(CERTS_DIR, 'participants', 'ags-09999001.rotated.cert.pem'));
    expect(files.keyFile).to.equal(path.join(CERTS_DIR, 'participants', 'ags-09999001.rotated.key.pem'));
  });
});

describe('loadSignerFromFiles', () => {
  it('reads the participant id from the certificate, also for the rogue certificate', () => {
    const rogue = loadSignerFromFiles(
      path.join(CERTS_DIR, 'untrusted/ags-09999001.cert.pem'),
      path.join(CERTS_DIR, 'untrusted/ags-09999001.key.pem'),
    );
    expect(rogue.participantId).to.equal('ags:09999001');
  });

  it('refuses a key that does not belong to the certificate', () => {
    expect(() =>
      loadSignerFromFiles(
        path.join(CERTS_DIR, 'participants/ags-09999001.cert.pem'),
        path.join(CERTS_DIR, 'participants/ags-09999002.key.pem'),
      ),
    ).to.throw(Error);
  });

  it('refuses a CA certificate that names no participant', () => {
    expect(() =>
      loadSignerFromFiles(
        path.join(CERTS_DIR, 'ca/root-ca.cert.pem'),
        path.join(CERTS_DIR, 'ca/root-ca.key.pem'),
      ),
    ).to.throw(Error);
  });
});
