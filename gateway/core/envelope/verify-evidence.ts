/**
 * Checking the provider's answer (PROTOCOL.md §1c `evidence`; DESIGN.md exchange step 10): its signature, its
 * binding to the request the gateway forwarded, its schema, and that it holds no field beyond the permitted ones.
 * Every failure is the provider's fault: ERR_PROVIDER_RESPONSE (502), never a client code.
 */
import claimsSchema from '../../../schemas/evidence.claims.schema.json' with { type: 'json' };
import geburtsurkunde from '../../../schemas/evidence/geburtsurkunde.schema.json' with { type: 'json' };
import meldebescheinigung from '../../../schemas/evidence/meldebescheinigung.schema.json' with { type: 'json' };
import { sha256b64u } from '../encoding.js';
import { GatewayError } from '../errors.js';
import type { Clock, ResolvedKey, TrustStore } from '../ports.js';
import { compileSchema, type SchemaCheck } from './compile-schema.js';
import { assertAlgorithms, verifyCompactJws, SUPPORTED_ALGORITHMS, type JwsAlgorithm } from './verify-jws.js';

export const EVIDENCE_TYP = 'evidence+jwt';

/** The evidence data schemas of the demo evidence types (PROTOCOL.md §7), keyed by evidence type. */
export const DEFAULT_EVIDENCE_SCHEMAS: Readonly<Record<string, object>> = Object.freeze({
  meldebescheinigung,
  geburtsurkunde,
});

export interface EvidenceClaims {
  readonly iss: string;
  readonly iat?: number;
  readonly jti?: string;
  readonly exchangeId: string;
  readonly requestDigest: string;
  readonly evidenceType: string;
  readonly subject: { readonly idnr: string };
  readonly data: Readonly<Record<string, unknown>>;
}

/** What the gateway expects of the answer to the request it forwarded. */
export interface ExpectedEvidence {
  readonly provider: string;
  readonly exchangeId: string;
  /** requestDigest() of the forwarded compact JWS. */
  readonly requestDigest: string;
  readonly evidenceType: string;
  readonly subjectIdnr: string;
  /** The fields the policy permits; `data` may hold these and no other. */
  readonly permittedFields: readonly string[];
}

export interface VerifiedEvidence {
  /** The provider's compact JWS exactly as received (released to the consumer as is). */
  readonly token: string;
  readonly claims: EvidenceClaims;
  readonly data: Readonly<Record<string, unknown>>;
  /** base64url SHA-256 of `token`: the transfer log's `evidenceDigest`. */
  readonly digest: string;
  readonly key: ResolvedKey;
}

export interface EvidenceVerifierOptions {
  readonly trust: TrustStore;
  readonly clock: Clock;
  /** Default: ES256, PS256, EdDSA. */
  readonly algorithms?: readonly JwsAlgorithm[];
  /** JSON Schema of `data` per evidence type; default DEFAULT_EVIDENCE_SCHEMAS. */
  readonly evidenceSchemas?: Readonly<Record<string, object>>;
  /** An optional `iat` may lie at most this far in the future (seconds); default 60. */
  readonly skewSeconds?: number;
  /** Longest token in characters; default 1 MiB (evidence can be larger than a request). */
  readonly maxLength?: number;
}

export type EvidenceVerifier = (token: string, expected: ExpectedEvidence) => Promise<VerifiedEvidence>;

function refuse(detail: string): GatewayError {
  return new GatewayError('ERR_PROVIDER_RESPONSE', detail);
}

/**
 * Builds the verifier of providers' JSON evidence (PROTOCOL.md §1c, §2). Order: envelope (typ `evidence+jwt`,
 * key via trust.keyByKid) → key owner = `iss` = expected provider, holding role `provider` for this evidence
 * type → optional `iat` an integer not in the future → claims schema (schemas/evidence.claims.schema.json) →
 * binding: exchangeId, requestDigest, evidenceType, subject.idnr equal the expected ones → every `data` member
 * is a permitted field (over-sharing is refused, not trimmed) → `data` valid against its evidence type's schema.
 * Throws ERR_PROVIDER_RESPONSE for every failure (detail names the step, e.g. `envelope ERR_SIG_INVALID`);
 * the factory throws TypeError / ajv errors on bad options or schemas.
 */
export function createEvidenceVerifier(options: EvidenceVerifierOptions): EvidenceVerifier {
  const { trust, clock } = options;
  const algorithms = options.algorithms ?? SUPPORTED_ALGORITHMS;
  assertAlgorithms(algorithms);
  const skewSeconds = options.skewSeconds ?? 60;
  const checkClaims = compileSchema(claimsSchema);
  const dataChecks = new Map<string, SchemaCheck>();
  for (const [type, schema] of Object.entries(options.evidenceSchemas ?? DEFAULT_EVIDENCE_SCHEMAS)) {
    dataChecks.set(type, compileSchema(schema));
  }
  const jwsOptions = {
    typ: EVIDENCE_TYP,
    algorithms,
    resolveKey: (header: { kid: string }) => trust.keyByKid(header.kid),
    maxLength: options.maxLength ?? 1_048_576,
  };

  return async (token, expected) => {
    let verified;
    try {
      verified = await verifyCompactJws(token, jwsOptions);
    } catch (error) {
      if (error instanceof GatewayError) {
        throw new GatewayError('ERR_PROVIDER_RESPONSE', `envelope ${error.code}`, { cause: error });
      }
      throw error;
    }
    const { payload, key } = verified;

    if (key.participantId !== expected.provider || payload.iss !== expected.provider) {
      throw refuse('signed by another participant than the provider');
    }
    const provider = trust.participant(expected.provider);
    if (
      provider === undefined ||
      !provider.roles.includes('provider') ||
      !provider.evidenceTypes.includes(expected.evidenceType)
    ) {
      throw refuse('signer is not a provider of this evidence type');
    }
    if (payload.iat !== undefined) {
      if (typeof payload.iat !== 'number' || !Number.isSafeInteger(payload.iat))
        throw refuse('/iat not an integer');
      if (payload.iat > clock.nowMs() / 1000 + skewSeconds) throw refuse('/iat in the future');
    }
    const schemaDetail = checkClaims(payload);
    if (schemaDetail !== undefined) throw refuse(`claims ${schemaDetail}`);
    const claims = payload as unknown as EvidenceClaims;

    if (claims.exchangeId !== expected.exchangeId) throw refuse('exchangeId does not match');
    if (claims.requestDigest !== expected.requestDigest) throw refuse('requestDigest does not match');
    if (claims.evidenceType !== expected.evidenceType) throw refuse('evidenceType does not match');
    if (claims.subject.idnr !== expected.subjectIdnr) throw refuse('subject does not match');

    const permitted = new Set(expected.permittedFields);
    for (const field of Object.keys(claims.data)) {
      if (!permitted.has(field)) throw refuse('data holds a field that is not permitted');
    }
    const checkData = dataChecks.get(expected.evidenceType);
    if (checkData === undefined) throw refuse('no schema for this evidence type');
    const dataDetail = checkData(claims.data);
    if (dataDetail !== undefined) throw refuse(`data ${dataDetail}`);

    return { token, claims, data: claims.data, digest: sha256b64u(token), key };
  };
}
