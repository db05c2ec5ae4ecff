/**
 * The JSON wire format (PROTOCOL.md §1a, §2, §1c): what the exchange needs of JSON, built on the JWS checks of
 * gateway/core/envelope/ (verify-evidence-request.ts, verify-evidence.ts, sign-jws.ts). Beside it: xoev/.
 */
export { createJsonWireFormat } from './create-json-wire-format.js';
export type { JsonWireFormatOptions } from './create-json-wire-format.js';
export { createJsonRequestReader } from './create-json-request-reader.js';
export { createJsonForwarder } from './create-json-forwarder.js';
export type { JsonForwarder, JsonForwarderOptions } from './create-json-forwarder.js';
export { createJsonAnswerVerifier } from './create-json-answer-verifier.js';
export type { JsonAnswerVerifier } from './create-json-answer-verifier.js';
