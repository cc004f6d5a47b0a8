/**
 * The caption languages, apart from the caption library itself (library.ts loads ~60 KB of
 * JSON), so that checking a request's `lang` costs nothing.
 */
export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

export function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}
