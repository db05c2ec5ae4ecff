/**
 * Checking a provider's JSON answer (PROTOCOL.md §1c, §2; DESIGN.md exchange step 10) as the exchange asks for
 * it: a signed JWS (`application/jose`) verified by createEvidenceVerifier against the request the gateway
 * forwarded. Every failure is the provider's: ERR_PROVIDER_RESPONSE (502). The exchange's
 * `formats.json.verifyAnswer`; its XÖV twin is create-xoev-evidence-verifier.ts.
 */
import type { ExpectedAnswer, VerifiedEvidence } from '../../exchange/types.js';
import { GatewayError } from '../../errors.js';
import type { ProviderAnswer } from '../../ports.js';
import { requestDigest } from '../digest.js';
import { createEvidenceVerifier, type EvidenceVerifierOptions } from '../verify-evidence.js';

export type JsonAnswerVerifier = (
  answer: ProviderAnswer,
  expected: ExpectedAnswer,
) => Promise<VerifiedEvidence>;

/**
 * Builds `verifyAnswer` for JSON providers: the media type is application/jose, then the evidence binds to the
 * exchange (exchangeId, requestDigest of the forwarded JWS, evidence type, subject) and holds only permitted
 * fields. Rejects with ERR_PROVIDER_RESPONSE; the factory throws TypeError on bad options.
 */
export function createJsonAnswerVerifier(options: EvidenceVerifierOptions): JsonAnswerVerifier {
  const verify = createEvidenceVerifier(options);
  return async (answer, { forwarded, input }) => {
    if (!/^application\/jose\b/i.test(answer.contentType)) {
      throw new GatewayError('ERR_PROVIDER_RESPONSE', 'the provider did not answer with a signed JWS');
    }
    const evidence = await verify(answer.body, {
      provider: input.provider.id,
      exchangeId: input.exchangeId,
      requestDigest: requestDigest(forwarded),
      evidenceType: input.request.evidenceType,
      subjectIdnr: input.request.subjectIdnr,
      permittedFields: [...input.verdict.fields],
    });
    return {
      token: evidence.token,
      digest: evidence.digest,
      fields: Object.keys(evidence.data),
      data: evidence.data,
    };
  };
}
