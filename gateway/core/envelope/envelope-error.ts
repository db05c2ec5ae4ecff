/**
 * The refusal an envelope check throws once it has read the payload: a GatewayError that also carries what the
 * message *claimed* (issuer, message id, evidence type, purpose, provider), so the exchange can log the refused
 * transfer with whatever was read (DESIGN.md "Every refusal … is logged as a refused transfer").
 */
import { GatewayError, type ErrorCode } from '../errors.js';

/**
 * Claims as read from a payload that did not (fully) pass verification. Only short string values are kept
 * (≤ 256 UTF-16 units); anything else is left out. Never trust these: log them as claimed, unauthenticated.
 */
export interface ClaimedValues {
  readonly iss?: string;
  readonly aud?: string;
  readonly jti?: string;
  readonly evidenceType?: string;
  readonly purpose?: string;
  readonly provider?: string;
  readonly exchangeId?: string;
}

const CLAIMED_NAMES = ['iss', 'aud', 'jti', 'evidenceType', 'purpose', 'provider', 'exchangeId'] as const;
const MAX_CLAIMED_LENGTH = 256;

/** Picks the loggable claims (short strings only) out of an unverified payload. */
export function pickClaimedValues(payload: Record<string, unknown>): ClaimedValues {
  const claimed: Record<string, string> = {};
  for (const name of CLAIMED_NAMES) {
    const value = payload[name];
    if (typeof value === 'string' && value.length <= MAX_CLAIMED_LENGTH) claimed[name] = value;
  }
  return claimed;
}

export interface EnvelopeErrorOptions {
  readonly claimed?: ClaimedValues;
  /**
   * True only when the signature verified AND the issuer was confirmed as the key's owner, i.e. the claimed
   * values really come from that sender (TransferRecord.authenticated).
   */
  readonly authenticated?: boolean;
  readonly cause?: unknown;
  readonly status?: number;
}

/** A GatewayError from the envelope checks, with the claims that were read before the refusal. */
export class EnvelopeError extends GatewayError {
  readonly claimed: ClaimedValues | undefined;
  readonly authenticated: boolean;

  constructor(code: ErrorCode, detail?: string, options: EnvelopeErrorOptions = {}) {
    super(code, detail, { cause: options.cause, status: options.status });
    this.name = 'EnvelopeError';
    this.claimed = options.claimed;
    this.authenticated = options.authenticated ?? false;
  }
}

/**
 * Turns a GatewayError into an EnvelopeError with the claimed values attached, for re-throwing (code, status and detail kept;
 * the original becomes the cause). Anything that is not a GatewayError is returned unchanged.
 */
export function attachClaimed(error: unknown, claimed: ClaimedValues, authenticated = false): unknown {
  if (error instanceof EnvelopeError && error.claimed !== undefined) return error;
  if (error instanceof GatewayError) {
    return new EnvelopeError(error.code, error.detail, {
      claimed,
      authenticated,
      cause: error.cause ?? error,
      status: error.status,
    });
  }
  return error;
}
