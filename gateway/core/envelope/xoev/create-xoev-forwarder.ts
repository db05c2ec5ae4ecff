/**
 * The gateway's forwarded request in XÖV (PROTOCOL.md §2): the consumer's request minimised to the fields the
 * policy permits, as a `nachweisanfrage.weiterleitung.0102` signed by the gateway. The exchange's
 * `formats.xoev.signForwarded` (createXoevWireFormat).
 */
import { randomUUID } from 'node:crypto';
import { forwardedContentOf } from '../../exchange/forwarded-content.js';
import type { ForwardedRequestInput } from '../../exchange/types.js';
import type { Clock, Signer } from '../../ports.js';
import { buildXoevForwardedRequest } from './build-xoev.js';
import { signXoev } from './sign-xoev.js';
import { xmlAlgorithmOf } from './xmldsig-algorithms.js';

export interface XoevForwarderOptions {
  /** The gateway's signing key (ES256 → ecdsa-sha256, PS256 → RSA-PSS). */
  readonly signer: Signer;
  readonly clock: Clock;
  /** The gateway's display name in the header; default "Once-Only Gateway". */
  readonly gatewayName?: string;
  /** Fresh message ids; default crypto.randomUUID. */
  readonly newId?: () => string;
}

export type XoevForwarder = (input: ForwardedRequestInput) => Promise<string>;

/**
 * Builds `signForwarded` for XÖV providers: the gateway (autor) asks the provider (leser) for
 * `input.verdict.fields` of the request's subject, naming exchange, consumer, purpose, legal basis, procedure,
 * actor and policy `id@version`; the consumer's `test` marking is carried over. Resolves with the signed
 * document, whose exact text is what the answer's anfrageDigest must hash. The factory throws TypeError if the
 * signer's key has no XMLDSig algorithm in the profile (EdDSA).
 */
export function createXoevForwarder(options: XoevForwarderOptions): XoevForwarder {
  const { signer, clock } = options;
  xmlAlgorithmOf(signer);
  const newId = options.newId ?? randomUUID;
  const gateway = { id: signer.participantId, name: options.gatewayName ?? 'Once-Only Gateway' };
  return async (input) => {
    const xml = buildXoevForwardedRequest(
      {
        messageId: newId(),
        issuedAtMs: clock.nowMs(),
        autor: gateway,
        leser: { id: input.provider.id, name: input.provider.name },
        test: input.request.test === true,
      },
      forwardedContentOf(input),
    );
    return signXoev(signer, xml);
  };
}
