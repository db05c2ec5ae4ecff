import { expect } from 'chai';
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { CompactSign, compactVerify } from 'jose';
import { createLocalSigner } from '../../../gateway/adapters/keys/local-signer.js';
import { signCompactJws } from '../../../gateway/core/envelope/index.js';
import { signXoev } from '../../../gateway/core/envelope/xoev/index.js';
import type { Signer } from '../../../gateway/core/ports.js';
import { testCertificate } from '../envelope/fake-trust.js';

const UNSIGNED = '<?xml version="1.0" encoding="UTF-8"?><root xmlns="urn:test"><a>1</a></root>';

function keysFor(alg: Signer['alg']) {
  if (alg === 'PS256') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519');
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/**
 * A Signer as an HSM would give it: metadata and functions only, no private KeyObject anywhere on it. It counts
 * its signatures, so a test sees that the core signed through it.
 */
function countingSigner(alg: Signer['alg'], withSync = true): { signer: Signer; count: () => number } {
  const { privateKey } = keysFor(alg);
  const inner = createLocalSigner(
    { participantId: 'ags:09999002', kid: 'k'.repeat(43), certificate: testCertificate },
    privateKey,
  );
  let calls = 0;
  const signer: Signer = {
    participantId: inner.participantId,
    kid: inner.kid,
    alg: inner.alg,
    certificate: inner.certificate,
    publicKey: inner.publicKey,
    sign: (data) => {
      calls++;
      return inner.sign(data);
    },
    ...(withSync
      ? {
          signSync: (data: Uint8Array) => {
            calls++;
            return inner.signSync!(data);
          },
        }
      : {}),
  };
  return { signer, count: () => calls };
}

describe('Signer capability (ports.ts) and the local signer', () => {
  for (const alg of ['ES256', 'PS256', 'EdDSA'] as const) {
    it(`signs a compact JWS only through signer.sign (${alg}), and jose verifies it`, async () => {
      const { signer, count } = countingSigner(alg);
      const token = await signCompactJws(signer, 'test+jwt', { a: 1, b: 'x' });
      expect(count()).to.equal(1);
      const { payload, protectedHeader } = await compactVerify(token, signer.publicKey, {
        algorithms: [alg],
      });
      expect(protectedHeader).to.deep.equal({ alg, kid: signer.kid, typ: 'test+jwt' });
      expect(JSON.parse(new TextDecoder().decode(payload))).to.deep.equal({ a: 1, b: 'x' });
    });
  }

  it('writes the same header and payload bytes as jose’s CompactSign', async () => {
    const { privateKey } = keysFor('ES256');
    const signer = createLocalSigner(
      { participantId: 'ags:09999002', kid: 'k'.repeat(43), certificate: testCertificate },
      privateKey,
    );
    const payload = { iss: 'ags:09999002', n: 1, s: 'ä' };
    const ours = await signCompactJws(signer, 'x+jwt', payload);
    const theirs = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'x+jwt' })
      .sign(privateKey);
    expect(ours.split('.').slice(0, 2)).to.deep.equal(theirs.split('.').slice(0, 2));
    // ES256 as r ‖ s: 64 bytes, as jose writes it.
    expect(Buffer.from(ours.split('.')[2]!, 'base64url')).to.have.length(64);
  });

  it('signs XMLDSig only through signer.signSync', () => {
    const { signer, count } = countingSigner('ES256');
    const xml = signXoev(signer, UNSIGNED);
    expect(count()).to.equal(1);
    expect(xml).to.include('<ds:SignatureValue>');
  });

  it('refuses XÖV signing with TypeError for a signer that signs only asynchronously', () => {
    const { signer, count } = countingSigner('ES256', false);
    expect(() => signXoev(signer, UNSIGNED)).to.throw(TypeError);
    expect(count()).to.equal(0);
  });

  it('holds no private key material where anyone can read it', () => {
    const { privateKey } = keysFor('ES256');
    const signer = createLocalSigner(
      { participantId: 'ags:09999002', kid: 'k'.repeat(43), certificate: testCertificate },
      privateKey,
    );
    const keys = Object.values(signer).filter((v): v is KeyObject => v instanceof KeyObject);
    expect(keys.map((k) => k.type)).to.deep.equal(['public']);
    expect(Object.isFrozen(signer)).to.equal(true);
    expect(Object.keys(signer)).to.not.include('privateKey');
  });

  it('refuses a public key and, at signing time, a key that does not fit its alg', async () => {
    const { privateKey, publicKey } = keysFor('ES256');
    const options = { participantId: 'ags:09999002', kid: 'k'.repeat(43), certificate: testCertificate };
    expect(() => createLocalSigner(options, publicKey)).to.throw(TypeError);
    const misfit = createLocalSigner({ ...options, alg: 'PS256' }, privateKey);
    let error: unknown;
    await misfit.sign(new Uint8Array([1])).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(TypeError);
    const weak = createLocalSigner(options, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey);
    expect(() => weak.signSync!(new Uint8Array([1]))).to.throw(TypeError);
  });
});
