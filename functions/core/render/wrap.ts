/**
 * Line breaking and font-size fitting for caption blocks. Pure: text is measured through a
 * callback, so the same code is driven by canvas in production and by simple metrics in tests.
 */
import { splitGraphemes } from './text';

/** Width in pixels of `text` at font size `sizePx`. */
export type MeasureText = (text: string, sizePx: number) => number;

export interface FitRules {
  maxWidth: number;
  maxHeight: number;
  maxLines: number;
  maxSize: number;
  /** Below this the text is not shrunk further but shortened with an ellipsis. */
  minSize: number;
  /** Line advance as a multiple of the font size. */
  lineHeight: number;
}

export interface FittedText {
  size: number;
  lines: string[];
  /** Widths of `lines` at `size`. */
  widths: number[];
  /** True when the text had to be shortened with an ellipsis to fit at the minimum size. */
  truncated: boolean;
}

export const ELLIPSIS = '…';
const words = new Intl.Segmenter('zh', { granularity: 'word' });

/**
 * Break opportunities. ICU's word segmenter splits Latin text into words and Chinese into
 * words too; segments are merged so a line may break only after a space or between CJK
 * words, never before closing punctuation ("HELLO," / "，") or after opening punctuation.
 */
export function breakUnits(text: string): string[] {
  const units: string[] = [];
  for (const { segment } of words.segment(text)) {
    const previous = units[units.length - 1];
    if (previous === undefined || !mayBreakBetween(previous, segment)) {
      if (previous === undefined) units.push(segment);
      else units[units.length - 1] = previous + segment;
    } else {
      units.push(segment);
    }
  }
  return units;
}

const CLOSING = /^[\p{Pe}\p{Pf}\p{Po}]/u;
const OPENING = /[\p{Ps}\p{Pi}]$/u;
const CJK_END = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]$/u;
const CJK_START = /^[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/u;

function mayBreakBetween(before: string, after: string): boolean {
  if (/^\s/.test(after) || CLOSING.test(after) || OPENING.test(before)) return false;
  return /\s$/.test(before) || CJK_END.test(before) || CJK_START.test(after);
}

/** Greedy wrap to `maxWidth`; a unit wider than a line is split between grapheme clusters. */
export function wrapLines(text: string, maxWidth: number, measure: (text: string) => number): string[] {
  return wrapUnits(breakUnits(text), maxWidth, measure);
}

/** wrapLines over break units found once: segmenting costs most when a text is wrapped at many widths. */
function wrapUnits(units: readonly string[], maxWidth: number, measure: (text: string) => number): string[] {
  const lines: string[] = [];
  let line = '';
  const push = (unit: string): void => {
    const candidate = line + unit;
    if (line === '' || measure(candidate.trimEnd()) <= maxWidth) {
      line = candidate;
      return;
    }
    lines.push(line.trimEnd());
    line = unit.trimStart();
  };
  for (const unit of units) {
    if (measure(unit.trimEnd()) <= maxWidth) {
      push(unit);
      continue;
    }
    for (const cluster of splitGraphemes(unit)) push(cluster);
  }
  if (line.trim() !== '') lines.push(line.trimEnd());
  return lines;
}

/**
 * Greedy wrapping leaves ragged blocks ("A VERY LONG FIRST LINE / HI"). Find the narrowest
 * width that still needs no more lines, so the lines come out even.
 */
export function balancedLines(text: string, maxWidth: number, measure: (text: string) => number): string[] {
  const units = breakUnits(text);
  const greedy = wrapUnits(units, maxWidth, measure);
  if (greedy.length <= 1) return greedy;
  let low = 0;
  let high = maxWidth;
  let best = greedy;
  for (let step = 0; step < 12 && high - low > 1; step++) {
    const width = (low + high) / 2;
    const lines = wrapUnits(units, width, measure);
    if (lines.length <= greedy.length && lines.every((line) => measure(line) <= width)) {
      best = lines;
      high = width;
    } else {
      low = width;
    }
  }
  return best;
}

/**
 * Largest font size at which the text wraps into the box; an ellipsis at the minimum size
 * otherwise. A newline in `text` starts a new paragraph (a new line).
 */
export function fitText(text: string, rules: FitRules, measure: MeasureText): FittedText {
  const paragraphs = text.split('\n').filter((paragraph) => paragraph.trim() !== '');
  const layoutAt = (size: number): string[] =>
    paragraphs.flatMap((paragraph) =>
      balancedLines(paragraph, rules.maxWidth, (part) => measure(part, size)),
    );
  // Balancing never adds a line, so the size search can use the cheaper greedy wrap.
  const paragraphUnits = paragraphs.map(breakUnits);
  const greedyAt = (size: number): string[] =>
    paragraphUnits.flatMap((units) => wrapUnits(units, rules.maxWidth, (part) => measure(part, size)));
  const linesThatFit = (size: number): number =>
    Math.min(rules.maxLines, Math.floor(rules.maxHeight / (size * rules.lineHeight) + 1e-9));
  const minSize = Math.min(rules.minSize, rules.maxSize);
  // Words are split mid-word only when one is wider than the line even at the minimum size;
  // otherwise a size that would split a word does not count as fitting.
  const units = paragraphUnits.flatMap((list) => list.map((unit) => unit.trimEnd()));
  const widestUnitFits = (size: number): boolean =>
    units.every((unit) => measure(unit, size) <= rules.maxWidth);
  const mustSplitWords = !widestUnitFits(minSize);
  const fits = (size: number): boolean => {
    if (!mustSplitWords && !widestUnitFits(size)) return false;
    const lines = greedyAt(size);
    return lines.length <= linesThatFit(size) && lines.every((line) => measure(line, size) <= rules.maxWidth);
  };
  if (fits(minSize)) {
    let low = minSize;
    let high = rules.maxSize;
    if (fits(high)) low = high;
    while (high - low > 0.5) {
      const middle = (low + high) / 2;
      if (fits(middle)) low = middle;
      else high = middle;
    }
    const size = Math.floor(low * 2) / 2;
    const lines = layoutAt(size);
    return { size, lines, widths: lines.map((line) => measure(line, size)), truncated: false };
  }
  // Even one line at the minimum size may be taller than a tiny picture's box: shrink further
  // rather than let text leave the picture.
  const size = Math.min(minSize, rules.maxHeight / rules.lineHeight);
  const lines = truncateToFit(layoutAt(size), Math.max(1, linesThatFit(size)), rules.maxWidth, (part) =>
    measure(part, size),
  );
  return { size, lines, widths: lines.map((line) => measure(line, size)), truncated: true };
}

/** Keeps the first lines and ends the last one with an ellipsis that fits the width. */
function truncateToFit(
  lines: string[],
  maxLines: number,
  maxWidth: number,
  measure: (text: string) => number,
): string[] {
  const kept = lines.slice(0, maxLines);
  kept[kept.length - 1] = withEllipsis(kept[kept.length - 1] ?? '', maxWidth, measure);
  return kept;
}

/** The longest start of `text`, cut between grapheme clusters, that fits `maxWidth` with "…" after it. */
export function withEllipsis(text: string, maxWidth: number, measure: (text: string) => number): string {
  const clusters = splitGraphemes(text);
  while (clusters.length > 0 && measure(clusters.join('').trimEnd() + ELLIPSIS) > maxWidth) clusters.pop();
  return clusters.join('').trimEnd() + ELLIPSIS;
}

/**
 * For each line count n = 1..maxLines, the largest size in [minSize, maxSize] (to 0.5 px) at
 * which `text` wraps into at most n lines of `maxWidth` under fitText's rules (no word split
 * unless one is wider than the line even at minSize); 0 where even minSize needs more lines.
 * With these, the size that fits a band of any height is a few multiplications, so layout
 * can weigh many candidate bands without wrapping the text again for each.
 */
export function sizesByLineCount(
  text: string,
  maxWidth: number,
  maxLines: number,
  minSize: number,
  maxSize: number,
  measure: MeasureText,
): number[] {
  const paragraphUnits = text
    .split('\n')
    .filter((paragraph) => paragraph.trim() !== '')
    .map(breakUnits);
  const units = paragraphUnits.flatMap((list) => list.map((unit) => unit.trimEnd()));
  const widestUnitFits = (size: number): boolean => units.every((unit) => measure(unit, size) <= maxWidth);
  const low = Math.min(minSize, maxSize);
  const mustSplitWords = !widestUnitFits(low);
  const lineCount = (size: number): number => {
    if (!mustSplitWords && !widestUnitFits(size)) return Infinity;
    const lines = paragraphUnits.flatMap((list) => wrapUnits(list, maxWidth, (part) => measure(part, size)));
    return lines.every((line) => measure(line, size) <= maxWidth) ? lines.length : Infinity;
  };
  const sizes: number[] = [];
  for (let lines = 1; lines <= maxLines; lines++) {
    if (lineCount(low) > lines) {
      sizes.push(0);
      continue;
    }
    let fits = Math.max(low, sizes[sizes.length - 1] ?? low);
    let fails = maxSize;
    if (lineCount(maxSize) <= lines) fits = fails = maxSize;
    while (fails - fits > 0.5) {
      const middle = (fits + fails) / 2;
      if (lineCount(middle) <= lines) fits = middle;
      else fails = middle;
    }
    sizes.push(Math.max(low, Math.floor(fits * 2) / 2));
  }
  return sizes;
}
