/**
 * What a render can be asked for (style, output format, size) and the error for asking
 * wrongly, apart from the drawing code: the upload API and the settings check these
 * without loading the canvas, sharp or the fonts.
 */
export const MEME_STYLES = ['classic', 'label', 'faces'] as const;
export type MemeStyle = (typeof MEME_STYLES)[number];

export function isMemeStyle(value: string): value is MemeStyle {
  return (MEME_STYLES as readonly string[]).includes(value);
}

export const OUTPUT_FORMATS = ['jpeg', 'webp', 'png'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const DEFAULT_MAX_SIDE = 1600;
export const DEFAULT_QUALITY = 88;

/** Options a user got wrong: unknown style, language or format, out-of-range numbers. */
export class RenderOptionError extends Error {
  override readonly name = 'RenderOptionError';
  readonly code = 'BAD_OPTION';
}
