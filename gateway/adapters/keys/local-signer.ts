/**
 * The local Signer (ports.ts): a private KeyObject held in a closure, so the returned object signs but never
 * shows its key — not as a property, not in JSON, not in logs. The rest of the gateway sees only the port.
 */
import { constants, createPublicKey, KeyObject, sign, type X509Certificate } from 'node:crypto';
import type { Signer } from '../../core/ports.js';

/** The JWS algorithm a private key signs with: P-256 → ES256, RSA / RSA-PSS → PS256, Ed25519 → EdDSA. */
export function algOfKey(key: KeyObject): Signer['alg'] {
  const type = key.asymmetricKeyType;
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (type === 'rsa' || type === 'rsa-pss') return 'PS256';
  if (type === 'ed25519') return 'EdDSA';
  throw new Error(`unsupported signing key type ${type ?? 'unknown'}`);
}

export interface LocalSignerOptions {
  readonly participantId: string;
  readonly kid: string;
  readonly certificate: X509Certificate;
  /** Default: the key's algorithm (algOfKey). */
  readonly alg?: Signer['alg'];
}

const MIN_RSA_BITS = 2048;

/** Signs `data` under `alg` with `key`, encoded as ports.ts `Signer` documents (ECDSA r ‖ s, PSS salt 32). */
function signWith(alg: Signer['alg'], key: KeyObject, data: Uint8Array): Uint8Array {
  const type = key.asymmetricKeyType;
  switch (alg) {
    case 'ES256':
      if (type !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') break;
      return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
    case 'PS256':
      if (type !== 'rsa' && type !== 'rsa-pss') break;
      // As jose refuses: RSA keys shorter than 2048 bits do not sign (RFC 7518 §3.5).
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
        throw new TypeError(`PS256 requires an RSA key of ${MIN_RSA_BITS} bits or more`);
      }
      return sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'EdDSA':
      if (type !== 'ed25519') break;
      return sign(null, data, key);
  }
  throw new TypeError(`the signing key does not fit ${String(alg)}`);
}

/**
 * A Signer over a private key. Throws TypeError if `privateKey` is not a private KeyObject; signing throws
 * TypeError if the key does not fit `alg`.
 */
export function createLocalSigner(options: LocalSignerOptions, privateKey: KeyObject): Signer {
  if (!(privateKey instanceof KeyObject) || privateKey.type !== 'private') {
    throw new TypeError('createLocalSigner: a private KeyObject is required');
  }
  const alg = options.alg ?? algOfKey(privateKey);
  const signSync = (data: Uint8Array): Uint8Array => signWith(alg, privateKey, data);
  return Object.freeze({
    participantId: options.participantId,
    kid: options.kid,
    alg,
    certificate: options.certificate,
    publicKey: createPublicKey(privateKey),
    sign: (data: Uint8Array) => Promise.resolve().then(() => signSync(data)),
    signSync,
  });
}
