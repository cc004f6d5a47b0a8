/** Caption text as users type it, made safe to draw: pure string functions, no canvas. */

/** Longest caption block kept, in grapheme clusters; beyond it nothing could fit in 3 lines anyway. */
export const MAX_CAPTION_GRAPHEMES = 280;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Normalises a caption block: NFC, control and bidi-override characters removed (they would
 * draw as boxes or reorder text invisibly), whitespace runs collapsed to one space, trimmed,
 * and cut to MAX_CAPTION_GRAPHEMES. Returns '' for text with nothing drawable left.
 */
export function cleanCaption(text: string): string {
  const cleaned = text
    .normalize('NFC')
    .replace(/[\t\n\r\v\f\u0085\u2028\u2029]+/g, ' ')
    // Control characters (C0, DEL, C1: \p{Cc}), bidi embeddings/overrides/isolates, BOM.
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069\ufeff]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  const clusters = splitGraphemes(cleaned);
  return clusters.length > MAX_CAPTION_GRAPHEMES
    ? clusters.slice(0, MAX_CAPTION_GRAPHEMES).join('').trim()
    : cleaned;
}

/** User-perceived characters, so cutting text never splits an emoji or a combining mark. */
export function splitGraphemes(text: string): string[] {
  return Array.from(graphemes.segment(text), (part) => part.segment);
}

/** Classic meme text is upper case; scripts without case (CJK, Arabic, emoji) pass unchanged. */
export function memeCase(text: string): string {
  return text.toLocaleUpperCase('en-US');
}

/** True when the text contains Han, Kana or Hangul, which wrap between characters, not at spaces. */
export function hasCjk(text: string): boolean {
  return /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/u.test(text);
}
