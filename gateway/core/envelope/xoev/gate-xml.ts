/**
 * The pre-parse gate for XÖV documents (PROTOCOL.md §1b "Refused outright"; SECURITY.md "XML signatures":
 * size and depth limits before any parser sees the text). A single linear scan over the text, so an oversized,
 * over-deep or DTD-carrying document never reaches libxml2, xmldom or xml-crypto.
 */
import { GatewayError } from '../../errors.js';

export interface XmlGateLimits {
  /** Longest document in UTF-8 bytes. */
  readonly maxBytes: number;
  /** Deepest element nesting (the root is depth 1). */
  readonly maxDepth: number;
  /** Longest attribute value in characters. */
  readonly maxAttributeLength: number;
  /** Most elements in the document. */
  readonly maxElements: number;
}

export const DEFAULT_XML_GATE_LIMITS: XmlGateLimits = Object.freeze({
  maxBytes: 65_536,
  maxDepth: 20,
  maxAttributeLength: 2_048,
  maxElements: 2_000,
});

/** `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`, each pseudo-attribute optional but version. */
const XML_DECLARATION =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.0\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])([A-Za-z][A-Za-z0-9._-]*)\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\4)?[ \t\r\n]*\?>/;

/** An unpaired surrogate: text that was never valid Unicode, hence never valid UTF-8 on the wire. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const WHITESPACE = /^[ \t\r\n]*$/;

function malformed(detail: string): GatewayError {
  return new GatewayError('ERR_REQUEST_MALFORMED', detail);
}

function tooLarge(detail: string): GatewayError {
  return new GatewayError('ERR_TOO_LARGE', detail);
}

function isName(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z_\u00C0-\uFFFF]/.test(char);
}

/**
 * Checks the raw text of an XÖV document before any parser sees it, and returns it without a leading byte order
 * mark. Refuses with ERR_TOO_LARGE: more than maxBytes UTF-8 bytes, nesting deeper than maxDepth, an attribute
 * value longer than maxAttributeLength, more than maxElements elements. Refuses with ERR_REQUEST_MALFORMED:
 * text that is not valid Unicode or carries U+FFFD (bytes that were not UTF-8), an XML declaration that is not
 * `version="1.0"` with encoding UTF-8 (or none), any DOCTYPE or other `<!` declaration, any processing
 * instruction, CDATA or text outside the root, no root or more than one root, unbalanced tags. Well-formedness
 * in full is left to the parser that follows; this gate only has to be conservative.
 */
export function gateXml(input: string, limits: XmlGateLimits = DEFAULT_XML_GATE_LIMITS): string {
  if (typeof input !== 'string') throw malformed('not a text document');
  // Each UTF-16 unit is at least one UTF-8 byte: a cheap bound before counting.
  if (input.length > limits.maxBytes || Buffer.byteLength(input, 'utf8') > limits.maxBytes) {
    throw tooLarge('document too large');
  }
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (LONE_SURROGATE.test(text)) throw malformed('text is not valid Unicode');
  if (text.includes('\uFFFD')) throw malformed('text is not valid UTF-8');

  let i = 0;
  if (text.startsWith('<?xml')) {
    const declaration = XML_DECLARATION.exec(text);
    if (declaration === null) throw malformed('malformed XML declaration');
    const encoding = declaration[3];
    if (encoding !== undefined && encoding.toLowerCase() !== 'utf-8') {
      throw malformed('only UTF-8 documents are accepted');
    }
    i = declaration[0].length;
  }

  let depth = 0;
  let roots = 0;
  let elements = 0;
  for (;;) {
    const lt = text.indexOf('<', i);
    if (depth === 0 && !WHITESPACE.test(text.slice(i, lt < 0 ? text.length : lt))) {
      throw malformed('text outside the root element');
    }
    if (lt < 0) break;
    const next = text[lt + 1];
    if (next === '?') throw malformed('processing instructions are not accepted');
    if (next === '!') {
      if (text.startsWith('<!--', lt)) {
        const end = text.indexOf('-->', lt + 4);
        if (end < 0) throw malformed('unterminated comment');
        i = end + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', lt)) {
        if (depth === 0) throw malformed('CDATA outside the root element');
        const end = text.indexOf(']]>', lt + 9);
        if (end < 0) throw malformed('unterminated CDATA section');
        i = end + 3;
        continue;
      }
      throw malformed('DOCTYPE and other declarations are not accepted');
    }
    if (next === '/') {
      depth--;
      if (depth < 0) throw malformed('unbalanced end tag');
      const end = text.indexOf('>', lt + 2);
      if (end < 0) throw malformed('unterminated end tag');
      i = end + 1;
      continue;
    }
    if (!isName(next)) throw malformed('malformed tag');
    if (depth === 0 && ++roots > 1) throw malformed('more than one root element');
    if (++elements > limits.maxElements) throw tooLarge('too many elements');
    // Scan the start tag to its '>', skipping quoted attribute values (which may hold '>' but never '<').
    let j = lt + 1;
    for (;;) {
      const char = text[j];
      if (char === undefined) throw malformed('unterminated start tag');
      if (char === '"' || char === "'") {
        const close = text.indexOf(char, j + 1);
        if (close < 0) throw malformed('unterminated attribute value');
        if (close - j - 1 > limits.maxAttributeLength) throw tooLarge('attribute value too long');
        j = close + 1;
        continue;
      }
      if (char === '<') throw malformed('malformed start tag');
      if (char === '>') break;
      j++;
    }
    if (text[j - 1] !== '/') {
      depth++;
      if (depth > limits.maxDepth) throw tooLarge('elements nested too deep');
    }
    i = j + 1;
  }
  if (roots === 0) throw malformed('no root element');
  if (depth !== 0) throw malformed('unclosed element');
  return text;
}
