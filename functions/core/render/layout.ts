/**
 * Where every piece of text goes on a meme: pure geometry over the picture size, the face
 * boxes and a text-measuring callback. Drawing (draw.ts) follows this plan exactly, and
 * tests check the plan: text inside the picture, off the main face whenever possible.
 */
import { Box } from '../geometry';
import { FAMILY } from './fonts';
import { hasCjk, memeCase } from './text';
import { fitText, FitRules, FittedText, withEllipsis } from './wrap';
import { MemeStyle } from '../vocabulary';

/** Width of `text` in pixels in font `family` at `sizePx`. */
export type Measurer = (text: string, family: string, sizePx: number) => number;

export interface CaptionText {
  top?: string;
  bottom?: string;
}

export interface LayoutFace {
  box: Box;
  /** Text of the face's tag in the `faces` style, e.g. "😄 happy 92%". */
  tag: string;
}

export interface LayoutRequest {
  style: MemeStyle;
  /** Size the photo is drawn at. */
  width: number;
  height: number;
  /** Faces in drawn-photo pixels; the largest is the main face. */
  faces: LayoutFace[];
  caption: CaptionText;
  measure: Measurer;
}

export type BlockRole = 'top' | 'bottom' | 'label' | 'tag';

export interface TextBlock {
  role: BlockRole;
  family: string;
  size: number;
  lines: string[];
  /** Left edge of each line's text and the y of each line's centre (capitals are centred on it), in canvas pixels. */
  origins: { x: number; y: number }[];
  /** Ink extent of the block including its outline or background, in canvas pixels. */
  box: Box;
  lineHeight: number;
  look: 'outlined' | 'plain' | 'tag';
  /** Outline width (outlined) or background padding (tag), in pixels. */
  strokeWidth: number;
  truncated: boolean;
}

export interface MemeLayout {
  /** Canvas size: the photo plus, for `label`, the band above it. */
  width: number;
  height: number;
  /** Where the photo goes on the canvas. */
  photo: Box;
  /** A white band drawn behind the label text (`label` style). */
  band?: Box;
  blocks: TextBlock[];
  /** The region kept clear of text when possible (main face, widened to forehead and chin), canvas pixels. */
  mainFace?: Box;
}

const CLASSIC_LINE_HEIGHT = 1.12;
/**
 * Accents on capitals (É, Å) rise about a quarter em above the line box of tight meme
 * leading; blocks keep that much room above their first line so no ink leaves the block.
 */
const ACCENT_ROOM = 0.28;
const CJK_LINE_HEIGHT = 1.3;
const LABEL_LINE_HEIGHT = 1.28;
const MAX_LINES = 3;
/** A face-clear placement is taken without looking further when its text keeps this share of its usual size. */
const COMFORTABLE = 0.6;
const LABEL_MAX_LINES = 6;
const TAG_LINE_HEIGHT = 1.5;

export function layoutMeme(request: LayoutRequest): MemeLayout {
  const { width, height } = request;
  const main = mainFaceRegion(request.faces, width, height);
  switch (request.style) {
    case 'classic':
      return {
        width,
        height,
        photo: { x: 0, y: 0, width, height },
        blocks: classicBlocks(request, main),
        mainFace: main,
      };
    case 'label':
      return labelLayout(request, main);
    case 'faces': {
      const blocks = [...tagBlocks(request, main), ...classicBlocks(request, main)];
      return { width, height, photo: { x: 0, y: 0, width, height }, blocks, mainFace: main };
    }
  }
}

/** The largest face, widened for hair and chin the detector's box leaves out. */
export function mainFaceRegion(faces: readonly LayoutFace[], width: number, height: number): Box | undefined {
  if (faces.length === 0) return undefined;
  const box = faces.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a)).box;
  const x0 = Math.max(0, box.x - 0.1 * box.width);
  const x1 = Math.min(width, box.x + 1.1 * box.width);
  const y0 = Math.max(0, box.y - 0.25 * box.height);
  const y1 = Math.min(height, box.y + 1.1 * box.height);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

function padding(width: number, height: number): number {
  return Math.max(2, Math.round(0.03 * Math.min(width, height)));
}

interface Interval {
  y0: number;
  y1: number;
}

/**
 * Classic top/bottom text. Each block goes in a horizontal band clear of the main face when
 * its text fits there without being shortened: top text above the face, bottom text below,
 * or both stacked in whichever band exists. Otherwise the usual top and bottom bands are
 * used and the text covers the face, because no clear placement exists.
 */
function classicBlocks(request: LayoutRequest, main: Box | undefined): TextBlock[] {
  const { width, height, caption, measure } = request;
  const roles = (['top', 'bottom'] as const).filter((role) => (caption[role] ?? '') !== '');
  if (roles.length === 0) return [];
  const pad = padding(width, height);
  const maxBlock = height * (roles.length === 2 ? 0.3 : 0.36);
  const place = (role: 'top' | 'bottom', band: Interval, anchor: 'start' | 'end'): TextBlock =>
    classicBlock(role, memeCase(caption[role]!), band, anchor, request.width, height, measure);

  const defaults = roles.map((role) =>
    role === 'top'
      ? place(role, { y0: pad, y1: pad + maxBlock }, 'start')
      : place(role, { y0: height - pad - maxBlock, y1: height - pad }, 'end'),
  );
  if (!main) return defaults;

  const gap = pad;
  const above: Interval = { y0: pad, y1: Math.min(main.y - gap, pad + maxBlock) };
  const below: Interval = {
    y0: Math.max(main.y + main.height + gap, height - pad - maxBlock),
    y1: height - pad,
  };
  // Two blocks stacked in one band may use twice the height of one.
  const aboveForTwo: Interval = { y0: pad, y1: Math.min(main.y - gap, pad + 2 * maxBlock) };
  const belowForTwo: Interval = {
    y0: Math.max(main.y + main.height + gap, height - pad - 2 * maxBlock),
    y1: height - pad,
  };
  const usable = (band: Interval): boolean => band.y1 - band.y0 > 0;
  const plans: Interval[][] =
    roles.length === 2
      ? [[above, below], splitBand(aboveForTwo), splitBand(belowForTwo)]
      : roles[0] === 'top'
        ? [[above], [below]]
        : [[below], [above]];
  // A clear plan must show the whole caption. Among those, take the first in reading order
  // whose text is at least COMFORTABLE of its usual size (a sliver above a face would make it
  // tiny), else the one that keeps the text largest.
  let best: { blocks: TextBlock[]; ratio: number } | undefined;
  for (const plan of plans) {
    if (!plan.every(usable)) continue;
    const blocks = roles.map((role, i) => place(role, plan[i]!, role === 'top' ? 'start' : 'end'));
    if (blocks.some((block) => block.truncated)) continue;
    const ratio = Math.min(...blocks.map((block, i) => block.size / defaults[i]!.size));
    if (ratio >= COMFORTABLE) return blocks;
    if (!best || ratio > best.ratio) best = { blocks, ratio };
  }
  // Covering the face is the last resort: only when no clear plan shows the whole caption.
  return best?.blocks ?? defaults;
}

/** Two blocks sharing one band: the top half for the top text, the bottom half for the bottom text. */
function splitBand(band: Interval): [Interval, Interval] {
  const middle = (band.y0 + band.y1) / 2;
  return [
    { y0: band.y0, y1: middle },
    { y0: middle, y1: band.y1 },
  ];
}

function classicBlock(
  role: 'top' | 'bottom',
  text: string,
  band: Interval,
  anchor: 'start' | 'end',
  width: number,
  height: number,
  measure: Measurer,
): TextBlock {
  const pad = padding(width, height);
  const lineHeight = hasCjk(text) ? CJK_LINE_HEIGHT : CLASSIC_LINE_HEIGHT;
  const family = FAMILY.impact;
  const strokeOf = (size: number): number => Math.max(1, size * 0.14);
  // The outline adds half its width on every side; fit the text inside what is left.
  const maxSize = Math.min(width * 0.11, height * 0.16);
  const rules: FitRules = {
    maxWidth: width - 2 * pad - strokeOf(maxSize),
    maxHeight: band.y1 - band.y0 - strokeOf(maxSize) - ACCENT_ROOM * maxSize,
    maxLines: MAX_LINES,
    maxSize,
    minSize: clamp(width * 0.035, 6, 24),
    lineHeight,
  };
  const fitted = fitText(text, rules, (part, size) => measure(part, family, size));
  const stroke = strokeOf(fitted.size);
  const blockHeight = fitted.lines.length * fitted.size * lineHeight + stroke + ACCENT_ROOM * fitted.size;
  const top = anchor === 'start' ? band.y0 : band.y1 - blockHeight;
  return centredBlock(role, family, fitted, lineHeight, top, stroke, width, 'outlined');
}

function centredBlock(
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

/**
 * The modern format: black text on a white band above the photo, left-aligned. Top and
 * bottom captions read as one sentence there. The band never covers the photo.
 */
function labelLayout(request: LayoutRequest, main: Box | undefined): MemeLayout {
  const { width, height, caption, measure } = request;
  // Setup and punchline stay separate lines, as people write them in this format.
  const text = [caption.top, caption.bottom].filter((part) => part && part !== '').join('\n');
  const pad = Math.max(4, Math.round(width * 0.04));
  const family = FAMILY.sans;
  const lineHeight = LABEL_LINE_HEIGHT;
  const rules: FitRules = {
    maxWidth: width - 2 * pad,
    maxHeight: Math.max(height * 0.6, 24),
    maxLines: LABEL_MAX_LINES,
    maxSize: clamp(width * 0.075, 8, 80),
    minSize: clamp(width * 0.035, 6, 28),
    lineHeight,
  };
  const fitted: FittedText =
    text === ''
      ? { size: 0, lines: [], widths: [], truncated: false }
      : fitText(text, rules, (part, size) => measure(part, family, size));
  const advance = fitted.size * lineHeight;
  const bandHeight =
    fitted.lines.length === 0 ? 0 : Math.round(fitted.lines.length * advance + 2 * pad * 0.75);
  const origins = fitted.lines.map((_, i) => ({ x: pad, y: pad * 0.75 + (i + 0.5) * advance }));
  const widest = Math.max(0, ...fitted.widths);
  const blocks: TextBlock[] =
    fitted.lines.length === 0
      ? []
      : [
          {
            role: 'label',
            family,
            size: fitted.size,
            lines: fitted.lines,
            origins,
            box: { x: pad, y: pad * 0.75, width: widest, height: fitted.lines.length * advance },
            lineHeight,
            look: 'plain',
            strokeWidth: 0,
            truncated: fitted.truncated,
          },
        ];
  const shift = (box: Box | undefined): Box | undefined => box && { ...box, y: box.y + bandHeight };
  return {
    width,
    height: height + bandHeight,
    photo: { x: 0, y: bandHeight, width, height },
    band: bandHeight > 0 ? { x: 0, y: 0, width, height: bandHeight } : undefined,
    blocks,
    mainFace: shift(main),
  };
}

/**
 * One tag per face, beside its box: above it, else below, else at its sides, whichever
 * covers the least of the main face, the other faces and tags already placed.
 */
function tagBlocks(request: LayoutRequest, main: Box | undefined): TextBlock[] {
  const { width, height, measure } = request;
  const pad = padding(width, height);
  const family = FAMILY.sansBold;
  const order = request.faces
    .map((_, i) => i)
    .sort((a, b) => faceArea(request.faces[b]!) - faceArea(request.faces[a]!));
  const placed: TextBlock[] = [];
  for (const index of order) {
    const face = request.faces[index]!;
    const size = clamp(face.box.width * 0.2, Math.max(8, width * 0.022), Math.max(8, width * 0.045));
    const inset = size * 0.45;
    const textWidth = measure(face.tag, family, size);
    const tagWidth = Math.min(textWidth + 2 * inset, width - 2 * pad);
    const tagHeight = size * TAG_LINE_HEIGHT;
    const box = face.box;
    const gap = Math.max(2, size * 0.25);
    const candidates: Box[] = [
      {
        x: box.x + box.width / 2 - tagWidth / 2,
        y: box.y - gap - tagHeight,
        width: tagWidth,
        height: tagHeight,
      },
      {
        x: box.x + box.width / 2 - tagWidth / 2,
        y: box.y + box.height + gap,
        width: tagWidth,
        height: tagHeight,
      },
      {
        x: box.x + box.width + gap,
        y: box.y + box.height / 2 - tagHeight / 2,
        width: tagWidth,
        height: tagHeight,
      },
      {
        x: box.x - gap - tagWidth,
        y: box.y + box.height / 2 - tagHeight / 2,
        width: tagWidth,
        height: tagHeight,
      },
    ].map((candidate) => keepInside(candidate, width, height, pad));
    // A face's own tag may sit on its hair (part of the main region), never on its face.
    const ownsMain = placed.length === 0 && main !== undefined;
    const cost = (candidate: Box): number =>
      (ownsMain ? 0 : 100 * overlapArea(candidate, main)) +
      10 * request.faces.reduce((sum, other) => sum + overlapArea(candidate, other.box), 0) +
      50 * placed.reduce((sum, tag) => sum + overlapArea(candidate, tag.box), 0);
    const best = candidates.reduce((a, b) => (cost(b) < cost(a) - 1e-6 ? b : a));
    const shown =
      textWidth + 2 * inset > tagWidth
        ? withEllipsis(face.tag, tagWidth - 2 * inset, (part) => measure(part, family, size))
        : face.tag;
    placed.push({
      role: 'tag',
      family,
      size,
      lines: [shown],
      origins: [{ x: best.x + inset, y: best.y + tagHeight / 2 }],
      box: best,
      lineHeight: TAG_LINE_HEIGHT,
      look: 'tag',
      strokeWidth: inset,
      truncated: shown !== face.tag,
    });
  }
  return placed;
}

function faceArea(face: LayoutFace): number {
  return face.box.width * face.box.height;
}

function keepInside(box: Box, width: number, height: number, pad: number): Box {
  return {
    ...box,
    x: clamp(box.x, pad, Math.max(pad, width - pad - box.width)),
    y: clamp(box.y, pad, Math.max(pad, height - pad - box.height)),
  };
}

export function overlapArea(a: Box, b: Box | undefined): number {
  if (!b) return 0;
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}
