/**
 * A strict JSON parser (RFC 8259) for everything that arrives signed: JWS headers and payloads. `JSON.parse`
 * silently keeps the last of two equal member names, so a signer and a verifier can read different values from
 * the same bytes (SECURITY.md "JOSE"); this parser refuses them instead, as well as prototype-polluting names.
 */
import { GatewayError } from '../errors.js';

export interface StrictJsonOptions {
  /** Deepest nesting of objects and arrays; deeper → ERR_TOO_LARGE. Default 32. */
  readonly maxDepth?: number;
  /** Longest text in UTF-16 code units; longer → ERR_TOO_LARGE. Default 1 MiB. */
  readonly maxLength?: number;
}

export const STRICT_JSON_DEFAULT_MAX_DEPTH = 32;
export const STRICT_JSON_DEFAULT_MAX_LENGTH = 1_048_576;

/** Member names that could reach an object's prototype in careless consumers; refused at any depth. */
const FORBIDDEN_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;

function malformed(detail: string, at: number): GatewayError {
  return new GatewayError('ERR_REQUEST_MALFORMED', `${detail} at offset ${at}`);
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Parses one JSON text strictly (RFC 8259 §2–§9): refuses duplicate member names at any depth (§4 leaves them
 * undefined; we do not guess), the member names `__proto__`, `constructor` and `prototype`, a byte order mark,
 * raw control characters and unpaired surrogates in strings, raw or escaped (`"\ud800"` is grammatical, §7, but
 * not Unicode text, §8.2), leading zeros, `+`, `NaN`, trailing commas and anything after the value.
 * Objects are plain objects holding only own members; numbers become JS numbers.
 * Throws ERR_REQUEST_MALFORMED (not JSON, or refused as above) and ERR_TOO_LARGE (longer than maxLength,
 * deeper than maxDepth).
 */
export function parseStrictJson(text: string, options: StrictJsonOptions = {}): unknown {
  const maxDepth = options.maxDepth ?? STRICT_JSON_DEFAULT_MAX_DEPTH;
  const maxLength = options.maxLength ?? STRICT_JSON_DEFAULT_MAX_LENGTH;
  if (typeof text !== 'string') throw new GatewayError('ERR_REQUEST_MALFORMED', 'JSON text is not a string');
  if (text.length > maxLength) throw new GatewayError('ERR_TOO_LARGE', 'JSON text too long');
  const reader = new JsonReader(text, maxDepth);
  reader.skipWhitespace();
  const value = reader.readValue(0);
  reader.skipWhitespace();
  if (reader.pos !== text.length) throw malformed('unexpected data after the JSON value', reader.pos);
  return value;
}

/** The parser's cursor; one per parse, never shared. */
class JsonReader {
  pos = 0;
  readonly text: string;
  readonly maxDepth: number;

  constructor(text: string, maxDepth: number) {
    this.text = text;
    this.maxDepth = maxDepth;
  }

  skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      // RFC 8259 §2: only space, tab, line feed and carriage return are whitespace.
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  readValue(depth: number): unknown {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case OPEN_BRACE:
        return this.readObject(depth + 1);
      case OPEN_BRACKET:
        return this.readArray(depth + 1);
      case QUOTE:
        return this.readString();
      case 0x74: // t
        return this.readLiteral('true', true);
      case 0x66: // f
        return this.readLiteral('false', false);
      case 0x6e: // n
        return this.readLiteral('null', null);
      default:
        if (c === MINUS || isDigit(c)) return this.readNumber();
        if (Number.isNaN(c)) throw malformed('unexpected end of JSON text', this.pos);
        throw malformed('unexpected character', this.pos);
    }
  }

  readLiteral<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) throw malformed('invalid literal', this.pos);
    this.pos += word.length;
    return value;
  }

  readObject(depth: number): Record<string, unknown> {
    if (depth > this.maxDepth) throw new GatewayError('ERR_TOO_LARGE', 'JSON nested too deeply');
    const result: Record<string, unknown> = {};
    this.pos++; // {
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACE) {
      this.pos++;
      return result;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== QUOTE) throw malformed('expected a member name', this.pos);
      const nameAt = this.pos;
      const name = this.readString();
      if (FORBIDDEN_NAMES.has(name)) throw malformed('forbidden member name', nameAt);
      // No forbidden name can reach here, so hasOwn on a plain object is exact.
      if (Object.hasOwn(result, name)) throw malformed('duplicate member name', nameAt);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== COLON) throw malformed('expected ":"', this.pos);
      this.pos++;
      this.skipWhitespace();
      result[name] = this.readValue(depth);
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === COMMA) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === CLOSE_BRACE) {
        this.pos++;
        return result;
      } else {
        throw malformed('expected "," or "}"', this.pos);
      }
    }
  }

  readArray(depth: number): unknown[] {
    if (depth > this.maxDepth) throw new GatewayError('ERR_TOO_LARGE', 'JSON nested too deeply');
    const result: unknown[] = [];
    this.pos++; // [
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACKET) {
      this.pos++;
      return result;
    }
    for (;;) {
      result.push(this.readValue(depth));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === COMMA) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === CLOSE_BRACKET) {
        this.pos++;
        return result;
      } else {
        throw malformed('expected "," or "]"', this.pos);
      }
    }
  }

  readString(): string {
    const text = this.text;
    const start = this.pos + 1;
    let pos = start;
    // Fast path: no escapes, so the value is a slice of the input.
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === QUOTE) {
        this.pos = pos + 1;
        return text.slice(start, pos);
      }
      if (c === BACKSLASH) break;
      if (c < 0x20 || Number.isNaN(c))
        throw malformed(Number.isNaN(c) ? 'unterminated string' : 'raw control character in string', pos);
      if (c >= 0xd800 && c <= 0xdfff) pos = this.checkRawSurrogate(c, pos);
      else pos++;
    }
    let out = text.slice(start, pos);
    let chunk = pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === QUOTE) {
        this.pos = pos + 1;
        return out + text.slice(chunk, pos);
      }
      if (c === BACKSLASH) {
        out += text.slice(chunk, pos);
        const e = text.charCodeAt(pos + 1);
        switch (e) {
          case QUOTE:
            out += '"';
            break;
          case BACKSLASH:
            out += '\\';
            break;
          case SLASH:
            out += '/';
            break;
          case 0x62: // b
            out += '\b';
            break;
          case 0x66: // f
            out += '\f';
            break;
          case 0x6e: // n
            out += '\n';
            break;
          case 0x72: // r
            out += '\r';
            break;
          case 0x74: // t
            out += '\t';
            break;
          case 0x75: {
            // u: exactly four hex digits. An escaped surrogate must be half of a pair: a lone one is grammatical
            // (RFC 8259 §7) but no Unicode text, which no UTF-8 sender could have meant (§8.2).
            const code = this.readHex4(pos);
            if (code >= 0xd800 && code <= 0xdbff) {
              const low = text.charCodeAt(pos + 6) === BACKSLASH && text.charCodeAt(pos + 7) === 0x75;
              const next = low ? this.readHex4(pos + 6) : -1;
              if (next < 0xdc00 || next > 0xdfff)
                throw malformed('unpaired escaped surrogate in string', pos);
              out += String.fromCharCode(code, next);
              pos += 10;
              break;
            }
            if (code >= 0xdc00 && code <= 0xdfff)
              throw malformed('unpaired escaped surrogate in string', pos);
            out += String.fromCharCode(code);
            pos += 4;
            break;
          }
          default:
            throw malformed('invalid escape', pos);
        }
        pos += 2;
        chunk = pos;
        continue;
      }
      if (c < 0x20 || Number.isNaN(c))
        throw malformed(Number.isNaN(c) ? 'unterminated string' : 'raw control character in string', pos);
      if (c >= 0xd800 && c <= 0xdfff) pos = this.checkRawSurrogate(c, pos);
      else pos++;
    }
  }

  /** The four hex digits of the `\\u` escape at `pos` as a UTF-16 code unit. */
  readHex4(pos: number): number {
    let code = 0;
    for (let i = 2; i < 6; i++) {
      const h = hexValue(this.text.charCodeAt(pos + i));
      if (h < 0) throw malformed('invalid \\u escape', pos);
      code = code * 16 + h;
    }
    return code;
  }

  /** A raw (unescaped) surrogate must be the high half of a pair: the text would not be Unicode otherwise. */
  checkRawSurrogate(c: number, pos: number): number {
    if (c <= 0xdbff) {
      const low = this.text.charCodeAt(pos + 1);
      if (low >= 0xdc00 && low <= 0xdfff) return pos + 2;
    }
    throw malformed('unpaired surrogate in string', pos);
  }

  readNumber(): number {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    // RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    if (text.charCodeAt(pos) === MINUS) pos++;
    const first = text.charCodeAt(pos);
    if (first === DIGIT_0) {
      pos++;
    } else if (first >= DIGIT_1 && first <= DIGIT_9) {
      pos++;
      while (isDigit(text.charCodeAt(pos))) pos++;
    } else {
      throw malformed('invalid number', start);
    }
    if (text.charCodeAt(pos) === DOT) {
      pos++;
      if (!isDigit(text.charCodeAt(pos))) throw malformed('invalid number', start);
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === PLUS || sign === MINUS) pos++;
      if (!isDigit(text.charCodeAt(pos))) throw malformed('invalid number', start);
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    // A digit directly after "0" (leading zero) is caught by the caller as unexpected data / missing comma.
    this.pos = pos;
    return Number(text.slice(start, pos));
  }
}
