/**
 * The trust store (DESIGN.md "trust"; PROTOCOL.md §1a `kid`, §6 ERR_TRUST_*): participants, their certificates,
 * chains to the configured anchors, revocation by CRL, key rotation, and key lookup by `kid`.
 *
 * What does not change while the gateway runs (signatures along the chain, CRL listings) is checked once, when the
 * store is built. What does change (validity periods, CRL freshness) is checked on every lookup against the Clock.
 */
import { X509Certificate } from 'node:crypto';
import { GatewayError } from '../errors.js';
import { isKid, isParticipantId } from '../ids.js';
import type { Clock, Endpoint, Participant, ResolvedKey, Role, TrustStore } from '../ports.js';
import {
  KEY_USAGE,
  kidOf,
  participantIdOf,
  readCertificateFacts,
  type CertificateFacts,
} from './read-certificate.js';
import { normaliseSerial, readCrl, verifyCrlSignature, type ParsedCrl } from './read-crl.js';
import { readPemBlocks } from './read-pem.js';
import type { ParticipantMaterial, TrustMaterial } from './trust-material.js';

const ROLES: readonly Role[] = ['consumer', 'provider', 'gateway'];
const ENDPOINT_KINDS: readonly Endpoint['kind'][] = ['http-json', 'http-xoev'];
/** Longest chain followed from a leaf to an anchor (leaf, intermediates, anchor). */
const MAX_CHAIN_LENGTH = 8;
const EVIDENCE_TYPE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

interface CaCertificate {
  readonly cert: X509Certificate;
  readonly facts: CertificateFacts;
  readonly anchor: boolean;
  readonly crls: ParsedCrl[];
}

interface KeyEntry {
  readonly resolved: ResolvedKey;
  /** Why the certificate can never be trusted (bad chain, revoked), or undefined. */
  readonly defect: string | undefined;
  /** Validity periods of the leaf and every CA certificate up to the anchor. */
  readonly periods: readonly { readonly notBeforeMs: number; readonly notAfterMs: number }[];
  /** nextUpdate of the newest CRL of each issuer along the chain that has one. */
  readonly crlDeadlinesMs: readonly number[];
}

function parseCertificates(pem: string, what: string): X509Certificate[] {
  const blocks = readPemBlocks(pem, 'CERTIFICATE', what);
  if (blocks.length === 0) throw new Error(`${what}: no CERTIFICATE PEM block`);
  return blocks.map((der) => {
    try {
      return new X509Certificate(der);
    } catch (error) {
      throw new Error(`${what}: not a readable X.509 certificate`, { cause: error });
    }
  });
}

function hasUsage(facts: CertificateFacts, usage: number): boolean {
  return facts.keyUsage === undefined || (facts.keyUsage & usage) !== 0;
}

function loadCaCertificates(pems: readonly string[], anchor: boolean): CaCertificate[] {
  const kind = anchor ? 'trust anchor' : 'intermediate CA';
  return pems.flatMap((pem, i) =>
    parseCertificates(pem, `${kind} #${i + 1}`).map((cert) => {
      const facts = readCertificateFacts(cert);
      if (!cert.ca) throw new Error(`${kind} "${facts.subject}" is not a CA certificate (basicConstraints)`);
      if (!hasUsage(facts, KEY_USAGE.keyCertSign)) {
        throw new Error(`${kind} "${facts.subject}" may not sign certificates (keyUsage)`);
      }
      return { cert, facts, anchor, crls: [] };
    }),
  );
}

/** Attaches each CRL to the CA that signed it; a CRL without a verifying, configured issuer is a load error. */
function attachCrls(crls: TrustMaterial['crls'], cas: readonly CaCertificate[]): void {
  crls.forEach((input, i) => {
    const what = `CRL #${i + 1}`;
    const crl = readCrl(input, what);
    const named = cas.filter((ca) => ca.facts.subject === crl.issuer);
    if (named.length === 0) throw new Error(`${what}: its issuer "${crl.issuer}" is not a configured CA`);
    const signer = named.find((ca) => verifyCrlSignature(crl, ca.cert.publicKey));
    if (!signer) throw new Error(`${what}: its signature does not verify with the key of "${crl.issuer}"`);
    if (!hasUsage(signer.facts, KEY_USAGE.cRLSign))
      throw new Error(`${what}: its issuer may not sign CRLs (keyUsage)`);
    signer.crls.push(crl);
  });
}

function findIssuer(cert: X509Certificate, cas: readonly CaCertificate[]): CaCertificate | undefined {
  return cas.find((ca) => {
    try {
      return cert.checkIssued(ca.cert) && cert.verify(ca.cert.publicKey);
    } catch {
      return false;
    }
  });
}

/** Builds the chain of a participant certificate and checks its revocation status (RFC 5280 §6.1, simplified). */
function assessCertificate(
  cert: X509Certificate,
  facts: CertificateFacts,
  cas: readonly CaCertificate[],
): Omit<KeyEntry, 'resolved'> {
  const periods: { notBeforeMs: number; notAfterMs: number }[] = [facts];
  const crlDeadlinesMs: number[] = [];
  if (!hasUsage(facts, KEY_USAGE.digitalSignature)) {
    return { defect: 'certificate key usage does not permit signing', periods, crlDeadlinesMs };
  }
  let current = cert;
  for (let length = 1; length < MAX_CHAIN_LENGTH; length++) {
    const issuer = findIssuer(current, cas);
    if (!issuer) return { defect: 'certificate not chained to a trust anchor', periods, crlDeadlinesMs };
    periods.push(issuer.facts);
    const serial = normaliseSerial(current.serialNumber);
    if (issuer.crls.some((crl) => crl.revoked.has(serial))) {
      return { defect: 'certificate revoked', periods, crlDeadlinesMs };
    }
    const newest = issuer.crls.reduce<ParsedCrl | undefined>(
      (best, crl) => (best === undefined || crl.thisUpdateMs > best.thisUpdateMs ? crl : best),
      undefined,
    );
    if (newest?.nextUpdateMs !== undefined) crlDeadlinesMs.push(newest.nextUpdateMs);
    if (issuer.anchor) return { defect: undefined, periods, crlDeadlinesMs };
    current = issuer.cert;
  }
  return { defect: 'certificate chain too long', periods, crlDeadlinesMs };
}

function checkStrings(value: unknown, what: string, test: (s: string) => boolean): readonly string[] {
  if (!Array.isArray(value) || !value.every((s): s is string => typeof s === 'string' && test(s))) {
    throw new Error(`${what} must be a list of valid strings`);
  }
  if (new Set(value).size !== value.length) throw new Error(`${what} lists a value twice`);
  return Object.freeze([...value]);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === ''
    );
  } catch {
    return false;
  }
}

const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/**
 * A callback URL the gateway may call: https, or http to a loopback host (demo receivers on this machine); no
 * credentials (they would end up in logs) and no fragment.
 */
export function isCallbackUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname));
}

/** Validates a participant's registry entry and freezes it as the Participant the ports hand out. */
function toParticipant(material: ParticipantMaterial): Participant {
  const what = `participant ${material.id}`;
  if (typeof material.name !== 'string' || material.name.trim() === '')
    throw new Error(`${what}: name missing`);
  const roles = checkStrings(material.roles, `${what}: roles`, (r) =>
    (ROLES as readonly string[]).includes(r),
  );
  if (roles.length === 0) throw new Error(`${what}: roles must not be empty`);
  const evidenceTypes = checkStrings(material.evidenceTypes, `${what}: evidenceTypes`, (t) =>
    EVIDENCE_TYPE.test(t),
  );
  if (evidenceTypes.length > 0 && !roles.includes('provider')) {
    throw new Error(`${what}: evidenceTypes are only for participants with role "provider"`);
  }
  let endpoint: Endpoint | undefined;
  if (material.endpoint !== undefined) {
    const { kind, url } = material.endpoint;
    if (!ENDPOINT_KINDS.includes(kind))
      throw new Error(`${what}: endpoint kind must be one of ${ENDPOINT_KINDS}`);
    if (typeof url !== 'string' || !isHttpUrl(url))
      throw new Error(`${what}: endpoint url must be an http(s) URL`);
    endpoint = Object.freeze({ kind, url });
  }
  const returnUrls =
    material.returnUrls === undefined
      ? undefined
      : checkStrings(material.returnUrls, `${what}: returnUrls`, isHttpUrl);
  if (material.callbackUrl !== undefined) {
    if (typeof material.callbackUrl !== 'string' || !isCallbackUrl(material.callbackUrl)) {
      throw new Error(
        `${what}: callbackUrl must be an https URL (http only to localhost or 127.0.0.1) without credentials`,
      );
    }
    if (!roles.includes('consumer')) throw new Error(`${what}: callbackUrl is only for consumers`);
  }
  return Object.freeze({
    id: material.id,
    name: material.name,
    roles: roles as readonly Role[],
    evidenceTypes,
    ...(endpoint ? { endpoint } : {}),
    ...(returnUrls ? { returnUrls } : {}),
    ...(material.callbackUrl === undefined ? {} : { callbackUrl: material.callbackUrl }),
  });
}

/**
 * Builds the TrustStore port from trust material (DESIGN.md "trust"; RFC 5280 §6 path validation, simplified:
 * no policy or name constraints, no path length constraint; revocation by the CRLs given, and a certificate whose
 * issuer has no CRL configured is not revocation-checked).
 *
 * Throws a plain Error (a configuration error, not a request refusal) naming the participant when material is
 * unusable: bad PEM, a certificate whose subject serialNumber is not the id it is listed under, a certificate
 * listed twice, duplicate participant ids, invalid roles/endpoint, a CRL that does not parse or verify.
 * The returned store's keyByKid throws GatewayError ERR_TRUST_UNKNOWN_SENDER / ERR_TRUST_CERT (PROTOCOL.md §6).
 */
export function createTrustStore(input: TrustMaterial, clock: Clock): TrustStore {
  const cas = [...loadCaCertificates(input.anchors, true), ...loadCaCertificates(input.intermediates, false)];
  if (!cas.some((ca) => ca.anchor)) throw new Error('trust material: no trust anchor');
  attachCrls(input.crls, cas);

  const participants = new Map<string, Participant>();
  const byKid = new Map<string, KeyEntry>();
  const byParticipant = new Map<string, KeyEntry[]>();

  for (const material of input.participants) {
    if (!isParticipantId(material.id))
      throw new Error(`participant id ${JSON.stringify(material.id)} is invalid`);
    if (participants.has(material.id)) throw new Error(`participant ${material.id} is listed twice`);
    participants.set(material.id, toParticipant(material));
    const entries: KeyEntry[] = [];
    if (!Array.isArray(material.certificates) || material.certificates.length === 0) {
      throw new Error(`participant ${material.id}: no certificates`);
    }
    material.certificates.forEach((pem, i) => {
      const what = `participant ${material.id}, certificate #${i + 1}`;
      const certs = parseCertificates(pem, what);
      const cert = certs[0];
      if (certs.length !== 1 || !cert) throw new Error(`${what}: expected exactly one certificate`);
      const kid = kidOf(cert);
      const named = participantIdOf(cert);
      if (named !== material.id) {
        throw new Error(
          `${what} (kid ${kid}) names ${named ?? 'no participant'} in its subject serialNumber`,
        );
      }
      if (byKid.has(kid)) throw new Error(`${what} (kid ${kid}) is listed twice`);
      const facts = readCertificateFacts(cert);
      const resolved: ResolvedKey = Object.freeze({
        kid,
        participantId: material.id,
        publicKey: cert.publicKey,
        certificate: cert,
      });
      const entry: KeyEntry = { resolved, ...assessCertificate(cert, facts, cas) };
      byKid.set(kid, entry);
      entries.push(entry);
    });
    byParticipant.set(material.id, entries);
  }

  const providers = new Map<string, Participant[]>();
  for (const participant of participants.values()) {
    if (!participant.roles.includes('provider')) continue;
    for (const type of participant.evidenceTypes)
      providers.set(type, [...(providers.get(type) ?? []), participant]);
  }
  const allParticipants = Object.freeze([...participants.values()]);

  /** Why the key cannot be used at `nowMs`, or undefined if it can. */
  function problemAt(entry: KeyEntry, nowMs: number): string | undefined {
    if (entry.defect) return entry.defect;
    for (const period of entry.periods) {
      if (nowMs < period.notBeforeMs) return 'certificate not yet valid';
      if (nowMs > period.notAfterMs) return 'certificate expired';
    }
    if (entry.crlDeadlinesMs.some((deadline) => nowMs > deadline)) return 'revocation list out of date';
    return undefined;
  }

  return {
    participant: (id) => participants.get(id),
    participants: () => allParticipants,
    keyByKid(kid) {
      if (!isKid(kid)) throw new GatewayError('ERR_TRUST_UNKNOWN_SENDER', 'kid malformed');
      const entry = byKid.get(kid);
      if (!entry) throw new GatewayError('ERR_TRUST_UNKNOWN_SENDER', 'no participant holds this kid');
      const problem = problemAt(entry, clock.nowMs());
      if (problem) throw new GatewayError('ERR_TRUST_CERT', problem);
      return entry.resolved;
    },
    keysOf(participantId) {
      const nowMs = clock.nowMs();
      return (byParticipant.get(participantId) ?? [])
        .filter((entry) => problemAt(entry, nowMs) === undefined)
        .map((entry) => entry.resolved);
    },
    providerFor(evidenceType) {
      const found = providers.get(evidenceType);
      return found?.length === 1 ? found[0] : undefined;
    },
  };
}
