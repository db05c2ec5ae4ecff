/**
 * Signing and verifying callbacks in the FIT-Connect callback scheme (docs/callbacks.md): the header
 * `callback-timestamp` carries the Unix time in seconds, and `callback-authentication` the hex HMAC-SHA-512 over
 * `${timestamp}.${body}` keyed with the consumer's shared secret. A receiver accepts a callback only if the MAC
 * matches (compared in constant time) and the timestamp lies within five minutes of its own clock, either way.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.js';

export const CALLBACK_TIMESTAMP_HEADER = 'callback-timestamp';
export const CALLBACK_AUTHENTICATION_HEADER = 'callback-authentication';
/** How far a callback's timestamp may lie from the receiver's clock, in seconds, in both directions. */
export const CALLBACK_WINDOW_S = 300;

/** Secrets shorter than this are refused: an HMAC key is only as strong as the secret's entropy. */
export const MIN_CALLBACK_SECRET_LENGTH = 32;

export interface CallbackHeaders {
  readonly 'callback-timestamp': string;
  readonly 'callback-authentication': string;
}

const TIMESTAMP = /^[0-9]{1,12}$/;
const MAC = /^[0-9a-f]{128}$/;

function mac(secret: string, timestamp: string, body: string): Buffer {
  return createHmac('sha512', Buffer.from(secret, 'utf8')).update(`${timestamp}.${body}`, 'utf8').digest();
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length < MIN_CALLBACK_SECRET_LENGTH) {
    throw new GatewayError('ERR_INTERNAL', 'callback secret missing or too short');
  }
}

/**
 * The two callback headers for `body` sent at `timestampS` (Unix seconds), FIT-Connect callback scheme.
 * Throws ERR_INTERNAL for a secret shorter than 32 characters or a timestamp that is not a non-negative integer.
 */
export function signCallback(secret: string, body: string, timestampS: number): CallbackHeaders {
  checkSecret(secret);
  if (!Number.isSafeInteger(timestampS) || timestampS < 0) {
    throw new GatewayError('ERR_INTERNAL', 'callback timestamp must be a non-negative integer');
  }
  const timestamp = String(timestampS);
  return {
    'callback-timestamp': timestamp,
    'callback-authentication': mac(secret, timestamp, body).toString('hex'),
  };
}

export interface VerifyCallbackInput {
  readonly secret: string;
  /** The raw request body exactly as received (bytes decoded as UTF-8), not a re-serialisation. */
  readonly body: string;
  /** The header values as received; a header sent twice arrives as an array or a comma-joined string and fails. */
  readonly timestamp: string | readonly string[] | undefined;
  readonly authentication: string | readonly string[] | undefined;
  /** The receiver's clock, ms since the epoch. */
  readonly nowMs: number;
  /** Default CALLBACK_WINDOW_S. */
  readonly windowS?: number;
}

/**
 * Verifies a received callback (FIT-Connect callback scheme; what receiving agencies run). Throws GatewayError
 * ERR_REQUEST_MALFORMED for a missing, repeated or malformed header, ERR_STALE for a timestamp more than the
 * window (5 minutes) in the past or future, and ERR_SIG_INVALID when the MAC does not match (wrong secret,
 * altered body or timestamp). The MACs are compared with timingSafeEqual on buffers of equal length.
 */
export function verifyCallback(input: VerifyCallbackInput): void {
  checkSecret(input.secret);
  const { timestamp, authentication } = input;
  if (typeof timestamp !== 'string' || !TIMESTAMP.test(timestamp)) {
    throw new GatewayError('ERR_REQUEST_MALFORMED', `${CALLBACK_TIMESTAMP_HEADER} missing or malformed`);
  }
  if (typeof authentication !== 'string' || !MAC.test(authentication)) {
    throw new GatewayError(
      'ERR_REQUEST_MALFORMED',
      `${CALLBACK_AUTHENTICATION_HEADER} missing or malformed (128 lower-case hex digits)`,
    );
  }
  const windowS = input.windowS ?? CALLBACK_WINDOW_S;
  const nowS = Math.floor(input.nowMs / 1000);
  if (Math.abs(nowS - Number(timestamp)) > windowS) {
    throw new GatewayError('ERR_STALE', 'callback timestamp outside the accepted window');
  }
  const expected = mac(input.secret, timestamp, input.body);
  const given = Buffer.from(authentication, 'hex');
  // Both are 64 bytes (the pattern above guarantees it for `given`); timingSafeEqual requires equal lengths.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new GatewayError('ERR_SIG_INVALID', 'callback authentication does not match');
  }
}
