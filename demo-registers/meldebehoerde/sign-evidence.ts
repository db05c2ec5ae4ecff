/** The provider's answer (PROTOCOL.md §1c `evidence`): a compact JWS of typ `evidence+jwt`, bound to the request. */
import { randomUUID } from 'node:crypto';
import { requestDigest, signCompactJws } from '../../gateway/core/envelope/index.js';
import type { Signer } from '../../gateway/core/ports.js';

/** What a provider signs with: its participant id, its certificate's kid and the capability to sign (ports.ts). */
export interface EvidenceSigner {
  readonly participantId: string;
  readonly kid: string;
  readonly sign: Signer['sign'];
  /** Default ES256. */
  readonly alg?: Signer['alg'];
}

export interface EvidenceContent {
  readonly exchangeId: string;
  readonly evidenceType: string;
  readonly subject: { readonly idnr: string };
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * Signs evidence as the provider: header `{ alg, kid, typ: 'evidence+jwt' }`, payload `{ iss, iat, jti,
 * exchangeId, requestDigest, evidenceType, subject, data }` where requestDigest is the base64url SHA-256 of the
 * forwarded compact JWS's ASCII bytes. `nowMs` gives iat. Throws TypeError if `forwarded` is not ASCII.
 */
export async function signEvidence(
  signer: EvidenceSigner,
  forwarded: string,
  content: EvidenceContent,
  nowMs: number,
): Promise<string> {
  const payload = {
    iss: signer.participantId,
    iat: Math.floor(nowMs / 1000),
    jti: randomUUID(),
    exchangeId: content.exchangeId,
    requestDigest: requestDigest(forwarded),
    evidenceType: content.evidenceType,
    subject: { idnr: content.subject.idnr },
    data: content.data,
  };
  const jwsSigner = { alg: signer.alg ?? 'ES256', kid: signer.kid, sign: signer.sign } as const;
  return signCompactJws(jwsSigner, 'evidence+jwt', payload);
}
