/**
 * Face tags for the `faces` style: one per face, beside the face and joined to it by a short
 * pointer to a thin outline of the face. A tag never lies on another detected face or another
 * tag. It keeps off its own face too, shortened to its emoji and percentage if that makes
 * room; only a face spanning half the picture may have its tag on its own edge. A face left
 * without a tag (in a dense crowd) is better than a tag hiding someone.
 */
import { Box, Point } from '../geometry';
import { clamp, overlapArea, padding } from './blocks';
import { FAMILY } from './fonts';
import type { LayoutFace, Measurer, TextBlock } from './layout';
import { withEllipsis } from './wrap';

export const TAG_LINE_HEIGHT = 1.5;
/**
 * Tag text is at least this share of the meme's width: a meme fills a phone's width, about
 * 380 CSS px, where 2.8 % is 10.6 px, the smallest comfortable body text.
 */
export const TAG_MIN_SHARE = 0.028;
const TAG_MAX_SHARE = 0.045;
/**
 * Only the largest faces get tags: the analysis reads at most 20 faces anyway, and a picture
 * with more has no room for more readable tags; this also bounds the work for a crowd.
 */
export const MAX_TAGS = 20;

export interface TagRequest {
  width: number;
  height: number;
  faces: readonly LayoutFace[];
  /** Each face's region (faceRegion), in the same order: tags stay off all of them. */
  regions: readonly Box[];
  measure: Measurer;
}

export function placeTags(request: TagRequest): TextBlock[] {
  const { width, height, faces, regions } = request;
  const pad = padding(width, height);
  const family = FAMILY.sansBold;
  const minSize = Math.max(8, TAG_MIN_SHARE * width);
  const maxSize = Math.max(minSize, TAG_MAX_SHARE * width);
  // Largest faces choose first: their tags are the ones people read first.
  const order = faces
    .map((_, i) => i)
    .sort((a, b) => area(faces[b]!.box) - area(faces[a]!.box))
    .slice(0, MAX_TAGS);
  const placed: TextBlock[] = [];
  for (const index of order) {
    const face = faces[index]!;
    const region = regions[index]!;
    const size = Math.min(
      clamp(face.box.width * 0.22, minSize, maxSize),
      (height - 2 * pad) / TAG_LINE_HEIGHT,
    );
    const others = faces.flatMap((other, i) =>
      i === index ? [] : [{ box: other.box, region: regions[i]! }],
    );
    const own = { box: face.box, region };
    const full = placeTag(face.tag, size, own, others, placed, request, pad, family);
    // The full tag, unless the compact one sits clearly nearer its face (or off it).
    let chosen = full;
    if (!full || full.cost > SHORTEN_ABOVE) {
      const short = face.shortTag ?? compactTag(face.tag);
      const compact = placeTag(short, size, own, others, placed, request, pad, family);
      if (compact && (!full || compact.cost + SHORTEN_ABOVE < full.cost)) chosen = compact;
    }
    if (chosen) placed.push(chosen.block);
  }
  return placed;
}

/** Cost of a tag on its own face's forehead or chin, and on the face itself (tiers, not pixels). */
const OWN_REGION_COST = 100;
const OWN_FACE_COST = 1000;
/** A face whose region spans this share of the picture's height or width is big: see placeTag. */
const BIG_FACE = 0.5;
/** A tag costs about 2 when it sits a step (a tag's height) further out than the nearest spot. */
const SHORTEN_ABOVE = 2;

/** "😄 happy 92%" → "😄 92%": what a tag keeps when there is no room for the name. */
function compactTag(tag: string): string {
  const parts = tag.split(' ');
  return parts.length > 2 ? `${parts[0]} ${parts[parts.length - 1]}` : tag;
}

function placeTag(
  text: string,
  size: number,
  own: { box: Box; region: Box },
  others: readonly { box: Box; region: Box }[],
  placed: readonly TextBlock[],
  request: TagRequest,
  pad: number,
  family: string,
): { block: TextBlock; cost: number } | undefined {
  const { region } = own;
  const { width, height, measure } = request;
  const inset = size * 0.45;
  const textWidth = measure(text, family, size);
  const tagWidth = Math.min(textWidth + 2 * inset, width - 2 * pad);
  const tagHeight = size * TAG_LINE_HEIGHT;
  const gap = Math.max(3, size * 0.4);
  const spacing = Math.max(2, size * 0.2);
  const reach = 3 * (tagHeight + gap) + 2 * tagWidth;
  // Only what lies within reach of the face can be in the way: keeps crowds cheap.
  const near: Box = {
    x: region.x - reach,
    y: region.y - reach,
    width: region.width + 2 * reach,
    height: region.height + 2 * reach,
  };
  const nearOthers = others.filter((other) => overlapArea(other.region, near) > 0);
  const nearTags = placed
    .filter((tag) => overlapArea(tag.box, near) > 0)
    .map((tag) => inflate(tag.box, spacing));

  let best: { box: Box; pointer: { from: Point; to: Point }; cost: number } | undefined;
  const tagArea = tagWidth * tagHeight;
  // Around the face's region first; around the face itself and in the picture's corners are for
  // a face that leaves no room around its region. Spots nearer the face lie within `near`.
  const spots = [
    ...positions(region, tagWidth, tagHeight, gap),
    ...positions(own.box, tagWidth, tagHeight, gap).slice(0, 12),
  ];
  const corner = spots.length;
  spots.push(...corners(width, height, tagWidth, tagHeight, pad));
  const allTags = placed.map((tag) => inflate(tag.box, spacing));
  const maxPointer = 3 * (tagHeight + gap);
  const big = region.height >= BIG_FACE * height || region.width >= BIG_FACE * width;
  spots.forEach((position, rank) => {
    const box = keepInside(position, width, height, pad);
    const pointer = nearestPoints(box, region);
    const length = Math.hypot(pointer.to.x - pointer.from.x, pointer.to.y - pointer.from.y);
    // What this spot costs before looking at the neighbours: skip it unless it could still win.
    const base =
      (overlapArea(box, inflate(region, gap / 2)) > 0 ? OWN_REGION_COST : 0) +
      (OWN_FACE_COST * overlapArea(box, own.box)) / tagArea +
      length / size +
      0.05 * rank;
    if (best && base >= best.cost) return;
    // Only a face too big to leave room around it may have its tag on itself.
    if (!big && overlapArea(box, own.box) > 0) return;
    // A tag far from its face reads as someone else's.
    if (length > maxPointer) return;
    // A corner of the picture may lie far from the face: everything counts there.
    const [tags, faces] = rank < corner ? [nearTags, nearOthers] : [allTags, others];
    if (tags.some((tag) => overlapArea(box, tag) > 0)) return;
    if (faces.some((other) => overlapArea(box, other.box) > 0)) return;
    if (faces.some((other) => segmentCrosses(pointer.from, pointer.to, other.box))) return;
    // Off other faces' foreheads and chins too, when possible: those are faces to people.
    const onRegions = faces.reduce((sum, other) => sum + overlapArea(box, other.region), 0);
    const cost = base + (20 * onRegions) / tagArea;
    if (!best || cost < best.cost) best = { box, pointer, cost };
  });
  if (!best) return undefined;
  const shown =
    textWidth + 2 * inset > tagWidth
      ? withEllipsis(text, tagWidth - 2 * inset, (part) => measure(part, family, size))
      : text;
  return {
    cost: best.cost,
    block: {
      role: 'tag',
      family,
      size,
      lines: [shown],
      origins: [{ x: best.box.x + inset, y: best.box.y + tagHeight / 2 }],
      box: best.box,
      lineHeight: TAG_LINE_HEIGHT,
      look: 'tag',
      strokeWidth: inset,
      truncated: shown !== text,
      face: region,
      pointer: best.pointer,
    },
  };
}

function corners(width: number, height: number, w: number, h: number, pad: number): Box[] {
  return [
    { x: pad, y: pad, width: w, height: h },
    { x: width - pad - w, y: pad, width: w, height: h },
    { x: pad, y: height - pad - h, width: w, height: h },
    { x: width - pad - w, y: height - pad - h, width: w, height: h },
  ];
}

/**
 * Spots around the face's region in order of preference: above (centred, then flush with
 * either side), below, beside; then the same a step and two steps further out.
 */
function positions(region: Box, w: number, h: number, gap: number): Box[] {
  const spots: Box[] = [];
  for (let step = 0; step < 3; step++) {
    const out = gap + step * (h + gap);
    const above = region.y - out - h;
    const below = region.y + region.height + out;
    const right = region.x + region.width + out;
    const left = region.x - out - w;
    const xs = [region.x + region.width / 2 - w / 2, region.x, region.x + region.width - w];
    const ys = [region.y + region.height / 2 - h / 2, region.y, region.y + region.height - h];
    for (const x of xs) spots.push({ x, y: above, width: w, height: h });
    for (const x of xs) spots.push({ x, y: below, width: w, height: h });
    for (const y of ys) spots.push({ x: right, y, width: w, height: h }, { x: left, y, width: w, height: h });
  }
  return spots;
}

/** The closest pair of points of two boxes that do not overlap: where the pointer runs. */
function nearestPoints(from: Box, to: Box): { from: Point; to: Point } {
  const axis = (a0: number, a1: number, b0: number, b1: number): [number, number] => {
    if (a1 < b0) return [a1, b0];
    if (b1 < a0) return [a0, b1];
    const middle = (Math.max(a0, b0) + Math.min(a1, b1)) / 2;
    return [middle, middle];
  };
  const [fx, tx] = axis(from.x, from.x + from.width, to.x, to.x + to.width);
  const [fy, ty] = axis(from.y, from.y + from.height, to.y, to.y + to.height);
  return { from: { x: fx, y: fy }, to: { x: tx, y: ty } };
}

/** Whether the segment a→b passes through the box (Liang–Barsky clipping). */
export function segmentCrosses(a: Point, b: Point, box: Box): boolean {
  let t0 = 0;
  let t1 = 1;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const edges: [number, number][] = [
    [-dx, a.x - box.x],
    [dx, box.x + box.width - a.x],
    [-dy, a.y - box.y],
    [dy, box.y + box.height - a.y],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q <= 0) return false;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 >= t1) return false;
  }
  return true;
}

function keepInside(box: Box, width: number, height: number, pad: number): Box {
  return {
    ...box,
    x: clamp(box.x, pad, Math.max(pad, width - pad - box.width)),
    y: clamp(box.y, pad, Math.max(pad, height - pad - box.height)),
  };
}

function inflate(box: Box, by: number): Box {
  return { x: box.x - by, y: box.y - by, width: box.width + 2 * by, height: box.height + 2 * by };
}

function area(box: Box): number {
  return box.width * box.height;
}
