/**
 * A minimal XML writer for the gateway's own XÖV messages: element trees rendered with two-space indentation,
 * text and attribute values escaped (XML 1.0 §2.4, §3.3.3), and characters XML 1.0 cannot carry refused rather
 * than silently dropped.
 */

export interface XmlNode {
  /** Qualified name as written, e.g. `oog:person` or `code`. */
  readonly name: string;
  readonly attrs?: Readonly<Record<string, string>>;
  readonly children?: readonly (XmlNode | undefined)[];
  readonly text?: string;
}

/** Characters outside XML 1.0's Char production (controls other than tab/LF/CR, U+FFFE/FFFF, lone surrogates). */
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checked(value: string): string {
  if (typeof value !== 'string') throw new TypeError('XML text must be a string');
  if (NOT_XML_CHAR.test(value)) throw new TypeError('XML text holds a character XML 1.0 cannot carry');
  return value;
}

export function escapeText(value: string): string {
  return checked(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#xD;');
}

export function escapeAttribute(value: string): string {
  return checked(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}

/** Renders `node` (children that are undefined are left out). */
export function renderXml(node: XmlNode, depth = 0): string {
  const pad = '  '.repeat(depth);
  const attrs = Object.entries(node.attrs ?? {})
    .map(([name, value]) => ` ${name}="${escapeAttribute(value)}"`)
    .join('');
  const children = (node.children ?? []).filter((c): c is XmlNode => c !== undefined);
  if (children.length > 0) {
    const inner = children.map((c) => renderXml(c, depth + 1)).join('\n');
    return `${pad}<${node.name}${attrs}>\n${inner}\n${pad}</${node.name}>`;
  }
  if (node.text !== undefined) return `${pad}<${node.name}${attrs}>${escapeText(node.text)}</${node.name}>`;
  return `${pad}<${node.name}${attrs}/>`;
}

/** A leaf element with text, or undefined if `text` is undefined (optional elements). */
export function leaf(
  name: string,
  text: string | undefined,
  attrs?: Record<string, string>,
): XmlNode | undefined {
  return text === undefined ? undefined : { name, text, attrs };
}
