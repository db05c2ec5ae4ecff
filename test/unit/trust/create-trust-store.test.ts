import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { loadSigner, loadTrustMaterial } from '../../../gateway/adapters/files/index.js';
import { GatewayError, type ErrorCode } from '../../../gateway/core/errors.js';
import { isKid } from '../../../gateway/core/ids.js';
import type { Signer, TrustStore } from '../../../gateway/core/ports.js';
import { createTrustStore, kidOf, type TrustMaterial } from '../../../gateway/core/trust/index.js';
import { clockAt, makeCrl, PARTICIPANTS_FILE, readCertsFile } from './example-pki.js';

const { material } = loadTrustMaterial(PARTICIPANTS_FILE);
const NOW = '2030-06-01T00:00:00Z';

function signer(id: string, which: 'current' | 'rotated' | 'expired' | 'revoked' = 'current'): Signer {
  return loadSigner(PARTICIPANTS_FILE, id, which);
}

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(GatewayError);
    return (error as GatewayError).code;
  }
  return undefined;
}

/** The material with one participant's certificate list replaced. */
function withCertificates(id: string, certificates: string[]): TrustMaterial {
  return {
    ...material,
    participants: material.participants.map((p) => (p.id === id ? { ...p, certificates } : p)),
  };
}

function pemOf(der: Buffer, label: string): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`;
}

function crlDer(): Buffer {
  const body = readCertsFile('ca/issuing-ca.crl.pem')
    .split('-----BEGIN X509 CRL-----')[1]
    ?.split('-----END')[0];
  return Buffer.from(body ?? '', 'base64');
}

describe('createTrustStore', () => {
  let store: TrustStore;
  before(() => {
    store = createTrustStore(material, clockAt(NOW));
  });

  describe('keyByKid', () => {
    it('resolves a participant key chained through the issuing CA to the root', () => {
      const wohngeld = signer('ags:09999001');
      const key = store.keyByKid(wohngeld.kid);
      expect(key.participantId).to.equal('ags:09999001');
      expect(key.kid).to.equal(wohngeld.kid);
      expect(key.publicKey.equals(wohngeld.certificate.publicKey)).to.equal(true);
    });

    it('resolves every demo participant, the gateway included', () => {
      for (const id of [
        'oog:demo-gateway',
        'ags:09999001',
        'mld:09999001',
        'psw:09999001',
        'ags:09999002',
        'ags:09999003',
      ]) {
        expect(store.keyByKid(signer(id).kid).participantId).to.equal(id);
      }
    });

    it('refuses an expired certificate, with ERR_TRUST_CERT', () => {
      expect(codeOf(() => store.keyByKid(signer('ags:09999001', 'expired').kid))).to.equal('ERR_TRUST_CERT');
    });

    it('refuses a certificate listed in the CRL, with ERR_TRUST_CERT', () => {
      expect(codeOf(() => store.keyByKid(signer('ags:09999001', 'revoked').kid))).to.equal('ERR_TRUST_CERT');
    });

    it('does not know a rogue CA certificate that is not configured, with ERR_TRUST_UNKNOWN_SENDER', () => {
      const rogue = new X509Certificate(readCertsFile('untrusted/ags-09999001.cert.pem'));
      expect(codeOf(() => store.keyByKid(kidOf(rogue)))).to.equal('ERR_TRUST_UNKNOWN_SENDER');
    });

    it('refuses a rogue CA certificate listed under the participant it claims, with ERR_TRUST_CERT', () => {
      const rogue = readCertsFile('untrusted/ags-09999001.cert.pem');
      const current = readCertsFile('participants/ags-09999001.cert.pem');
      const poisoned = createTrustStore(withCertificates('ags:09999001', [current, rogue]), clockAt(NOW));
      expect(codeOf(() => poisoned.keyByKid(kidOf(new X509Certificate(rogue))))).to.equal('ERR_TRUST_CERT');
      expect(poisoned.keysOf('ags:09999001')).to.have.length(1);
    });

    it('refuses an unknown well-formed kid, with ERR_TRUST_UNKNOWN_SENDER', () => {
      expect(codeOf(() => store.keyByKid('A'.repeat(43)))).to.equal('ERR_TRUST_UNKNOWN_SENDER');
    });

    it('refuses a path-like kid before any lookup, with ERR_TRUST_UNKNOWN_SENDER', () => {
      expect(codeOf(() => store.keyByKid('../../etc/passwd'))).to.equal('ERR_TRUST_UNKNOWN_SENDER');
    });

    it('refuses a huge kid, with ERR_TRUST_UNKNOWN_SENDER', () => {
      expect(codeOf(() => store.keyByKid(signer('ags:09999001').kid.repeat(100_000)))).to.equal(
        'ERR_TRUST_UNKNOWN_SENDER',
      );
    });

    it('refuses a kid that is not a string, with ERR_TRUST_UNKNOWN_SENDER', () => {
      expect(codeOf(() => store.keyByKid(42 as unknown as string))).to.equal('ERR_TRUST_UNKNOWN_SENDER');
      expect(codeOf(() => store.keyByKid('__proto__'))).to.equal('ERR_TRUST_UNKNOWN_SENDER');
    });

    it('refuses a key once its certificate expires while the store is running, with ERR_TRUST_CERT', () => {
      const clock = clockAt('2044-12-31T23:59:59Z');
      const running = createTrustStore(material, clock);
      const kid = signer('mld:09999001').kid;
      expect(running.keyByKid(kid).participantId).to.equal('mld:09999001');
      clock.set('2045-01-01T00:00:01Z');
      expect(codeOf(() => running.keyByKid(kid))).to.equal('ERR_TRUST_CERT');
      expect(running.keysOf('mld:09999001')).to.deep.equal([]);
    });

    it('refuses a certificate that is not yet valid, with ERR_TRUST_CERT', () => {
      const early = createTrustStore(material, clockAt('2024-12-31T23:59:59Z'));
      expect(codeOf(() => early.keyByKid(signer('mld:09999001').kid))).to.equal('ERR_TRUST_CERT');
    });

    it('refuses keys whose issuer CRL is past its next update, with ERR_TRUST_CERT', async () => {
      const crl = await makeCrl('ca/issuing-ca.key.pem', { nextUpdate: new Date('2030-01-01T00:00:00Z') });
      const clock = clockAt('2029-12-31T00:00:00Z');
      const staleLater = createTrustStore({ ...material, crls: [crl] }, clock);
      const kid = signer('mld:09999001').kid;
      expect(staleLater.keyByKid(kid).participantId).to.equal('mld:09999001');
      clock.set('2030-01-02T00:00:00Z');
      expect(codeOf(() => staleLater.keyByKid(kid))).to.equal('ERR_TRUST_CERT');
    });

    it('reads the CRL given as DER bytes as well as PEM', () => {
      const derStore = createTrustStore({ ...material, crls: [new Uint8Array(crlDer())] }, clockAt(NOW));
      expect(codeOf(() => derStore.keyByKid(signer('ags:09999001', 'revoked').kid))).to.equal(
        'ERR_TRUST_CERT',
      );
      expect(derStore.keyByKid(signer('ags:09999001').kid).participantId).to.equal('ags:09999001');
    });

    it('does not check revocation when no CRL is configured for the issuer', () => {
      const noCrl = createTrustStore({ ...material, crls: [] }, clockAt(NOW));
      expect(noCrl.keyByKid(signer('ags:09999001', 'revoked').kid).participantId).to.equal('ags:09999001');
    });

    it('refuses every key when the issuing CA is not configured, with ERR_TRUST_CERT', () => {
      const noIntermediate = createTrustStore({ ...material, intermediates: [], crls: [] }, clockAt(NOW));
      expect(codeOf(() => noIntermediate.keyByKid(signer('ags:09999001').kid))).to.equal('ERR_TRUST_CERT');
    });
  });

  describe('keysOf', () => {
    it('holds two valid keys of one participant during rotation', () => {
      const kids = store.keysOf('ags:09999001').map((key) => key.kid);
      expect(kids).to.have.members([signer('ags:09999001').kid, signer('ags:09999001', 'rotated').kid]);
      expect(store.keyByKid(signer('ags:09999001', 'rotated').kid).participantId).to.equal('ags:09999001');
    });

    it('returns nothing for an unknown participant', () => {
      expect(store.keysOf('ags:00000000')).to.deep.equal([]);
    });
  });

  describe('participants', () => {
    it('knows the roles, evidence types and endpoints of the demo data set', () => {
      expect(store.participant('oog:demo-gateway')?.roles).to.deep.equal(['gateway']);
      expect(store.participant('ags:09999001')?.roles).to.deep.equal(['consumer']);
      expect(store.participant('mld:09999001')?.roles).to.deep.equal(['provider']);
      expect(store.participant('psw:09999001')?.endpoint).to.deep.equal({
        kind: 'http-xoev',
        url: 'http://127.0.0.1:8082/evidence',
      });
      expect(store.participants().map((p) => p.id)).to.have.length(6);
      expect(store.participant('ags:00000000')).to.equal(undefined);
      expect(store.participant('__proto__')).to.equal(undefined);
    });

    it('hands out frozen participants', () => {
      expect(Object.isFrozen(store.participant('mld:09999001'))).to.equal(true);
      expect(Object.isFrozen(store.participant('mld:09999001')?.roles)).to.equal(true);
    });
  });

  describe('providerFor', () => {
    it('finds the one provider of an evidence type', () => {
      expect(store.providerFor('meldebescheinigung')?.id).to.equal('mld:09999001');
      expect(store.providerFor('geburtsurkunde')?.id).to.equal('psw:09999001');
      expect(store.providerFor('fuehrungszeugnis')).to.equal(undefined);
    });

    it('finds none when two providers hold the same evidence type', () => {
      const twice = createTrustStore(
        {
          ...material,
          participants: material.participants.map((p) =>
            p.id === 'psw:09999001' ? { ...p, evidenceTypes: ['geburtsurkunde', 'meldebescheinigung'] } : p,
          ),
        },
        clockAt(NOW),
      );
      expect(twice.providerFor('meldebescheinigung')).to.equal(undefined);
      expect(twice.providerFor('geburtsurkunde')?.id).to.equal('psw:09999001');
    });
  });

  describe('loading', () => {
    it('refuses a participant listed with someone else’s certificate, naming the participant', () => {
      const other = readCertsFile('participants/ags-09999002.cert.pem');
      expect(() => createTrustStore(withCertificates('ags:09999003', [other]), clockAt(NOW))).to.throw(
        Error,
        'ags:09999003',
      );
    });

    it('refuses duplicate participant ids', () => {
      const first = material.participants[1];
      if (!first) throw new Error('fixture');
      expect(() =>
        createTrustStore({ ...material, participants: [...material.participants, first] }, clockAt(NOW)),
      ).to.throw(Error, first.id);
    });

    it('refuses a certificate that is not PEM', () => {
      expect(() =>
        createTrustStore(withCertificates('ags:09999003', ['not a certificate']), clockAt(NOW)),
      ).to.throw(Error, 'ags:09999003');
    });

    it('refuses a PEM block with broken base64', () => {
      const broken = readCertsFile('participants/ags-09999003.cert.pem').replace(
        /\n[A-Za-z0-9+/]{64}\n/,
        '\n!!!!\n',
      );
      expect(() => createTrustStore(withCertificates('ags:09999003', [broken]), clockAt(NOW))).to.throw(
        Error,
      );
    });

    it('refuses a private key put where a certificate belongs', () => {
      const key = readCertsFile('participants/ags-09999003.key.pem');
      const cert = readCertsFile('participants/ags-09999003.cert.pem');
      expect(() => createTrustStore(withCertificates('ags:09999003', [cert + key]), clockAt(NOW))).to.throw(
        Error,
      );
    });

    it('refuses the same certificate listed twice', () => {
      const cert = readCertsFile('participants/ags-09999003.cert.pem');
      expect(() => createTrustStore(withCertificates('ags:09999003', [cert, cert]), clockAt(NOW))).to.throw(
        Error,
      );
    });

    it('refuses an unknown role and an endpoint that is not http(s)', () => {
      const withRole = material.participants.map((p) =>
        p.id === 'ags:09999003' ? { ...p, roles: ['admin' as 'consumer'] } : p,
      );
      expect(() => createTrustStore({ ...material, participants: withRole }, clockAt(NOW))).to.throw(Error);
      const withUrl = material.participants.map((p) =>
        p.id === 'mld:09999001'
          ? { ...p, endpoint: { kind: 'http-json' as const, url: 'file:///etc/passwd' } }
          : p,
      );
      expect(() => createTrustStore({ ...material, participants: withUrl }, clockAt(NOW))).to.throw(Error);
    });

    it('callbackUrl – accepts https and http to loopback hosts; refuses other http, credentials, fragments, non-URLs', () => {
      const withCallback = (id: string, callbackUrl: unknown) =>
        createTrustStore(
          {
            ...material,
            participants: material.participants.map((p) =>
              p.id === id ? { ...p, callbackUrl: callbackUrl as string } : p,
            ),
          },
          clockAt(NOW),
        );
      for (const ok of [
        'https://wohngeld.example/oog/callback',
        'http://127.0.0.1:8099/cb',
        'http://localhost/cb',
        'http://[::1]:9000/cb',
      ]) {
        expect(withCallback('ags:09999003', ok).participant('ags:09999003')?.callbackUrl, ok).to.equal(ok);
      }
      for (const bad of [
        'http://wohngeld.example/cb',
        'http://127.0.0.2/cb',
        'https://user:pw@wohngeld.example/cb',
        'https://wohngeld.example/cb#x',
        'ftp://wohngeld.example/cb',
        'not a url',
        42,
      ]) {
        expect(() => withCallback('ags:09999003', bad), String(bad)).to.throw(Error, 'ags:09999003');
      }
      // Only consumers are called back.
      expect(() => withCallback('mld:09999001', 'https://mld.example/cb')).to.throw(Error, 'mld:09999001');
    });

    it('refuses a tampered CRL', () => {
      const der = crlDer();
      const serial = Buffer.from(signer('ags:09999001', 'revoked').certificate.serialNumber, 'hex');
      const at = der.indexOf(serial);
      expect(at).to.be.greaterThan(0);
      der[at + serial.length - 1] = (der[at + serial.length - 1] ?? 0) ^ 0x01;
      expect(() => createTrustStore({ ...material, crls: [pemOf(der, 'X509 CRL')] }, clockAt(NOW))).to.throw(
        Error,
      );
    });

    it('refuses a CRL made by a rogue CA that copies the issuing CA’s name', async () => {
      const crl = await makeCrl('untrusted/rogue-ca.key.pem', {
        nextUpdate: new Date('2045-01-01T00:00:00Z'),
      });
      expect(() => createTrustStore({ ...material, crls: [crl] }, clockAt(NOW))).to.throw(Error);
    });

    it('refuses a CRL that is not a CRL', () => {
      expect(() =>
        createTrustStore({ ...material, crls: [new Uint8Array([0x30, 0x03, 0x02, 0x01])] }, clockAt(NOW)),
      ).to.throw(Error);
    });

    it('refuses material without a trust anchor, and a leaf certificate given as anchor', () => {
      expect(() => createTrustStore({ ...material, anchors: [] }, clockAt(NOW))).to.throw(Error);
      const leaf = readCertsFile('participants/ags-09999003.cert.pem');
      expect(() => createTrustStore({ ...material, anchors: [leaf] }, clockAt(NOW))).to.throw(Error);
    });
  });
});

describe('kidOf', () => {
  it('is the base64url SHA-256 of the certificate DER, a well-formed kid', () => {
    const cert = new X509Certificate(readCertsFile('participants/ags-09999001.cert.pem'));
    const kid = kidOf(cert);
    expect(isKid(kid)).to.equal(true);
    expect(kid).to.equal(Buffer.from(cert.fingerprint256.replaceAll(':', ''), 'hex').toString('base64url'));
  });
});
