/**
 * XÖV as one of the exchange's wire formats (PROTOCOL.md §1b, §2, §1c): the consumer's `nachweisanfrage.0101`
 * read by createXoevRequestReader, the forwarded `0102` signed by createXoevForwarder, the provider's `0201`
 * checked by createXoevEvidenceVerifier. The JSON twin is gateway/core/envelope/json/create-json-wire-format.ts.
 */
import type { WireFormat } from '../../exchange/types.js';
import type { Clock, Signer, TrustStore } from '../../ports.js';
import { createXoevEvidenceVerifier } from './create-xoev-evidence-verifier.js';
import { createXoevForwarder } from './create-xoev-forwarder.js';
import { createXoevRequestReader } from './create-xoev-request-reader.js';
import type { XoevSchemaFiles, XoevSchemas } from './parse-xml.js';

export interface XoevWireFormatOptions {
  readonly trust: TrustStore;
  readonly clock: Clock;
  /** This gateway's participant id: the `leser` of what it reads. */
  readonly gatewayId: string;
  /** The project's XSDs (compiled once per object, so reader and verifier share them). */
  readonly schemas: XoevSchemaFiles | XoevSchemas;
  /** The gateway's signing key for forwarded requests. */
  readonly signer: Signer;
}

/**
 * Builds the exchange's `formats.xoev` with the readers' default limits. Throws what the three factories throw
 * (TypeError on bad options or a signer without an XMLDSig algorithm, Error if the XSDs do not compile).
 */
export function createXoevWireFormat(options: XoevWireFormatOptions): WireFormat {
  const { trust, clock, gatewayId, schemas, signer } = options;
  return {
    read: createXoevRequestReader({ trust, clock, gatewayId, schemas }),
    signForwarded: createXoevForwarder({ signer, clock }),
    verifyAnswer: createXoevEvidenceVerifier({ trust, clock, gatewayId, schemas }),
  };
}
