/**
 * Where classic top and bottom text goes. Faces (and, in the `faces` style, their tags) are
 * obstacles. Text keeps clear of every obstacle whenever some placement shows the whole
 * caption at a readable size; only when none does is something covered, the least of it,
 * weighted by what matters (see faceRegions.ts).
 *
 * Candidates: the usual top and bottom bands, and every horizontal band free of faces, each
 * used whole (top text at its top, bottom text at its bottom), halved (both texts in one band:
 * top text high, bottom text low) or spilling over a face. Text sizes for a band come from the
 * caption's largest size per line count, worked out once, so weighing a candidate costs no
 * wrapping; bands are capped (MAX_BANDS), so 50 faces cost little more than 5.
 */
import { Box } from '../geometry';
import {
  ACCENT_ROOM,
  CJK_LINE_HEIGHT,
  CLASSIC_LINE_HEIGHT,
  centredBlock,
  clamp,
  classicBlockHeight,
  MAX_LINES,
  overlapArea,
  padding,
  STROKE_SHARE,
  strokeOf,
} from './blocks';
import { FAMILY } from './fonts';
import type { CaptionText, Measurer, TextBlock } from './layout';
import { hasCjk, memeCase } from './text';
import { balancedLines, fitText, FitRules, sizesByLineCount } from './wrap';

export interface Obstacle {
  /** Kept clear of text whenever a readable placement exists: a face widened to forehead and chin. */
  region: Box;
  /** The part that matters most, the face itself: covering it costs CORE_COST times more. */
  core: Box;
  /** Cost of covering one pixel (faceImportance). */
  weight: number;
}

/**
 * The smallest text a face-clear placement may use, as a share of the meme's height; never
 * below the fitter's own minimum (3.5 % of the width, 6–24 px), which keeps text on a wide,
 * short picture from shrinking to a thin line.
 */
export const READABLE_SHARE = 0.04;
/** A clear placement whose text keeps this share of its usual size counts as full size. */
const COMFORTABLE = 0.6;
/** At most this many free bands are weighed (the tallest): bounds the work for crowds. */
export const MAX_BANDS = 6;
const CORE_COST = 4;
/** Text flush with a side of the picture instead of centred counts as this far (a share of the height) from its usual place. */
const SIDEWAYS = 0.1;

type Role = 'top' | 'bottom';

interface Caption {
  role: Role;
  text: string;
  lineHeight: number;
  /** Largest size per line count (index 0: one line); 0 where the text cannot be whole in that many. */
  sizes: number[];
  minSize: number;
  maxWidth: number;
  /** Size in the usual band: what "full size" means for this text. */
  usual: number;
  /** The smallest size a clear placement may use. */
  readable: number;
  /** Wrapped lines per size, so each size is laid out once. */
  wrapped: Map<number, { lines: string[]; widths: number[] }>;
}

interface Candidate {
  role: Role;
  caption: Caption;
  size: number;
  box: Box;
  /** Weighted cover of the obstacles; 0 when clear of all of them. */
  cost: number;
  /** Also clear of every obstacle's rows: undetected faces beside detected ones are spared too. */
  rowClear: boolean;
  /** How far the block is from its usual place (top text at the top, bottom text at the bottom). */
  displacement: number;
}

export interface ClassicRequest {
  width: number;
  height: number;
  caption: CaptionText;
  measure: Measurer;
  obstacles: readonly Obstacle[];
}

export function placeClassic(request: ClassicRequest): TextBlock[] {
  const { width, height } = request;
  const roles = (['top', 'bottom'] as const).filter((role) => (request.caption[role] ?? '') !== '');
  if (roles.length === 0) return [];
  const pad = padding(width, height);
  const maxBlock = height * (roles.length === 2 ? 0.3 : 0.36);
  const maxSize = Math.min(width * 0.11, height * 0.16);
  const captions = roles.map((role) =>
    prepareCaption(role, memeCase(request.caption[role]!), request, maxSize, maxBlock),
  );
  // Text too long to show whole even at the smallest size: it is cut with an ellipsis in the
  // usual bands, as before; placement cannot help it.
  if (captions.some((caption) => caption.usual === 0))
    return usualBlocks(captions, request, pad, maxBlock, maxSize);

  const bands = freeBands(request.obstacles, pad, height, maxBlock, captions);
  const candidates = captions.flatMap((caption) => candidatesFor(caption, request, pad, maxBlock, bands));
  const plans: Candidate[][] =
    roles.length === 1
      ? candidates.map((candidate) => [candidate])
      : candidates
          .filter((top) => top.role === 'top')
          .flatMap((top) =>
            candidates
              .filter(
                (bottom) => bottom.role === 'bottom' && top.box.y + top.box.height <= bottom.box.y + 0.5,
              )
              .map((bottom) => [top, bottom]),
          );
  const best = choosePlan(plans);
  return best ? best.map(toBlock) : usualBlocks(captions, request, pad, maxBlock, maxSize);
}

function prepareCaption(
  role: Role,
  text: string,
  request: ClassicRequest,
  maxSize: number,
  maxBlock: number,
): Caption {
  const { width, height, measure } = request;
  const pad = padding(width, height);
  const lineHeight = hasCjk(text) ? CJK_LINE_HEIGHT : CLASSIC_LINE_HEIGHT;
  const maxWidth = width - 2 * pad - strokeOf(maxSize);
  const minSize = Math.min(clamp(width * 0.035, 6, 24), maxSize);
  const sizes = sizesByLineCount(text, maxWidth, MAX_LINES, minSize, maxSize, (part, size) =>
    measure(part, FAMILY.impact, size),
  );
  const caption: Caption = {
    role,
    text,
    lineHeight,
    sizes,
    minSize,
    maxWidth,
    usual: 0,
    readable: 0,
    wrapped: new Map(),
  };
  caption.usual = sizeFor(caption, maxBlock);
  caption.readable = Math.min(caption.usual, Math.max(caption.minSize, READABLE_SHARE * height));
  return caption;
}

/** The largest size (to 0.5 px) at which the caption fits whole in a block `blockHeight` tall; 0 if none. */
function sizeFor(caption: Caption, blockHeight: number): number {
  let best = 0;
  caption.sizes.forEach((largest, i) => {
    if (largest === 0) return;
    const lines = i + 1;
    // classicBlockHeight(lines, size) ≤ blockHeight, for both branches of the 1 px minimum stroke.
    const byHeight = Math.min(
      blockHeight / (lines * caption.lineHeight + ACCENT_ROOM + STROKE_SHARE),
      (blockHeight - 1) / (lines * caption.lineHeight + ACCENT_ROOM),
    );
    best = Math.max(best, Math.min(largest, byHeight));
  });
  const size = Math.floor(best * 2) / 2;
  return size >= caption.minSize ? size : best >= caption.minSize ? best : 0;
}

interface Band {
  y0: number;
  y1: number;
}

/**
 * Horizontal bands with no obstacle in any column, a gap away from them, tall enough for a
 * line of readable text; the MAX_BANDS tallest, top to bottom.
 */
function freeBands(
  obstacles: readonly Obstacle[],
  pad: number,
  height: number,
  maxBlock: number,
  captions: readonly Caption[],
): Band[] {
  const blocked = obstacles
    .map(({ region }) => ({ y0: region.y - pad, y1: region.y + region.height + pad }))
    .sort((a, b) => a.y0 - b.y0);
  const bands: Band[] = [];
  let y = pad;
  for (const interval of blocked) {
    if (interval.y0 > y) bands.push({ y0: y, y1: Math.min(interval.y0, height - pad) });
    y = Math.max(y, interval.y1);
  }
  if (y < height - pad) bands.push({ y0: y, y1: height - pad });
  const smallest = Math.min(
    ...captions.map((caption) => classicBlockHeight(1, caption.readable, caption.lineHeight)),
  );
  return bands
    .filter((band) => band.y1 - band.y0 >= Math.min(smallest, maxBlock))
    .sort((a, b) => b.y1 - b.y0 - (a.y1 - a.y0))
    .slice(0, MAX_BANDS)
    .sort((a, b) => a.y0 - b.y0);
}

/**
 * Placements for one caption: the usual band, and each free band whole, halved (to share it
 * with the other text) or overflowing onto what lies beyond, each at the largest size that
 * fits and, where smaller, at the readable size (covering less when something must be covered).
 */
function candidatesFor(
  caption: Caption,
  request: ClassicRequest,
  pad: number,
  maxBlock: number,
  bands: readonly Band[],
): Candidate[] {
  const { height } = request;
  const top = caption.role === 'top';
  // [anchor, room]: the block starts at the anchor (top text) or ends there (bottom text).
  const places: [number, number][] = [top ? [pad, maxBlock] : [height - pad, maxBlock]];
  const alone = (request.caption.top ?? '') === '' || (request.caption.bottom ?? '') === '';
  for (const band of bands) {
    const anchor = top ? band.y0 : band.y1;
    const beyond = top ? height - pad - band.y0 : band.y1 - pad;
    const room = band.y1 - band.y0;
    places.push(
      [anchor, Math.min(maxBlock, room)],
      [anchor, Math.min(maxBlock, room / 2)],
      [anchor, Math.min(maxBlock, beyond)],
    );
  }
  const seen = new Set<string>();
  const list: Candidate[] = [];
  const add = (anchor: number, room: number, role: Role): void => {
    const largest = sizeFor(caption, room);
    if (largest === 0) return;
    for (const size of new Set([largest, Math.min(largest, caption.readable)])) {
      const key = `${role}:${anchor}:${size}`;
      if (seen.has(key)) continue;
      seen.add(key);
      list.push(...candidates(caption, request, anchor, size, pad, role === 'top' ? 'start' : 'end'));
    }
  };
  for (const [anchor, room] of places) add(anchor, room, caption.role);
  // A caption alone may also take the other edge: a bottom line under a face at the top.
  if (alone) add(top ? height - pad : pad, maxBlock, top ? 'bottom' : 'top');
  return list;
}

/** The caption at one anchor and size: centred, and flush left and right when it is narrower than the picture. */
function candidates(
  caption: Caption,
  request: ClassicRequest,
  anchor: number,
  size: number,
  pad: number,
  side: 'start' | 'end',
): Candidate[] {
  const { width, height, obstacles } = request;
  const { lines, widths } = wrapped(caption, size, request.measure);
  const stroke = strokeOf(size);
  const blockHeight = classicBlockHeight(lines.length, size, caption.lineHeight);
  const blockWidth = Math.max(...widths) + stroke;
  const y = side === 'start' ? anchor : anchor - blockHeight;
  const usualPlace = caption.role === 'top' ? pad : height - pad - blockHeight;
  const centred = (width - blockWidth) / 2;
  // Off-centre text is less usual: it counts as displaced by SIDEWAYS of the height.
  const xs: [number, number][] = [[centred, 0]];
  if (centred - pad > 0.05 * width) xs.push([pad, SIDEWAYS], [width - pad - blockWidth, SIDEWAYS]);
  return xs.map(([x, sideways]) => {
    const box: Box = { x, y, width: blockWidth, height: blockHeight };
    // Half the margin between text and the picture's edge is kept between text and a face's side.
    const reach: Box = { x: x - pad / 2, y, width: blockWidth + pad, height: blockHeight };
    let cost = 0;
    let rowClear = true;
    for (const obstacle of obstacles) {
      cost +=
        obstacle.weight * (overlapArea(reach, obstacle.region) + CORE_COST * overlapArea(box, obstacle.core));
      if (y < obstacle.region.y + obstacle.region.height && obstacle.region.y < y + blockHeight)
        rowClear = false;
    }
    return {
      role: caption.role,
      caption,
      size,
      box,
      cost,
      rowClear,
      displacement: Math.abs(y - usualPlace) / height + sideways,
    };
  });
}

function wrapped(caption: Caption, size: number, measure: Measurer): { lines: string[]; widths: number[] } {
  let result = caption.wrapped.get(size);
  if (!result) {
    const at = (part: string): number => measure(part, FAMILY.impact, size);
    const lines = balancedLines(caption.text, caption.maxWidth, at);
    result = { lines, widths: lines.map(at) };
    caption.wrapped.set(size, result);
  }
  return result;
}

/**
 * The plan to draw. If some plan keeps every text readable and clear of every obstacle:
 * the one with full-size text, clear of faces' rows too, nearest the usual places, largest
 * text, in that order of preference. Otherwise the readable plan covering least (weighted),
 * larger text breaking near-ties.
 */
function choosePlan(plans: Candidate[][]): Candidate[] | undefined {
  const readable = plans.filter((plan) => plan.every((c) => c.size >= c.caption.readable - 1e-9));
  const pool = readable.length > 0 ? readable : plans;
  const ratio = (plan: Candidate[]): number => Math.min(...plan.map((c) => c.size / c.caption.usual));
  const cost = (plan: Candidate[]): number => plan.reduce((sum, c) => sum + c.cost, 0);
  const displacement = (plan: Candidate[]): number => plan.reduce((sum, c) => sum + c.displacement, 0);
  const clear = pool.filter((plan) => cost(plan) === 0);
  if (clear.length > 0) {
    const key = (plan: Candidate[]): number[] => [
      ratio(plan) >= COMFORTABLE ? 0 : 1,
      plan.every((c) => c.rowClear) ? 0 : 1,
      Math.round(displacement(plan) * 50), // 2 % of the height is "as near"
      -ratio(plan),
    ];
    return minimumBy(clear, key);
  }
  const least = Math.min(...pool.map(cost));
  // Within 2 % of the least cover counts as a tie: then the larger text wins.
  const near = pool.filter((plan) => cost(plan) <= least * 1.02 + 1e-9);
  return minimumBy(near, (plan) => [-ratio(plan), displacement(plan)]);
}

/** The item whose key is smallest, comparing keys element by element; the first one on ties. */
function minimumBy<T>(items: readonly T[], key: (item: T) => number[]): T | undefined {
  let best: { item: T; key: number[] } | undefined;
  for (const item of items) {
    const k = key(item);
    if (!best || lexicographic(k, best.key) < 0) best = { item, key: k };
  }
  return best?.item;
}

function lexicographic(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function toBlock(chosen: Candidate): TextBlock {
  const { caption, size, box } = chosen;
  const { lines, widths } = caption.wrapped.get(size)!;
  // Lines centred on the block's middle: the picture's, unless the block was moved sideways.
  return centredBlock(
    chosen.role,
    FAMILY.impact,
    { size, lines, widths, truncated: false },
    caption.lineHeight,
    box.y,
    strokeOf(size),
    2 * box.x + box.width,
    'outlined',
  );
}

/** Top text in the top band and bottom text in the bottom band, shortened with an ellipsis if need be. */
function usualBlocks(
  captions: readonly Caption[],
  request: ClassicRequest,
  pad: number,
  maxBlock: number,
  maxSize: number,
): TextBlock[] {
  const { width, height, measure } = request;
  return captions.map((caption) => {
    const room = maxBlock - strokeOf(maxSize) - ACCENT_ROOM * maxSize;
    const rules: FitRules = {
      maxWidth: caption.maxWidth,
      maxHeight: room,
      maxLines: MAX_LINES,
      maxSize,
      minSize: caption.minSize,
      lineHeight: caption.lineHeight,
    };
    const fitted = fitText(caption.text, rules, (part, size) => measure(part, FAMILY.impact, size));
    const stroke = strokeOf(fitted.size);
    const blockHeight = classicBlockHeight(fitted.lines.length, fitted.size, caption.lineHeight);
    const top = caption.role === 'top' ? pad : height - pad - blockHeight;
    return centredBlock(
      caption.role,
      FAMILY.impact,
      fitted,
      caption.lineHeight,
      top,
      stroke,
      width,
      'outlined',
    );
  });
}
