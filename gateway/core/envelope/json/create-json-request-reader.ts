/**
 * The exchange's reader for JSON (PROTOCOL.md §1a): a consumer's compact JWS verified by
 * createEvidenceRequestVerifier and turned into the format-neutral EvidenceRequest. Replay — (iss, jti) seen
 * once — is the exchange's job; the result carries `replayUntil` for it.
 */
import type { EvidenceRequest, RequestReader } from '../../exchange/types.js';
import {
  createEvidenceRequestVerifier,
  type EvidenceRequestVerifierOptions,
} from '../verify-evidence-request.js';

/**
 * Builds `formats.json.read`. Rejects with the codes of createEvidenceRequestVerifier (EnvelopeError with the
 * claimed values once the payload could be read); the factory throws TypeError on bad options.
 */
export function createJsonRequestReader(options: EvidenceRequestVerifierOptions): RequestReader {
  const verify = createEvidenceRequestVerifier(options);
  return async (body) => {
    const { claims, replayUntilMs } = await verify(body);
    return {
      format: 'json',
      consumer: claims.iss,
      messageId: claims.jti,
      issuedAt: claims.iat,
      replayUntil: Math.ceil(replayUntilMs / 1000),
      evidenceType: claims.evidenceType,
      provider: claims.provider,
      subjectIdnr: claims.subject.idnr,
      purpose: claims.purpose,
      procedure: claims.procedure,
      actor: claims.actor,
      consentId: claims.consentId,
      fields: claims.fields,
    } satisfies EvidenceRequest;
  };
}
