/**
 * The core's public face for the outer layers (http, web, cli): they import the core only through this file and
 * the folders' own index.ts files (dependency-cruiser rule `outer-layers-use-core-index`). Exports by name.
 */
export { ERROR_CATALOGUE, ERROR_CODES, GatewayError, isErrorCode, toGatewayError } from './errors.js';
export type { ErrorCode, ErrorSpec, Fault } from './errors.js';
export { isKid, isParticipantId, isUuid, isValidIdnr } from './ids.js';
export type { ConsentEvent, ConsentEventType, ConsentRecord } from './ports.js';
export type {
  CheckpointAnchor,
  Clock,
  SignedCheckpoint,
  Signer,
  TransferCount,
  TransferFilter,
  TransferRecord,
  WebSessionRecord,
  WebSessionStore,
} from './ports.js';
