import { expect } from 'chai';
import { parseStrictJson } from '../../../gateway/core/envelope/index.js';
import { thrownBy } from './fake-trust.js';

describe('parseStrictJson', () => {
  it('parses every JSON value kind like JSON.parse', () => {
    const text =
      ' {"a":[1,-2.5e3,0,0.25,1E+2,true,false,null],"b":{"c":"x\\"y\\\\z\\/\\b\\f\\n\\r\\t\\u00e4\\ud83d\\ude00"},"d":"äö😀"}\n';
    expect(parseStrictJson(text)).to.deep.equal(JSON.parse(text));
  });

  it('parses top-level scalars and empty containers', () => {
    for (const text of ['1', '"s"', 'true', 'null', '[]', '{}', ' [ ] ', '{ }']) {
      expect(parseStrictJson(text)).to.deep.equal(JSON.parse(text));
    }
  });

  it('returns objects holding own members only', () => {
    const value = parseStrictJson('{"toString":"x","valueOf":1}') as Record<string, unknown>;
    expect(Object.keys(value)).to.deep.equal(['toString', 'valueOf']);
    expect(value.toString).to.equal('x');
  });

  it('refuses a duplicate member name at top level, with ERR_REQUEST_MALFORMED', () => {
    expect(thrownBy(() => parseStrictJson('{"iss":"a","iss":"b"}')).code).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('refuses a duplicate member name deep inside, with ERR_REQUEST_MALFORMED', () => {
    const text = '{"a":[{"b":{"c":1,"d":2,"c":3}}]}';
    expect(thrownBy(() => parseStrictJson(text)).code).to.equal('ERR_REQUEST_MALFORMED');
  });

  it('refuses a duplicate hidden by an escape (same name after unescaping), with ERR_REQUEST_MALFORMED', () => {
    expect(thrownBy(() => parseStrictJson('{"iss":"a","i\\u0073s":"b"}')).code).to.equal(
      'ERR_REQUEST_MALFORMED',
    );
  });

  for (const name of ['__proto__', 'constructor', 'prototype', '__pro\\u0074o__']) {
    it(`refuses the member name ${name}, with ERR_REQUEST_MALFORMED`, () => {
      expect(thrownBy(() => parseStrictJson(`{"a":{"${name}":{"x":1}}}`)).code).to.equal(
        'ERR_REQUEST_MALFORMED',
      );
    });
  }

  it('leaves Object.prototype untouched when refusing __proto__', () => {
    thrownBy(() => parseStrictJson('{"__proto__":{"polluted":true}}'));
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  const malformed: Record<string, string> = {
    empty: '',
    'only whitespace': '  ',
    'trailing comma in object': '{"a":1,}',
    'trailing comma in array': '[1,]',
    'leading zero': '[01]',
    'plus sign': '+1',
    'bare dot': '[.5]',
    'trailing dot': '[1.]',
    'empty exponent': '[1e]',
    NaN: 'NaN',
    Infinity: '[Infinity]',
    'single quotes': "{'a':1}",
    'unquoted name': '{a:1}',
    'raw control character': '"a\tb"',
    'raw newline': '"a\nb"',
    'bad escape': '"\\x41"',
    'short unicode escape': '"\\u12"',
    'unterminated string': '"abc',
    'unterminated object': '{"a":1',
    'second value': '{} {}',
    'byte order mark': '\ufeff{}',
    'non-JSON whitespace (NBSP)': '\u00a0{}',
    comment: '{"a":1 /* x */}',
    'lone raw high surrogate': '"\ud800"',
    'lone raw low surrogate': '"\udc00x"',
    'truncated literal': 'tru',
    'missing colon': '{"a" 1}',
  };
  for (const [what, text] of Object.entries(malformed)) {
    it(`refuses ${what}, with ERR_REQUEST_MALFORMED`, () => {
      expect(thrownBy(() => parseStrictJson(text)).code).to.equal('ERR_REQUEST_MALFORMED');
    });
  }

  const unpaired: Record<string, string> = {
    'an escaped lone high surrogate': '"x\\ud800y"',
    'an escaped lone low surrogate': '"\\udc00"',
    'an escaped high surrogate at the end of a string': '"\\uD83D"',
    'an escaped high surrogate before another high one': '"\\ud83d\\ud83d"',
    'an escaped high surrogate before a non-surrogate escape': '"\\ud83d\\u0041"',
    'an escaped lone surrogate in a member name': '{"\\ud800":1}',
  };
  for (const [what, text] of Object.entries(unpaired)) {
    // Grammatical (RFC 8259 §7) but not Unicode text (§8.2): the XML gate refuses the same (issue 11).
    it(`refuses ${what}, with ERR_REQUEST_MALFORMED`, () => {
      expect(thrownBy(() => parseStrictJson(text)).code).to.equal('ERR_REQUEST_MALFORMED');
    });
  }

  it('keeps an escaped surrogate pair as the one character it stands for', () => {
    expect(parseStrictJson('"a\\ud83d\\ude00b"')).to.equal('a\u{1f600}b');
    expect(parseStrictJson('"\\uD83D\\uDE00"')).to.equal(JSON.parse('"\\uD83D\\uDE00"'));
  });

  it('refuses nesting deeper than maxDepth, with ERR_TOO_LARGE', () => {
    expect(thrownBy(() => parseStrictJson('[[[[1]]]]', { maxDepth: 3 })).code).to.equal('ERR_TOO_LARGE');
    expect(parseStrictJson('[[[1]]]', { maxDepth: 3 })).to.deep.equal([[[1]]]);
  });

  it('refuses 100 000 nested arrays by default without overflowing the stack, with ERR_TOO_LARGE', () => {
    const text = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(thrownBy(() => parseStrictJson(text, { maxLength: 1e6 })).code).to.equal('ERR_TOO_LARGE');
  });

  it('refuses text longer than maxLength, with ERR_TOO_LARGE', () => {
    expect(thrownBy(() => parseStrictJson('"abcdef"', { maxLength: 7 })).code).to.equal('ERR_TOO_LARGE');
    expect(parseStrictJson('"abcde"', { maxLength: 7 })).to.equal('abcde');
  });

  it('parses 10 000 request-sized payloads (hot-path sanity)', () => {
    const text = JSON.stringify({
      iss: 'ags:09999001',
      aud: 'oog:demo-gateway',
      iat: 1_748_858_400,
      jti: '3f8a2c1e-4b6d-4e7f-9a0b-1c2d3e4f5a6b',
      subject: { idnr: '93141705862' },
      procedure: { reference: 'WG-2025/00042' },
      fields: ['familienname', 'vornamen', 'anschrift'],
      actor: 'Sachbearbeiterin M\u00fcller',
    });
    let last: unknown;
    for (let i = 0; i < 10_000; i++) last = parseStrictJson(text);
    expect(last).to.deep.equal(JSON.parse(text));
  });
});
