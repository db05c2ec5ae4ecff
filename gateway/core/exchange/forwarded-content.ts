/**
 * What the gateway's forwarded request says in every wire format (PROTOCOL.md §2): the consumer's request
 * minimised to what the policy permits, with the exchange, legal basis and policy that allowed it. The JSON
 * forwarder writes it as JWS claims, the XÖV forwarder as a `nachweisanfrage.weiterleitung.0102`.
 */
import type { ForwardedRequestInput } from './types.js';

export interface ForwardedContent {
  readonly exchangeId: string;
  readonly consumer: string;
  readonly evidenceType: string;
  readonly subjectIdnr: string;
  readonly purpose: string;
  readonly legalBasis: string;
  readonly procedure: { readonly reference: string; readonly service?: string };
  readonly actor: string;
  /** The fields the policy permits (never more than the consumer asked for). */
  readonly fields: readonly string[];
  /** `id@version` of the permitting policy. */
  readonly policy: string;
}

/** The forwarded content of an exchange, in this order (the JSON claims keep it). */
export function forwardedContentOf({
  exchangeId,
  request,
  verdict,
}: ForwardedRequestInput): ForwardedContent {
  return {
    exchangeId,
    consumer: request.consumer,
    evidenceType: request.evidenceType,
    subjectIdnr: request.subjectIdnr,
    purpose: request.purpose,
    legalBasis: verdict.legalBasis,
    procedure: request.procedure,
    actor: request.actor,
    fields: verdict.fields,
    policy: `${verdict.policy.id}@${verdict.policy.version}`,
  };
}
