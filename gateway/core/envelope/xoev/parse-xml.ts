/**
 * Parsing and XSD validation with libxml2 (libxml2-wasm), in process (SECURITY.md "XML parsing": validate XÖV
 * messages against their XSD in process; libxml2-wasm resolves no external entities). libxml2 is the strict
 * judge of well-formedness: unlike xmldom it refuses NUL characters, lone surrogates as character references,
 * undeclared prefixes and undefined entities.
 */
import {
  ParseOption,
  XmlBufferInputProvider,
  XmlCData,
  XmlComment,
  XmlDocument,
  XmlElement,
  XmlLibError,
  XmlText,
  XsdValidator,
  xmlRegisterInputProvider,
  type XmlTreeNode,
} from 'libxml2-wasm';
import { GatewayError } from '../../errors.js';
import type { XmlAttr, XmlChild, XmlEl } from './xml-tree.js';

/** No network, no external entities or DTDs, CDATA as plain text; entities are never substituted (no NOENT). */
const PARSE_OPTIONS =
  ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE | ParseOption.XML_PARSE_NOCDATA;

/** The XSD files of one schema set, as an adapter read them: paths relative to the set's folder → text. */
export interface XoevSchemaFiles {
  /** Path of the entry schema within `files`, e.g. `oog-nachweis.xsd`. */
  readonly entry: string;
  /** Every schema the entry imports or includes (transitively), by relative path, e.g. `kosit/xoev-code.xsd`. */
  readonly files: Readonly<Record<string, string>>;
}

/** A document parsed and validated against a schema set. */
export interface ValidatedXml {
  readonly tree: XmlEl;
  /** ERR_SCHEMA (detail: the XPath of the first violation, never its value), or undefined if valid. */
  readonly schemaError: GatewayError | undefined;
}

/** A compiled schema set. */
export interface XoevSchemas {
  /**
   * Parses `text` with libxml2 into a plain tree and validates it. Throws ERR_REQUEST_MALFORMED as parseXml
   * does; returns a schema violation instead of throwing it, so that the caller decides the order of its checks.
   */
  readonly parseAndValidate: (text: string) => ValidatedXml;
}

export interface ParseXmlOptions {
  /** Refuse a namespace prefix that is bound to two different URIs anywhere in the document. Default true. */
  readonly consistentPrefixes?: boolean;
}

function detailOf(error: unknown): string {
  // libxml2's messages quote element content (e.g. an IDNr); the detail keeps only where it happened.
  if (error instanceof XmlLibError && error.details[0]) {
    const { line, col, xpath } = error.details[0];
    return xpath ? `${xpath} invalid` : `invalid at line ${line}, column ${col}`;
  }
  return 'invalid';
}

function parseDocument(text: string): XmlDocument {
  try {
    return XmlDocument.fromString(text, { option: PARSE_OPTIONS });
  } catch (error) {
    throw new GatewayError('ERR_REQUEST_MALFORMED', `not well-formed XML (${detailOf(error)})`, {
      cause: error,
    });
  }
}

/** Copies a libxml2 element into a plain tree, checking that each prefix names one namespace throughout. */
function copyElement(element: XmlElement, prefixes: Map<string, string> | undefined): XmlEl {
  if (prefixes !== undefined) {
    for (const [prefix, uri] of Object.entries(element.nsDeclarations)) {
      if (prefix === '') continue;
      const known = prefixes.get(prefix);
      if (known !== undefined && known !== uri) {
        throw new GatewayError(
          'ERR_REQUEST_MALFORMED',
          `namespace prefix ${prefix} is bound to two namespaces`,
        );
      }
      prefixes.set(prefix, uri);
    }
  }
  const attrs: XmlAttr[] = element.attrs.map((a) => ({ ns: a.namespaceUri, name: a.name, value: a.value }));
  const children: XmlChild[] = [];
  for (let node: XmlTreeNode | null = element.firstChild; node !== null; node = node.next) {
    if (node instanceof XmlElement) children.push(copyElement(node, prefixes));
    else if (node instanceof XmlText || node instanceof XmlCData)
      children.push({ kind: 'text', value: node.content });
    else if (node instanceof XmlComment) children.push({ kind: 'comment' });
    else children.push({ kind: 'pi' });
  }
  return { kind: 'element', ns: element.namespaceUri, name: element.name, attrs, children };
}

function toTree(doc: XmlDocument, options: ParseXmlOptions): XmlEl {
  return copyElement(doc.root, options.consistentPrefixes === false ? undefined : new Map());
}

/**
 * Parses `text` with libxml2 (no entity substitution, no network, no external DTD) into a plain tree. Throws
 * ERR_REQUEST_MALFORMED if it is not namespace-well-formed XML 1.0 (undeclared prefixes, undefined entities,
 * characters XML forbids, two roots, …) or if a prefix is bound to two namespaces (unless allowed). Run the
 * text through gateXml first: this function does not limit size or depth itself.
 */
export function parseXml(text: string, options: ParseXmlOptions = {}): XmlEl {
  const doc = parseDocument(text);
  try {
    return toTree(doc, options);
  } finally {
    doc.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Schemas. libxml2 reads imported schemas through input providers, which are global to the wasm module: one
// provider of this module serves every compiled set from memory under its own URL prefix, and nothing else.

const SCHEME = 'oog-xsd:///';
const buffers = new XmlBufferInputProvider({});
let providerRegistered = false;
let compiledSets = 0;

function relativePaths(files: Readonly<Record<string, string>>): string[] {
  const paths = Object.keys(files);
  for (const path of paths) {
    if (!/^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/.test(path) || path.split('/').includes('..')) {
      throw new TypeError(`XoevSchemaFiles: not a plain relative path: ${JSON.stringify(path)}`);
    }
  }
  return paths;
}

/**
 * Compiles a schema set (PROTOCOL.md §1b; the project's is schemas/xoev/oog-nachweis.xsd, loaded by the
 * adapter gateway/adapters/files/load-xoev-schemas.ts). Imports and includes resolve only against `files`;
 * nothing is fetched. Throws a plain Error if the schemas do not compile (a deployment fault, not a message fault).
 */
export function compileXoevSchemas(set: XoevSchemaFiles): XoevSchemas {
  const paths = relativePaths(set.files);
  if (!paths.includes(set.entry)) throw new TypeError('XoevSchemaFiles: entry is not among files');
  if (!providerRegistered) {
    if (!xmlRegisterInputProvider(buffers)) throw new Error('libxml2: cannot register the schema provider');
    providerRegistered = true;
  }
  const base = `${SCHEME}${++compiledSets}/`;
  const encoder = new TextEncoder();
  for (const path of paths) buffers.addBuffer(base + path, encoder.encode(set.files[path]));
  let validator: XsdValidator;
  try {
    // The schema document stays alive as long as the validator that was compiled from it.
    const schemaDoc = XmlDocument.fromString(set.files[set.entry]!, {
      url: base + set.entry,
      option: PARSE_OPTIONS,
    });
    validator = XsdValidator.fromDoc(schemaDoc);
  } catch (error) {
    throw new Error(
      `XSD ${set.entry} does not compile: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    for (const path of paths) buffers.removeBuffer(base + path);
  }

  return {
    parseAndValidate(text) {
      const doc = parseDocument(text);
      try {
        const tree = toTree(doc, {});
        let schemaError: GatewayError | undefined;
        try {
          validator.validate(doc);
        } catch (error) {
          schemaError = new GatewayError('ERR_SCHEMA', detailOf(error), { cause: error });
        }
        return { tree, schemaError };
      } finally {
        doc.dispose();
      }
    },
  };
}
