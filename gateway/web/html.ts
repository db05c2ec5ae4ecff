/**
 * HTML that escapes by default: `html` is a tagged template whose interpolated values are escaped unless they
 * are themselves `Html` (made by `html` or, for trusted constant markup only, `trusted`). Arrays are joined;
 * undefined, null and false render as nothing. Every page of the portal is built with it, so a value that
 * carries markup (an agency name, a purpose, an Aktenzeichen) is shown as text, never interpreted.
 */

export class Html {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for use in element content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** The tagged template: literal parts as written, every value escaped unless it is Html. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

/** Marks constant markup from this code base as safe. Never pass anything that came from outside. */
export function trusted(markup: string): Html {
  return new Html(markup);
}
