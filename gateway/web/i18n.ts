/**
 * The portal's one message catalogue (messages/de.json, messages/en.json): German first, English second. A key
 * missing in English falls back to German; a test keeps both files' keys equal. Placeholders are `{name}`;
 * their values are plain text (the pages escape them when they render).
 */
import de from './messages/de.json' with { type: 'json' };
import en from './messages/en.json' with { type: 'json' };

export const LANGUAGES = ['de', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];
export type MessageKey = keyof typeof de;

export const CATALOGUE: Readonly<Record<Lang, Readonly<Record<string, string>>>> = { de, en };

export function isLang(value: unknown): value is Lang {
  return value === 'de' || value === 'en';
}

/** The message for `key` in `lang` with `{placeholders}` filled in. */
export function translate(
  lang: Lang,
  key: MessageKey,
  params: Readonly<Record<string, string>> = {},
): string {
  const text = CATALOGUE[lang][key] ?? de[key];
  return text.replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) => params[name] ?? whole);
}

/** A message if the catalogue has one for this dynamic key, else undefined. */
export function translateOptional(lang: Lang, key: string): string | undefined {
  return CATALOGUE[lang][key] ?? (de as Record<string, string>)[key];
}

export type Translate = (key: MessageKey, params?: Readonly<Record<string, string>>) => string;

export function translator(lang: Lang): Translate {
  return (key, params) => translate(lang, key, params);
}
