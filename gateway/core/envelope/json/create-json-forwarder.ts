/**
 * The gateway's forwarded request in JSON (PROTOCOL.md §2): the consumer's request minimised to the fields the
 * policy permits, as a compact JWS (typ `forwarded-request+jwt`) signed by the gateway and valid for 60 s. The
 * exchange's `formats.json.signForwarded`; its XÖV twin is create-xoev-forwarder.ts.
 */
import { randomUUID } from 'node:crypto';
import { forwardedContentOf } from '../../exchange/forwarded-content.js';
import type { ForwardedRequestInput } from '../../exchange/types.js';
import type { Clock, Signer } from '../../ports.js';
import { signCompactJws } from '../sign-jws.js';
import { FORWARDED_REQUEST_TYP } from '../verify-forwarded-request.js';

export interface JsonForwarderOptions {
  readonly signer: Signer;
  readonly clock: Clock;
  /** This gateway's participant id: the `iss` of what it forwards. */
  readonly gatewayId: string;
  /** Fresh `jti` values; default crypto.randomUUID. */
  readonly newId?: () => string;
}

export type JsonForwarder = (input: ForwardedRequestInput) => Promise<string>;

/** Lifetime of a forwarded request (`exp` − `iat`). */
const FORWARDED_LIFETIME_S = 60;

/**
 * Builds `signForwarded` for JSON providers: `iss` the gateway, `aud` the provider, `iat`/`exp`, a fresh `jti`,
 * then the forwarded content (exchange, consumer, evidence type, `subject.idnr`, purpose, legal basis, procedure,
 * actor, permitted fields, policy `id@version`). Resolves with the compact JWS the answer's requestDigest binds.
 */
export function createJsonForwarder(options: JsonForwarderOptions): JsonForwarder {
  const { signer, clock, gatewayId } = options;
  const newId = options.newId ?? randomUUID;
  return async (input) => {
    const nowS = Math.floor(clock.nowMs() / 1000);
    const { exchangeId, consumer, evidenceType, subjectIdnr, ...rest } = forwardedContentOf(input);
    return signCompactJws(signer, FORWARDED_REQUEST_TYP, {
      iss: gatewayId,
      aud: input.provider.id,
      iat: nowS,
      exp: nowS + FORWARDED_LIFETIME_S,
      jti: newId(),
      exchangeId,
      consumer,
      evidenceType,
      subject: { idnr: subjectIdnr },
      ...rest,
    });
  };
}
