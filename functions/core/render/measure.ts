/** Text measurement with the bundled fonts, for the layout engine. */
import { createCanvas } from './canvas';
import { fontShorthand, registerBundledFonts } from './fonts';
import { Measurer } from './layout';

/** Widths are measured once at this size and scaled: glyph advances scale linearly with size. */
const REFERENCE_SIZE = 100;
const CACHE_LIMIT = 20_000;

/**
 * A Measurer backed by canvas. Fitting a caption measures the same words at many sizes,
 * so widths are cached per (font, text) at one reference size.
 */
export function canvasMeasurer(): Measurer {
  registerBundledFonts();
  const ctx = createCanvas(1, 1).getContext('2d');
  const widths = new Map<string, number>();
  return (text, family, sizePx) => {
    const key = `${family}\u0000${text}`;
    let width = widths.get(key);
    if (width === undefined) {
      ctx.font = fontShorthand(family, REFERENCE_SIZE);
      width = ctx.measureText(text).width;
      if (widths.size >= CACHE_LIMIT) widths.clear();
      widths.set(key, width);
    }
    return (width * sizePx) / REFERENCE_SIZE;
  };
}

let shared: Measurer | undefined;

/** One measurer per process, so its cache of word widths serves every meme. */
export function sharedMeasurer(): Measurer {
  shared ??= canvasMeasurer();
  return shared;
}
