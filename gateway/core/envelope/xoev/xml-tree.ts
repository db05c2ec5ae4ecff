/**
 * A plain, immutable element tree of an XML document as libxml2 parsed it: what the XÖV readers walk. Reading
 * from plain objects keeps the wasm-backed libxml2 document short-lived (it is disposed right after the copy)
 * and lets every check name elements by namespace URI and local name, never by prefix.
 */

export interface XmlAttr {
  /** Namespace URI, '' for an unqualified attribute. */
  readonly ns: string;
  readonly name: string;
  readonly value: string;
}

export interface XmlEl {
  readonly kind: 'element';
  /** Namespace URI, '' for no namespace. */
  readonly ns: string;
  /** Local name. */
  readonly name: string;
  readonly attrs: readonly XmlAttr[];
  readonly children: readonly XmlChild[];
}

/** Text (CDATA sections arrive as text), a comment, or a processing instruction. */
export type XmlChild =
  | XmlEl
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'comment' }
  | { readonly kind: 'pi' };

/** The element children of `el`. */
export function elementsOf(el: XmlEl): XmlEl[] {
  return el.children.filter((c): c is XmlEl => c.kind === 'element');
}

/** The element children of `el` with this namespace and local name. */
export function childrenNamed(el: XmlEl, ns: string, name: string): XmlEl[] {
  return elementsOf(el).filter((c) => c.ns === ns && c.name === name);
}

/** The one child with this name, or undefined if there is none or more than one. */
export function onlyChild(el: XmlEl | undefined, ns: string, name: string): XmlEl | undefined {
  if (el === undefined) return undefined;
  const found = childrenNamed(el, ns, name);
  return found.length === 1 ? found[0] : undefined;
}

/** The concatenated text of `el` if it has no element children, else undefined. */
export function textOf(el: XmlEl | undefined): string | undefined {
  if (el === undefined) return undefined;
  let text = '';
  for (const child of el.children) {
    if (child.kind === 'element') return undefined;
    if (child.kind === 'text') text += child.value;
  }
  return text;
}

/** The text of the one child with this name (see onlyChild, textOf). */
export function childText(el: XmlEl | undefined, ns: string, name: string): string | undefined {
  return textOf(onlyChild(el, ns, name));
}

/** The value of an unqualified (or namespaced) attribute, or undefined. */
export function attrOf(el: XmlEl | undefined, name: string, ns = ''): string | undefined {
  return el?.attrs.find((a) => a.ns === ns && a.name === name)?.value;
}

/** Every element of the subtree (`el` included), depth first. */
export function* descendants(el: XmlEl): Generator<XmlEl> {
  yield el;
  for (const child of el.children) if (child.kind === 'element') yield* descendants(child);
}

/** True if the subtree holds a comment anywhere. */
export function hasComment(el: XmlEl): boolean {
  return el.children.some((c) => c.kind === 'comment' || (c.kind === 'element' && hasComment(c)));
}
