/**
 * JSON as one of the exchange's wire formats (PROTOCOL.md §1a, §2, §1c): the consumer's evidence request read by
 * createJsonRequestReader, the forwarded request signed by createJsonForwarder, the provider's evidence checked
 * by createJsonAnswerVerifier. The XÖV twin is gateway/core/envelope/xoev/create-xoev-wire-format.ts.
 */
import type { WireFormat } from '../../exchange/types.js';
import type { Clock, Signer, TrustStore } from '../../ports.js';
import type { JwsAlgorithm } from '../verify-jws.js';
import { createJsonAnswerVerifier } from './create-json-answer-verifier.js';
import { createJsonForwarder } from './create-json-forwarder.js';
import { createJsonRequestReader } from './create-json-request-reader.js';

export interface JsonWireFormatOptions {
  readonly trust: TrustStore;
  readonly clock: Clock;
  /** This gateway's participant id: the `aud` of what it reads, the `iss` of what it forwards. */
  readonly gatewayId: string;
  /** The gateway's signing key for forwarded requests. */
  readonly signer: Signer;
  /** JWS algorithms accepted from consumers and providers; default ES256, PS256, EdDSA. */
  readonly algorithms?: readonly JwsAlgorithm[];
  /** Of consumers' requests: the longest age and the clock skew allowed (createEvidenceRequestVerifier). */
  readonly maxAgeSeconds?: number;
  readonly skewSeconds?: number;
}

/** Builds the exchange's `formats.json`. The factory throws TypeError on bad options. */
export function createJsonWireFormat(options: JsonWireFormatOptions): WireFormat {
  const { trust, clock, gatewayId, signer, algorithms } = options;
  return {
    read: createJsonRequestReader({
      trust,
      clock,
      gatewayId,
      algorithms,
      maxAgeSeconds: options.maxAgeSeconds,
      skewSeconds: options.skewSeconds,
    }),
    signForwarded: createJsonForwarder({ signer, clock, gatewayId }),
    verifyAnswer: createJsonAnswerVerifier({ trust, clock, algorithms }),
  };
}
