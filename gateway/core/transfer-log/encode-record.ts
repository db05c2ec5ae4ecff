/**
 * The bytes of a transfer log record: UTF-8 of its canonical JSON (sorted keys, no whitespace). These bytes are
 * the Merkle leaf input, so the same record always gives the same leaf hash, whoever encodes it.
 */
import { canonicalJson } from '../canonical-json.js';
import { GatewayError } from '../errors.js';
import type { TransferRecord } from '../ports.js';
import { leafHash } from './merkle.js';

const OUTCOMES: ReadonlySet<string> = new Set([
  'intent',
  'awaiting-citizen',
  'released',
  'refused',
  'withheld',
  'provider-failed',
  'retention-extended',
  'purged',
]);

/**
 * UTF-8 of canonicalJson(record) (DESIGN.md "Transfer log record"; RFC 8785-style canonical form).
 * Throws ERR_INTERNAL if the record lacks its required members or holds a value canonical JSON cannot carry
 * (a non-integer number): records are built by the gateway itself, so that is a defect, not a caller error.
 */
export function encodeRecord(record: TransferRecord): Uint8Array {
  const r = record as unknown as Record<string, unknown> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    r.v !== 1 ||
    typeof r.time !== 'string' ||
    typeof r.exchangeId !== 'string' ||
    typeof r.outcome !== 'string' ||
    !OUTCOMES.has(r.outcome) ||
    typeof r.authenticated !== 'boolean'
  ) {
    throw new GatewayError('ERR_INTERNAL', 'transfer record malformed');
  }
  let text: string;
  try {
    text = canonicalJson(record);
  } catch (cause) {
    throw new GatewayError('ERR_INTERNAL', 'transfer record malformed', { cause });
  }
  return new TextEncoder().encode(text);
}

/** The record's Merkle leaf hash, SHA-256(0x00 ‖ bytes) (RFC 9162 §2.1.1). Throws nothing. */
export function recordLeafHash(bytes: Uint8Array): Uint8Array {
  return leafHash(bytes);
}
