/**
 * Opening a signed XÖV message (PROTOCOL.md §1b; DESIGN.md exchange steps 2–5; SECURITY.md "XML signatures"
 * and "XML parsing"): the one pipeline behind the request reader, the provider's forwarded-request verifier,
 * the gateway's evidence verifier and the offline explanation. Order and codes:
 *
 *  1. gate: size, depth, attribute and element limits, XML declaration (UTF-8 only), no DOCTYPE, no PI, one
 *     root → ERR_TOO_LARGE, ERR_REQUEST_MALFORMED
 *  2. parse (libxml2, namespace-well-formed, a prefix names one namespace) → ERR_REQUEST_MALFORMED
 *  3. signature profile (one ds:Signature, one SignedInfo, no comments in it, one Reference URI="", allowed
 *     transforms and algorithms) → ERR_REQUEST_MALFORMED, ERR_SIG_INVALID
 *  4. sender: `autor` as claimed selects the keys; it must be a DVDV participant id the trust store knows
 *     → ERR_SCHEMA (no autor), ERR_IDENTIFIER, ERR_TRUST_UNKNOWN_SENDER, ERR_TRUST_SENDER_MISMATCH (not the
 *     expected sender)
 *  5. signature: xml-crypto with each valid key of `autor` → ERR_SIG_INVALID. When none verifies, KeyInfo
 *     (never used to accept) names the reason: ERR_TRUST_CERT (autor has no valid key, or KeyInfo's
 *     certificate is one the trust store refuses: expired, revoked), ERR_TRUST_SENDER_MISMATCH (the signature
 *     verifies with the key KeyInfo names, which another participant owns), ERR_TRUST_UNKNOWN_SENDER (KeyInfo's
 *     certificate is unknown). A refusal costs at most one signature check beyond autor's own keys: other
 *     participants' keys are never tried in turn, so a garbage message cannot buy one check per participant.
 *  6. role: `autor` holds the expected role → ERR_TRUST_SENDER_MISMATCH. From here the sender is authenticated.
 *  7. the signed content (xml-crypto's canonical output of what the Reference covered) is parsed again by
 *     libxml2; everything below reads only that: message type, header (autor again, leser), time, content
 *  8. message type (root element) → ERR_SCHEMA; leser = this participant → ERR_AUTH (signed for someone else)
 *  9. erstellungszeitpunkt with a time zone, not in the future beyond skew, not older than maxAge → ERR_STALE
 * 10. identifiers in the content (IDNr check digit, participant ids) → ERR_IDENTIFIER
 * 11. XSD → ERR_SCHEMA; then nachrichtentyp code/listURI/listVersionID, no xsi:* attributes, a canonical UUID
 *     → ERR_SCHEMA
 * Every refusal after step 2 is an EnvelopeError carrying what the message claimed (for the refusal's log).
 */
import { GatewayError } from '../../errors.js';
import { isParticipantId, isUuid, isValidIdnr } from '../../ids.js';
import type { Clock, ResolvedKey, Role, TrustStore } from '../../ports.js';
import { attachClaimed, pickClaimedValues, type ClaimedValues } from '../envelope-error.js';
import {
  checkSignatureProfile,
  type SignatureAllowList,
  type SignatureProfile,
} from './check-signature-profile.js';
import { gateXml, type XmlGateLimits } from './gate-xml.js';
import { parseXml, type XoevSchemas } from './parse-xml.js';
import { parseXsDateTime, readXoevHeader, type XoevHeader, type XoevParty } from './read-header.js';
import { prepareXmlDsig, verifyXmlDsig, type XmlDsigInput } from './verify-xmldsig.js';
import { verifyXmlBytes } from './xmldsig-algorithms.js';
import { SignedXml } from 'xml-crypto';
import { attrOf, childText, descendants, onlyChild, type XmlEl } from './xml-tree.js';
import {
  DVDV,
  ENVELOPED_SIGNATURE,
  EXC_C14N,
  NACHRICHTENTYP_LIST_URI,
  NACHRICHTENTYP_LIST_VERSION,
  NACHWEIS_NS,
  XOEV_MESSAGE_TYPES,
  XSI_NS,
  messageTypeOfElement,
  type XoevMessageType,
} from './xoev-constants.js';

/** The steps of the pipeline above, as openSignedXoev reports them to `onStep`. */
export type XoevStep =
  | 'gate'
  | 'parse'
  | 'signature-profile'
  | 'sender'
  | 'signature'
  | 'role'
  | 'signed-content'
  | 'message-type'
  | 'leser'
  | 'freshness'
  | 'identifiers'
  | 'schema';

export const XOEV_STEPS: readonly XoevStep[] = [
  'gate',
  'parse',
  'signature-profile',
  'sender',
  'signature',
  'role',
  'signed-content',
  'message-type',
  'leser',
  'freshness',
  'identifiers',
  'schema',
];

export interface OpenXoevOptions {
  readonly trust: TrustStore;
  readonly schemas: XoevSchemas;
  readonly limits: XmlGateLimits;
  readonly allow: SignatureAllowList;
  /** Accepted message types. */
  readonly types: readonly XoevMessageType[];
  /** Roles of which `autor` must hold one. */
  readonly roles: readonly Role[];
  /** If set, `autor` must be this participant (the provider an answer is expected from). */
  readonly autor?: string;
  /** This participant's id; `leser` must equal it. Unset: not checked (offline explanation). */
  readonly self?: string;
  /** Unset: erstellungszeitpunkt is not checked against time (offline explanation). */
  readonly clock?: Clock;
  /** Unset: only "not in the future" is checked (answers). */
  readonly maxAgeSeconds?: number;
  readonly skewSeconds: number;
  /** Called after each step that passed (the offline explanation lists them). */
  readonly onStep?: (step: XoevStep) => void;
}

export interface OpenedXoev {
  readonly type: XoevMessageType;
  /** The header as read from the signed content: every part present and checked. */
  readonly header: XoevHeader & {
    readonly autor: XoevParty & { id: string };
    readonly leser: XoevParty & { id: string };
  };
  /** nachrichtenUUID, lower case. */
  readonly messageId: string;
  readonly issuedAtMs: number;
  /** The root attribute `test` is present. */
  readonly test: boolean;
  /** `oog:nachrichteninhalt` of the signed content (schema-valid). */
  readonly content: XmlEl;
  /** The key that verified the signature; its owner is `autor`. */
  readonly key: ResolvedKey;
  /** The canonical XML the signature covers. */
  readonly signedContent: string;
  readonly profile: SignatureProfile;
}

/** The loggable claims of a message (unauthenticated until the signature verified). */
function claimedOf(root: XmlEl, header: XoevHeader | undefined): ClaimedValues {
  const content = onlyChild(root, NACHWEIS_NS, 'nachrichteninhalt');
  const text = (name: string) => childText(content, NACHWEIS_NS, name);
  return pickClaimedValues({
    iss: header?.autor.id,
    aud: header?.leser.id,
    jti: header?.nachrichtenUUID?.toLowerCase(),
    evidenceType: text('nachweistyp'),
    purpose: text('zweck'),
    provider: text('nachweislieferant'),
    exchangeId: text('vorgangID'),
  });
}

/** A G2G party must name its directory; only DVDV ids are participant ids. */
function participantIdOf(
  party: XoevParty | undefined,
  form: XoevHeader['form'] | undefined,
): string | undefined {
  if (party?.id === undefined) return undefined;
  if (form !== 'xinneres' && party.verzeichnisdienst !== DVDV) return undefined;
  return isParticipantId(party.id) ? party.id : undefined;
}

/**
 * Which of `keys` the signature verifies with, if any: one xml-crypto pass (digest, then SignatureValue tried
 * against each key in turn). Used only on the refusal path, to say why; never to accept a message.
 */
function whichKeyVerifies(input: XmlDsigInput, keys: readonly ResolvedKey[]): ResolvedKey | undefined {
  if (keys.length === 0) return undefined;
  const algorithm = input.profile.signatureAlgorithm;
  let found: ResolvedKey | undefined;
  class AnyOfKeys {
    getSignature(): string {
      throw new Error('verification only');
    }
    verifySignature(material: string, _key: unknown, value: string): boolean {
      found = keys.find((k) => verifyXmlBytes(algorithm, material, k.publicKey, value));
      return found !== undefined;
    }
    getAlgorithmName(): string {
      return algorithm;
    }
  }
  const verifier = new SignedXml({ publicCert: keys[0]!.publicKey, getCertFromKeyInfo: () => null });
  verifier.SignatureAlgorithms = { [algorithm]: AnyOfKeys as never };
  verifier.CanonicalizationAlgorithms = {
    [EXC_C14N]: verifier.CanonicalizationAlgorithms[EXC_C14N]!,
    [ENVELOPED_SIGNATURE]: verifier.CanonicalizationAlgorithms[ENVELOPED_SIGNATURE]!,
  };
  try {
    verifier.loadSignature(input.signature);
    return verifier.checkSignature(input.text) === true ? found : undefined;
  } catch {
    return undefined;
  }
}

/** Why a signature that no key of `autor` verifies was refused. Always throws. */
function refuseUnverified(
  input: XmlDsigInput,
  autor: string,
  autorKeys: readonly ResolvedKey[],
  options: OpenXoevOptions,
): never {
  const { trust } = options;
  const hint = input.profile.keyHintKid;
  let hintUnknown = false;
  if (hint !== undefined) {
    let hinted: ResolvedKey | undefined;
    try {
      hinted = trust.keyByKid(hint);
    } catch (error) {
      // KeyInfo names a certificate the trust store knows but refuses (expired, revoked, unchained).
      if (error instanceof GatewayError && error.code === 'ERR_TRUST_CERT') throw error;
      hintUnknown = true;
    }
    if (hinted !== undefined && hinted.participantId !== autor && whichKeyVerifies(input, [hinted])) {
      throw new GatewayError('ERR_TRUST_SENDER_MISMATCH', 'autor is not the owner of the signing key');
    }
  }
  if (autorKeys.length === 0) throw new GatewayError('ERR_TRUST_CERT', 'autor has no valid certificate');
  if (hintUnknown)
    throw new GatewayError('ERR_TRUST_UNKNOWN_SENDER', 'the certificate in KeyInfo is not registered');
  throw new GatewayError('ERR_SIG_INVALID', 'the signature does not verify with the key of autor');
}

function checkContentIdentifiers(content: XmlEl | undefined): void {
  const idnr = childText(onlyChild(content, NACHWEIS_NS, 'person'), NACHWEIS_NS, 'idnr');
  if (idnr !== undefined && !isValidIdnr(idnr))
    throw new GatewayError('ERR_IDENTIFIER', 'person/idnr not a valid IDNr');
  for (const name of ['nachweislieferant', 'nachweisempfaenger']) {
    const id = childText(content, NACHWEIS_NS, name);
    if (id !== undefined && !isParticipantId(id)) {
      throw new GatewayError('ERR_IDENTIFIER', `${name} not a participant id`);
    }
  }
}

function stale(detail: string): GatewayError {
  return new GatewayError('ERR_STALE', detail);
}

/**
 * Opens a signed XÖV message under the steps in this file's header comment and returns what it says, read from
 * the signed content only. Throws GatewayError (EnvelopeError once the message could be parsed) with the codes
 * listed there; `authenticated` on the EnvelopeError is true once the signature and the sender's role passed.
 */
export function openSignedXoev(input: string, options: OpenXoevOptions): OpenedXoev {
  const step = options.onStep ?? (() => undefined);
  const text = gateXml(input, options.limits);
  step('gate');
  const raw = parseXml(text);
  step('parse');

  const claimed = claimedOf(raw, readXoevHeader(raw));
  let authenticated = false;
  try {
    const profile = checkSignatureProfile(raw, options.allow);
    step('signature-profile');

    const rawHeader = readXoevHeader(raw);
    if (rawHeader?.autor.id === undefined) throw new GatewayError('ERR_SCHEMA', 'the header names no autor');
    const autor = participantIdOf(rawHeader.autor, rawHeader.form);
    if (autor === undefined) throw new GatewayError('ERR_IDENTIFIER', 'autor is not a DVDV participant id');
    if (options.autor !== undefined && autor !== options.autor) {
      throw new GatewayError('ERR_TRUST_SENDER_MISMATCH', 'autor is not the expected participant');
    }
    const participant = options.trust.participant(autor);
    if (participant === undefined)
      throw new GatewayError('ERR_TRUST_UNKNOWN_SENDER', 'autor is not a participant');
    step('sender');

    const prepared = prepareXmlDsig(text, profile);
    const autorKeys = options.trust.keysOf(autor);
    let key: ResolvedKey | undefined;
    let signedContent: string | undefined;
    for (const candidate of autorKeys) {
      signedContent = verifyXmlDsig(prepared, candidate.publicKey);
      if (signedContent !== undefined) {
        key = candidate;
        break;
      }
    }
    if (key === undefined || signedContent === undefined)
      refuseUnverified(prepared, autor, autorKeys, options);
    step('signature');

    if (!options.roles.some((role) => participant.roles.includes(role))) {
      throw new GatewayError(
        'ERR_TRUST_SENDER_MISMATCH',
        `autor does not hold the ${options.roles.join('/')} role`,
      );
    }
    authenticated = true;
    step('role');

    // From here on only the signed content is read.
    const { tree, schemaError } = options.schemas.parseAndValidate(signedContent);
    const header = readXoevHeader(tree);
    if (header === undefined || participantIdOf(header.autor, header.form) !== autor) {
      throw new GatewayError('ERR_TRUST_SENDER_MISMATCH', 'the signed autor is not the key owner');
    }
    step('signed-content');

    const type = tree.ns === NACHWEIS_NS ? messageTypeOfElement(tree.name) : undefined;
    if (type === undefined || !options.types.includes(type)) {
      throw new GatewayError(
        'ERR_SCHEMA',
        `not a ${options.types.map((t) => XOEV_MESSAGE_TYPES[t].element).join(' or ')}`,
      );
    }
    step('message-type');

    const leser = participantIdOf(header.leser, header.form);
    if (options.self !== undefined && leser !== options.self) {
      throw new GatewayError(
        'ERR_AUTH',
        'leser names another participant: the message is not addressed to this one',
      );
    }
    step('leser');

    const time = parseXsDateTime(header.erstellungszeitpunkt);
    if (time === undefined || !time.hasTimeZone) {
      throw stale('erstellungszeitpunkt missing or without time zone');
    }
    if (options.clock !== undefined) {
      const now = options.clock.nowMs();
      if (time.ms > now + options.skewSeconds * 1000) throw stale('erstellungszeitpunkt in the future');
      if (options.maxAgeSeconds !== undefined && now - time.ms > options.maxAgeSeconds * 1000) {
        throw stale('erstellungszeitpunkt too old');
      }
    }
    step('freshness');

    const content = onlyChild(tree, NACHWEIS_NS, 'nachrichteninhalt');
    checkContentIdentifiers(content);
    step('identifiers');

    if (schemaError !== undefined) throw schemaError;
    const spec = XOEV_MESSAGE_TYPES[type];
    const typ = header.nachrichtentyp;
    if (
      typ.code !== spec.code ||
      typ.listURI !== NACHRICHTENTYP_LIST_URI ||
      typ.listVersionID !== NACHRICHTENTYP_LIST_VERSION
    ) {
      throw new GatewayError('ERR_SCHEMA', 'nachrichtentyp does not match the message');
    }
    for (const el of descendants(tree)) {
      if (el.attrs.some((a) => a.ns === XSI_NS))
        throw new GatewayError('ERR_SCHEMA', 'xsi attributes are not accepted');
    }
    const messageId = header.nachrichtenUUID?.toLowerCase();
    if (!isUuid(messageId) || content === undefined || leser === undefined) {
      throw new GatewayError('ERR_SCHEMA', 'nachrichtenUUID is not an RFC 9562 UUID');
    }
    step('schema');

    return {
      type,
      header: { ...header, autor: { ...header.autor, id: autor }, leser: { ...header.leser, id: leser } },
      messageId,
      issuedAtMs: time.ms,
      test: attrOf(tree, 'test') !== undefined,
      content,
      key,
      signedContent,
      profile,
    };
  } catch (error) {
    throw attachClaimed(error, claimed, authenticated);
  }
}
