/**
 * The gateway's single error catalogue (PROTOCOL.md §6). Every refusal carries one of these stable codes; the
 * HTTP layer alone turns a GatewayError into application/problem+json. docs/errors.md is kept in sync with this
 * table by test/unit/errors-doc.test.ts.
 */

/** Whose fault an error is, as X-Road tags its errors: the caller's, the provider's or the gateway's own. */
export type Fault = 'client' | 'provider' | 'server';

export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
  readonly fault: Fault;
}

export const ERROR_CATALOGUE = {
  ERR_REQUEST_MALFORMED: { status: 400, title: 'Request malformed', fault: 'client' },
  ERR_MEDIA_TYPE: { status: 415, title: 'Unsupported media type', fault: 'client' },
  ERR_TOO_LARGE: { status: 413, title: 'Request too large', fault: 'client' },
  ERR_SCHEMA: { status: 400, title: 'Schema violation', fault: 'client' },
  ERR_IDENTIFIER: { status: 400, title: 'Invalid identifier', fault: 'client' },
  ERR_SIG_INVALID: { status: 401, title: 'Signature invalid', fault: 'client' },
  ERR_TRUST_UNKNOWN_SENDER: { status: 401, title: 'Unknown sender', fault: 'client' },
  ERR_TRUST_CERT: { status: 401, title: 'Certificate not trusted', fault: 'client' },
  ERR_TRUST_SENDER_MISMATCH: { status: 403, title: 'Sender mismatch', fault: 'client' },
  ERR_STALE: { status: 401, title: 'Message stale', fault: 'client' },
  ERR_REPLAY: { status: 409, title: 'Message replayed', fault: 'client' },
  ERR_POLICY_DENIED: { status: 403, title: 'Denied by policy', fault: 'client' },
  ERR_POLICY_FIELDS: { status: 403, title: 'Fields not permitted', fault: 'client' },
  ERR_CONSENT_MISSING: { status: 403, title: 'Consent missing', fault: 'client' },
  ERR_CONSENT_WITHDRAWN: { status: 403, title: 'Consent withdrawn', fault: 'client' },
  ERR_CONSENT_EXPIRED: { status: 403, title: 'Consent expired', fault: 'client' },
  ERR_PREVIEW_REJECTED: { status: 403, title: 'Preview rejected', fault: 'client' },
  ERR_PROVIDER_UNAVAILABLE: { status: 502, title: 'Provider unavailable', fault: 'provider' },
  ERR_PROVIDER_RESPONSE: { status: 502, title: 'Provider response invalid', fault: 'provider' },
  ERR_NOT_FOUND: { status: 404, title: 'Not found', fault: 'client' },
  ERR_CONFLICT: { status: 409, title: 'Conflict', fault: 'client' },
  ERR_AUTH: { status: 401, title: 'Authentication required', fault: 'client' },
  ERR_FORBIDDEN: { status: 403, title: 'Forbidden', fault: 'client' },
  ERR_RATE_LIMITED: { status: 429, title: 'Too many requests', fault: 'client' },
  ERR_LOG_UNAVAILABLE: { status: 503, title: 'Transfer log unavailable', fault: 'server' },
  ERR_OUTCOME_UNKNOWN: { status: 500, title: 'Outcome unknown', fault: 'server' },
  ERR_INTERNAL: { status: 500, title: 'Internal error', fault: 'server' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}

/**
 * The one error type of the gateway. `detail` is safe to show the caller (no key material, paths, SQL or
 * personal data); `cause` is for the operator's log only. `status` may narrow the catalogue's status where the
 * catalogue allows two (ERR_PROVIDER_UNAVAILABLE is 502, or 504 on a timeout).
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  /** For ERR_RATE_LIMITED: seconds until trying again makes sense (the `Retry-After` header). */
  readonly retryAfterS: number | undefined;

  constructor(
    code: ErrorCode,
    detail?: string,
    options?: { cause?: unknown; status?: number; retryAfterS?: number },
  ) {
    super(
      detail ? `${code}: ${detail}` : code,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'GatewayError';
    this.code = code;
    this.status = options?.status ?? ERROR_CATALOGUE[code].status;
    this.detail = detail;
    this.retryAfterS = options?.retryAfterS;
  }

  get title(): string {
    return ERROR_CATALOGUE[this.code].title;
  }

  get fault(): Fault {
    return ERROR_CATALOGUE[this.code].fault;
  }
}

/** Turns anything thrown into a GatewayError; unknown errors become ERR_INTERNAL with no detail for the caller. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError('ERR_INTERNAL', undefined, { cause: error });
}
