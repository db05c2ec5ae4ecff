/**
 * The signature profile of PROTOCOL.md §1b and SECURITY.md "XML signatures", checked on the parsed document
 * before xml-crypto sees it: exactly one enveloped ds:Signature, one SignedInfo, no comment inside the
 * signature, exactly one Reference with URI="" (the whole document), the transforms enveloped-signature then
 * exclusive c14n without comments, allow-listed SignatureMethod and DigestMethod. Anything else that a
 * signature could carry (ds:Object, a second Reference, an XPath or XSLT transform, InclusiveNamespaces,
 * HMACOutputLength, Manifest) is refused: it is how signature-wrapping attacks hide the signed data.
 */
import { sha256b64u } from '../../encoding.js';
import { GatewayError } from '../../errors.js';
import { isKid } from '../../ids.js';
import { descendants, elementsOf, hasComment, textOf, type XmlEl } from './xml-tree.js';
import {
  DSIG_NS,
  ENVELOPED_SIGNATURE,
  EXC_C14N,
  type XmlDigestAlgorithm,
  type XmlSignatureAlgorithm,
} from './xoev-constants.js';

export interface SignatureProfile {
  readonly signatureAlgorithm: XmlSignatureAlgorithm;
  readonly digestAlgorithm: XmlDigestAlgorithm;
  /**
   * The kid (x5t#S256) of the certificate in KeyInfo, or of a KeyName that is a kid. Never used to find the key
   * that verifies: only to say why a message that did not verify was refused (expired, revoked, someone else's).
   */
  readonly keyHintKid: string | undefined;
}

export interface SignatureAllowList {
  readonly signatureAlgorithms: readonly XmlSignatureAlgorithm[];
  readonly digestAlgorithms: readonly XmlDigestAlgorithm[];
}

const BASE64 = /^[A-Za-z0-9+/ \t\r\n]*={0,2}[ \t\r\n]*$/;

function malformed(detail: string): GatewayError {
  return new GatewayError('ERR_REQUEST_MALFORMED', detail);
}

function invalid(detail: string): GatewayError {
  return new GatewayError('ERR_SIG_INVALID', detail);
}

/** The element children of a ds element, refusing any non-whitespace text between them. */
function dsChildren(el: XmlEl): XmlEl[] {
  for (const child of el.children) {
    if (child.kind === 'text' && child.value.trim() !== '') throw invalid(`unexpected text in ds:${el.name}`);
    if (child.kind === 'pi') throw malformed('processing instruction inside the signature');
  }
  return elementsOf(el);
}

/** Checks that `el` has exactly the ds children `names`, in this order, and returns them. */
function expectChildren(el: XmlEl, names: readonly string[]): XmlEl[] {
  const children = dsChildren(el);
  if (children.length !== names.length || children.some((c, i) => c.ns !== DSIG_NS || c.name !== names[i])) {
    throw invalid(`ds:${el.name} must contain exactly ${names.map((n) => `ds:${n}`).join(', ')}`);
  }
  return children;
}

/** An element that may carry only the named unqualified attributes. */
function onlyAttributes(el: XmlEl, allowed: readonly string[]): void {
  for (const attr of el.attrs) {
    if (attr.ns !== '' || !allowed.includes(attr.name))
      throw invalid(`unexpected attribute on ds:${el.name}`);
  }
}

/** An algorithm element: one Algorithm attribute, no content. */
function algorithmOf(el: XmlEl): string {
  onlyAttributes(el, ['Algorithm']);
  if (dsChildren(el).length > 0) throw invalid(`ds:${el.name} must be empty`);
  const algorithm = el.attrs.find((a) => a.name === 'Algorithm')?.value;
  if (algorithm === undefined) throw invalid(`ds:${el.name} without Algorithm`);
  return algorithm;
}

function base64Text(el: XmlEl): string {
  const text = textOf(el);
  if (text === undefined || text.trim() === '' || !BASE64.test(text))
    throw invalid(`ds:${el.name} is not base64`);
  return text;
}

function keyHintOf(keyInfo: XmlEl | undefined): string | undefined {
  if (keyInfo === undefined) return undefined;
  for (const el of descendants(keyInfo)) {
    if (el.ns !== DSIG_NS) continue;
    const text = textOf(el)?.replace(/[ \t\r\n]/g, '');
    if (text === undefined || text === '') continue;
    if (el.name === 'X509Certificate' && /^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
      return sha256b64u(Buffer.from(text, 'base64'));
    }
    if (el.name === 'KeyName' && isKid(text)) return text;
  }
  return undefined;
}

/**
 * Checks the document's signature against the profile and returns its algorithms. Throws:
 * ERR_SIG_INVALID — no ds:Signature (unsigned), the signature not the last child of the root, any element or
 * attribute beyond the profile, a Reference URI other than "", a transform or algorithm not allowed;
 * ERR_REQUEST_MALFORMED — more than one ds:Signature or ds:SignedInfo anywhere, a comment or processing
 * instruction inside the signature (framing the gate refuses outright, PROTOCOL.md §1b).
 */
export function checkSignatureProfile(root: XmlEl, allow: SignatureAllowList): SignatureProfile {
  const all = [...descendants(root)];
  const signatures = all.filter((el) => el.ns === DSIG_NS && el.name === 'Signature');
  if (signatures.length === 0) throw invalid('the message is not signed');
  if (signatures.length > 1) throw malformed('more than one ds:Signature');
  if (all.filter((el) => el.ns === DSIG_NS && el.name === 'SignedInfo').length !== 1) {
    throw malformed('not exactly one ds:SignedInfo');
  }
  const signature = signatures[0]!;
  if (hasComment(signature)) throw malformed('comment inside the signature');
  const rootElements = elementsOf(root);
  if (rootElements[rootElements.length - 1] !== signature) {
    throw invalid('the signature must be the last child of the root element');
  }
  onlyAttributes(signature, ['Id']);

  const sigChildren = dsChildren(signature);
  const names = sigChildren.map((c) => (c.ns === DSIG_NS ? c.name : '?'));
  const withKeyInfo = names.length === 3 && names[2] === 'KeyInfo';
  if (!(names.length === 2 || withKeyInfo) || names[0] !== 'SignedInfo' || names[1] !== 'SignatureValue') {
    throw invalid('ds:Signature must contain ds:SignedInfo, ds:SignatureValue and at most ds:KeyInfo');
  }
  const [signedInfo, signatureValue] = sigChildren as [XmlEl, XmlEl];
  onlyAttributes(signatureValue, ['Id']);
  base64Text(signatureValue);

  onlyAttributes(signedInfo, []);
  const [c14n, method, reference] = expectChildren(signedInfo, [
    'CanonicalizationMethod',
    'SignatureMethod',
    'Reference',
  ]) as [XmlEl, XmlEl, XmlEl];
  if (algorithmOf(c14n) !== EXC_C14N) throw invalid('CanonicalizationMethod must be exclusive c14n');
  const signatureAlgorithm = algorithmOf(method);
  if (!(allow.signatureAlgorithms as readonly string[]).includes(signatureAlgorithm)) {
    throw invalid('SignatureMethod not allowed');
  }

  onlyAttributes(reference, ['URI']);
  if (reference.attrs.find((a) => a.name === 'URI')?.value !== '') {
    throw invalid('the Reference must cover the whole document (URI="")');
  }
  const [transforms, digestMethod, digestValue] = expectChildren(reference, [
    'Transforms',
    'DigestMethod',
    'DigestValue',
  ]) as [XmlEl, XmlEl, XmlEl];
  onlyAttributes(transforms, []);
  const transformList = expectChildren(transforms, ['Transform', 'Transform']).map(algorithmOf);
  if (transformList[0] !== ENVELOPED_SIGNATURE || transformList[1] !== EXC_C14N) {
    throw invalid('transforms must be enveloped-signature, then exclusive c14n');
  }
  const digestAlgorithm = algorithmOf(digestMethod);
  if (!(allow.digestAlgorithms as readonly string[]).includes(digestAlgorithm)) {
    throw invalid('DigestMethod not allowed');
  }
  onlyAttributes(digestValue, []);
  base64Text(digestValue);

  return {
    signatureAlgorithm: signatureAlgorithm as XmlSignatureAlgorithm,
    digestAlgorithm: digestAlgorithm as XmlDigestAlgorithm,
    keyHintKid: withKeyInfo ? keyHintOf(sigChildren[2]) : undefined,
  };
}
