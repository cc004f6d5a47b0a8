/** Building blocks shared by the layout planners: block geometry, margins and box arithmetic. */
import { Box } from '../geometry';
import type { BlockRole, TextBlock } from './layout';
import { FittedText } from './wrap';

export const CLASSIC_LINE_HEIGHT = 1.12;
export const CJK_LINE_HEIGHT = 1.3;
/**
 * Accents on capitals (É, Å) rise about a quarter em above the line box of tight meme
 * leading; blocks keep that much room above their first line so no ink leaves the block.
 */
export const ACCENT_ROOM = 0.28;
/** The classic outline's width as a share of the font size (at least 1 px). */
export const STROKE_SHARE = 0.14;
export const MAX_LINES = 3;

export function strokeOf(size: number): number {
  return Math.max(1, size * STROKE_SHARE);
}

/** Height of an outlined classic block of `lines` lines at `size`. */
export function classicBlockHeight(lines: number, size: number, lineHeight: number): number {
  return lines * size * lineHeight + strokeOf(size) + ACCENT_ROOM * size;
}

/** The margin kept between text and the picture's edges (and between text and faces). */
export function padding(width: number, height: number): number {
  return Math.max(2, Math.round(0.03 * Math.min(width, height)));
}

/** A block of lines centred on x = width / 2 (the picture's middle, or twice a moved block's), its ink box starting at `top`. */
export function centredBlock(
  role: BlockRole,
  family: string,
  fitted: FittedText,
  lineHeight: number,
  top: number,
  stroke: number,
  width: number,
  look: TextBlock['look'],
): TextBlock {
  const advance = fitted.size * lineHeight;
  const room = ACCENT_ROOM * fitted.size;
  const origins = fitted.lines.map((_, i) => ({
    x: (width - fitted.widths[i]!) / 2,
    y: top + stroke / 2 + room + (i + 0.5) * advance,
  }));
  const widest = Math.max(...fitted.widths);
  return {
    role,
    family,
    size: fitted.size,
    lines: fitted.lines,
    origins,
    box: {
      x: (width - widest - stroke) / 2,
      y: top,
      width: widest + stroke,
      height: fitted.lines.length * advance + stroke + room,
    },
    lineHeight,
    look,
    strokeWidth: stroke,
    truncated: fitted.truncated,
  };
}

export function overlapArea(a: Box, b: Box | undefined): number {
  if (!b) return 0;
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

export function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}
