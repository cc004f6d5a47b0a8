/**
 * Core's vocabulary: the choices a caller makes (meme style, caption language, output
 * format), the expressions the models read, the kinds of caption the library writes, and
 * the default limits. Dependency-free on purpose: code that only checks a request (the
 * `upload` function, the wire contract in functions/cloud/contract.ts) loads this and not
 * the models, sharp or canvas, and the upload page's browser type-check, which has no Node
 * types, can read it. index.ts re-exports all of it.
 */
export { EMOTIONS } from './emotions';
// The errors a user can fix, so a handler can tell them from bugs without loading the decoder
// or the renderer.
export { ImageError, RenderOptionError } from './errors';
export type { ImageErrorCode } from './errors';
export type { Emotion, EmotionScores } from './emotions';

export const MEME_STYLES = ['classic', 'label', 'faces'] as const;
export type MemeStyle = (typeof MEME_STYLES)[number];

export function isMemeStyle(value: string): value is MemeStyle {
  return (MEME_STYLES as readonly string[]).includes(value);
}

export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

export function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}

export const OUTPUT_FORMATS = ['jpeg', 'webp', 'png'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/** Which part of the caption library a library caption came from. */
export type CaptionKind = 'expression' | 'unsure' | 'noFace' | 'together' | 'contrast';

/** Long side of a meme in pixels, the label band included. */
export const DEFAULT_MAX_SIDE = 1600;
/** ~50 megapixels: a 8660×5773 photo; larger inputs are refused before decoding. */
export const DEFAULT_LIMIT_INPUT_PIXELS = 50_000_000;
