/**
 * What a provider trusts: the gateway's certificates, and nothing else. A minimal TrustStore over them, so the
 * provider can re-check a forwarded request with the core's own verifier (createForwardedRequestVerifier).
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { GatewayError } from '../../gateway/core/errors.js';
import type { Clock, Participant, ResolvedKey, TrustStore } from '../../gateway/core/ports.js';

export interface GatewayTrustOptions {
  /** The gateway's participant id, e.g. `oog:demo-gateway`. */
  readonly gatewayId: string;
  /** The gateway's signing certificates (several during a key rotation). */
  readonly certificates: readonly X509Certificate[];
  readonly clock: Clock;
}

/** The kid of a certificate: base64url SHA-256 of its DER (`x5t#S256`, PROTOCOL.md §1a). */
export function certificateKid(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}

/**
 * A TrustStore that knows one participant, the gateway, with role `gateway` and the given certificates.
 * keyByKid throws ERR_TRUST_UNKNOWN_SENDER for any other kid and ERR_TRUST_CERT outside the certificate's
 * validity; a pinned certificate needs no chain.
 */
export function createGatewayTrust(options: GatewayTrustOptions): TrustStore {
  const { gatewayId, clock } = options;
  const gateway: Participant = {
    id: gatewayId,
    name: 'Once-Only Gateway',
    roles: ['gateway'],
    evidenceTypes: [],
  };
  const keys = new Map<string, { key: ResolvedKey; from: number; to: number }>();
  for (const certificate of options.certificates) {
    const kid = certificateKid(certificate);
    keys.set(kid, {
      key: { kid, participantId: gatewayId, publicKey: certificate.publicKey, certificate },
      from: Date.parse(certificate.validFrom),
      to: Date.parse(certificate.validTo),
    });
  }
  const isValid = (entry: { from: number; to: number }) => {
    const now = clock.nowMs();
    return now >= entry.from && now <= entry.to;
  };
  return {
    participant: (id) => (id === gatewayId ? gateway : undefined),
    participants: () => [gateway],
    keyByKid(kid) {
      const entry = keys.get(kid);
      if (entry === undefined) throw new GatewayError('ERR_TRUST_UNKNOWN_SENDER', 'not a key of the gateway');
      if (!isValid(entry))
        throw new GatewayError('ERR_TRUST_CERT', 'the gateway certificate is not valid now');
      return entry.key;
    },
    keysOf: (id) => (id === gatewayId ? [...keys.values()].filter(isValid).map((e) => e.key) : []),
    providerFor: () => undefined,
  };
}
