import { expect } from 'chai';
import {
  DEFAULT_XML_GATE_LIMITS,
  gateXml,
  type XmlGateLimits,
} from '../../../gateway/core/envelope/xoev/index.js';
import { GatewayError } from '../../../gateway/core/errors.js';

function codeOf(text: string, limits: XmlGateLimits = DEFAULT_XML_GATE_LIMITS): string | undefined {
  try {
    gateXml(text, limits);
    return undefined;
  } catch (error) {
    expect(error).to.be.instanceOf(GatewayError);
    return (error as GatewayError).code;
  }
}

describe('gateXml', () => {
  it('passes a plain document with declaration, comments, CDATA and self-closing tags', () => {
    const text =
      '<?xml version="1.0" encoding="UTF-8"?>\n<!-- a -->\n<a x="1>2"><b/><![CDATA[<c>]]><!-- d --></a>\n';
    expect(gateXml(text)).to.equal(text);
  });

  it('passes a declaration without encoding, with standalone, in single quotes and any case of utf-8', () => {
    for (const declaration of [
      '<?xml version="1.0"?>',
      "<?xml version='1.0' encoding='utf-8' standalone='yes'?>",
      '<?xml version="1.0" encoding="Utf-8" standalone="no" ?>',
    ]) {
      expect(codeOf(`${declaration}<a/>`), declaration).to.equal(undefined);
    }
  });

  it('strips a leading byte order mark', () => {
    expect(gateXml('\uFEFF<a/>')).to.equal('<a/>');
  });

  it('refuses a declaration of another encoding, with ERR_REQUEST_MALFORMED', () => {
    for (const encoding of ['ISO-8859-1', 'UTF-16', 'windows-1252', 'UTF-7']) {
      expect(codeOf(`<?xml version="1.0" encoding="${encoding}"?><a/>`), encoding).to.equal(
        'ERR_REQUEST_MALFORMED',
      );
    }
  });

  it('refuses XML 1.1 and a malformed declaration, with ERR_REQUEST_MALFORMED', () => {
    expect(codeOf('<?xml version="1.1"?><a/>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<?xml encoding="UTF-8"?><a/>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf(' <?xml version="1.0"?><a/>')).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('refuses text that was not UTF-8 (U+FFFD) or not Unicode (lone surrogate), with ERR_REQUEST_MALFORMED', () => {
    expect(codeOf('<a>M\uFFFDller</a>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<a>\uD800</a>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<a>\uDC00x</a>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<a>\uD83D\uDE00</a>')).to.equal(undefined);
  });

  it('refuses any DOCTYPE, with ERR_REQUEST_MALFORMED', () => {
    expect(codeOf('<!DOCTYPE a><a/>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')).to.equal(
      'ERR_REQUEST_MALFORMED',
    );
    expect(codeOf('<!ENTITY x "y"><a/>')).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('refuses processing instructions anywhere, with ERR_REQUEST_MALFORMED', () => {
    expect(codeOf('<?xml-stylesheet href="x"?><a/>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<a><?php echo 1; ?></a>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<a/><?pi?>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<?xml version="1.0"?><?xml version="1.0"?><a/>')).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('refuses two roots, no root, and text outside the root, with ERR_REQUEST_MALFORMED', () => {
    expect(codeOf('<a/><b/>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<a></a>\n<a></a>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<!-- only a comment -->')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('x<a/>')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<a/>x')).to.equal('ERR_REQUEST_MALFORMED');
    expect(codeOf('<![CDATA[x]]><a/>')).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('refuses unbalanced and unterminated markup, with ERR_REQUEST_MALFORMED', () => {
    for (const text of [
      '<a>',
      '</a><a>',
      '<a><!-- x</a>',
      '<a><![CDATA[x</a>',
      '<a x="1></a>',
      '<a><<b/></a>',
    ]) {
      expect(codeOf(text), text).to.equal('ERR_REQUEST_MALFORMED');
    }
  });

  it('refuses a document over maxBytes counted in UTF-8, with ERR_TOO_LARGE', () => {
    const limits = { ...DEFAULT_XML_GATE_LIMITS, maxBytes: 20 };
    expect(codeOf('<a>12345678901234</a>', limits)).to.equal('ERR_TOO_LARGE');
    expect(codeOf('<a>123456789012</a>', limits)).to.equal(undefined);
    // 10 characters, 20 bytes: the limit is on bytes, not characters.
    expect(codeOf('<a>ääääääää</a>', { ...limits, maxBytes: 18 })).to.equal('ERR_TOO_LARGE');
  });

  it('refuses nesting deeper than maxDepth, with ERR_TOO_LARGE', () => {
    const deep = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    expect(codeOf(deep(DEFAULT_XML_GATE_LIMITS.maxDepth))).to.equal(undefined);
    expect(codeOf(deep(DEFAULT_XML_GATE_LIMITS.maxDepth + 1))).to.equal('ERR_TOO_LARGE');
    expect(codeOf(deep(10_000), { ...DEFAULT_XML_GATE_LIMITS, maxBytes: 1_000_000 })).to.equal(
      'ERR_TOO_LARGE',
    );
  });

  it('refuses an attribute value over maxAttributeLength, with ERR_TOO_LARGE', () => {
    const long = 'x'.repeat(DEFAULT_XML_GATE_LIMITS.maxAttributeLength + 1);
    expect(codeOf(`<a b="${long}"/>`)).to.equal('ERR_TOO_LARGE');
    expect(codeOf(`<a b='${long}'/>`)).to.equal('ERR_TOO_LARGE');
    expect(codeOf(`<a b="${long.slice(1)}"/>`)).to.equal(undefined);
  });

  it('refuses more than maxElements elements, with ERR_TOO_LARGE', () => {
    const limits = { ...DEFAULT_XML_GATE_LIMITS, maxElements: 3 };
    expect(codeOf('<a><b/><c/></a>', limits)).to.equal(undefined);
    expect(codeOf('<a><b/><c/><d/></a>', limits)).to.equal('ERR_TOO_LARGE');
  });

  it('refuses a value that is not text, with ERR_REQUEST_MALFORMED', () => {
    expect(codeOf(42 as unknown as string)).to.equal('ERR_REQUEST_MALFORMED');
  });
});
