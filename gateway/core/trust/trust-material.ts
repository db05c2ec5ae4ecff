import type { Endpoint, Role } from '../ports.js';

/** One participant as configured: its registry entry plus the PEM certificates it signs with. */
export interface ParticipantMaterial {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly evidenceTypes: readonly string[];
  readonly endpoint?: Endpoint;
  readonly returnUrls?: readonly string[];
  readonly callbackUrl?: string;
  /** PEM text, one certificate each (text before the BEGIN line, such as a comment, is ignored). */
  readonly certificates: readonly string[];
}

/**
 * Everything the trust store is built from, already read from wherever it is kept (the core does no I/O).
 * `anchors` and `intermediates` are PEM texts holding one or more CA certificates each; `crls` are PEM texts
 * or DER bytes of X.509 CRLs.
 */
export interface TrustMaterial {
  readonly anchors: readonly string[];
  readonly intermediates: readonly string[];
  readonly crls: readonly (string | Uint8Array)[];
  readonly participants: readonly ParticipantMaterial[];
}
