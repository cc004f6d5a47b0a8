/**
 * Face tags for the `faces` style: one per face, beside the face and joined to it by a short
 * pointer to a thin outline of the face. A tag never lies on another detected face or another
 * tag. It keeps off its own face too, shortened to its emoji and percentage if that makes
 * room; only a face spanning half the picture may have its tag on its own edge. A face left
 * without a tag (in a dense crowd) is better than a tag hiding someone.
 */
import { Box, Point } from '../geometry';
import { clamp, padding } from './blocks';
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
  const people: Person[] = faces.map((face, i) => ({ box: face.box, region: regions[i]! }));
  // Largest faces choose first: their tags are the ones people read first.
  const order = faces
    .map((_, i) => i)
    .sort((a, b) => area(faces[b]!.box) - area(faces[a]!.box))
    .slice(0, MAX_TAGS);
  const placed: TextBlock[] = [];
  const taken: Box[] = [];
  for (const index of order) {
    const face = faces[index]!;
    const size = Math.min(
      clamp(face.box.width * 0.22, minSize, maxSize),
      (height - 2 * pad) / TAG_LINE_HEIGHT,
    );
    const spot = { index, size, people, taken, request, pad, family };
    const full = placeTag(face.tag, spot);
    // The full tag, unless the compact one sits clearly nearer its face (or off it).
    let chosen = full;
    if (!full || full.cost > SHORTEN_ABOVE) {
      const compact = placeTag(face.shortTag ?? compactTag(face.tag), spot);
      if (compact && (!full || compact.cost + SHORTEN_ABOVE < full.cost)) chosen = compact;
    }
    if (chosen) {
      placed.push(chosen.block);
      const spacing = Math.max(2, size * 0.2);
      taken.push(inflate(chosen.block.box, spacing));
    }
  }
  return placed;
}

interface Person {
  box: Box;
  region: Box;
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

/** Where one face's tag goes, and what that spot costs; undefined when no spot is allowed. */
function placeTag(
  text: string,
  spot: {
    index: number;
    size: number;
    people: readonly Person[];
    taken: readonly Box[];
    request: TagRequest;
    pad: number;
    family: string;
  },
): { block: TextBlock; cost: number } | undefined {
  const { index, size, people, taken, request, pad, family } = spot;
  const { width, height, measure } = request;
  const own = people[index]!;
  const region = own.region;
  const inset = size * 0.45;
  const textWidth = measure(text, family, size);
  const w = Math.min(textWidth + 2 * inset, width - 2 * pad);
  const h = size * TAG_LINE_HEIGHT;
  const gap = Math.max(3, size * 0.4);
  const tagArea = w * h;
  // A tag far from its face reads as someone else's: the pointer is at most three steps long.
  const maxPointer = 3 * (h + gap);
  const big = region.height >= BIG_FACE * height || region.width >= BIG_FACE * width;
  // So only what lies within that reach can be in the way: keeps crowds cheap.
  const reach = maxPointer + w + h;
  const near: Box = {
    x: region.x - reach,
    y: region.y - reach,
    width: region.width + 2 * reach,
    height: region.height + 2 * reach,
  };
  const neighbours = people.filter((person, i) => i !== index && overlaps(person.region, near));
  const blockers = [...taken.filter((box) => overlaps(box, near)), ...neighbours.map((person) => person.box)];
  const ownRegion = inflate(region, gap / 2);
  const maxX = Math.max(pad, width - pad - w);
  const maxY = Math.max(pad, height - pad - h);

  // Spots in order of preference (see spotOrigins); the loop below allocates nothing per spot,
  // as a crowd weighs thousands of them.
  const origins = spotOrigins(region, own.box, w, h, gap, width, height, pad);
  let best: { x: number; y: number; pointer: [number, number, number, number]; cost: number } | undefined;
  for (let rank = 0; rank < origins.length / 2; rank++) {
    const x = clamp(origins[2 * rank]!, pad, maxX);
    const y = clamp(origins[2 * rank + 1]!, pad, maxY);
    // The pointer: the nearest points of the tag and the face's region.
    const fx = nearestOf(x, x + w, region.x, region.x + region.width);
    const tx = nearestOf(region.x, region.x + region.width, x, x + w);
    const fy = nearestOf(y, y + h, region.y, region.y + region.height);
    const ty = nearestOf(region.y, region.y + region.height, y, y + h);
    const length = Math.hypot(tx - fx, ty - fy);
    if (length > maxPointer) continue;
    // Only a face too big to leave room around it may have its tag on itself.
    const onOwnFace = overlapOf(x, y, w, h, own.box);
    if (!big && onOwnFace > 0) continue;
    // What this spot costs before looking at the neighbours: skip it unless it could still win.
    const base =
      (overlapOf(x, y, w, h, ownRegion) > 0 ? OWN_REGION_COST : 0) +
      (OWN_FACE_COST * onOwnFace) / tagArea +
      length / size +
      0.05 * rank;
    if (best && base >= best.cost) continue;
    if (blocked(x, y, w, h, blockers)) continue;
    if (neighbours.some((person) => crosses(fx, fy, tx, ty, person.box))) continue;
    // Off other faces' foreheads and chins too, when possible: those are faces to people.
    let onRegions = 0;
    for (const person of neighbours) onRegions += overlapOf(x, y, w, h, person.region);
    const cost = base + (20 * onRegions) / tagArea;
    if (!best || cost < best.cost) best = { x, y, pointer: [fx, fy, tx, ty], cost };
  }
  if (!best) return undefined;
  const shown =
    textWidth + 2 * inset > w
      ? withEllipsis(text, w - 2 * inset, (part) => measure(part, family, size))
      : text;
  const [fx, fy, tx, ty] = best.pointer;
  return {
    cost: best.cost,
    block: {
      role: 'tag',
      family,
      size,
      lines: [shown],
      origins: [{ x: best.x + inset, y: best.y + h / 2 }],
      box: { x: best.x, y: best.y, width: w, height: h },
      lineHeight: TAG_LINE_HEIGHT,
      look: 'tag',
      strokeWidth: inset,
      truncated: shown !== text,
      face: region,
      pointer: { from: { x: fx, y: fy }, to: { x: tx, y: ty } },
    },
  };
}

/**
 * Top-left corners of the spots a tag may take, as x, y pairs in order of preference: around
 * the face's region (above: centred, then flush with either side; below; beside), then a step
 * and two steps further out; then around the face itself and in the picture's corners, for a
 * face that leaves no room around its region.
 */
function spotOrigins(
  region: Box,
  face: Box,
  w: number,
  h: number,
  gap: number,
  width: number,
  height: number,
  pad: number,
): number[] {
  const origins: number[] = [];
  const around = (box: Box, steps: number): void => {
    for (let step = 0; step < steps; step++) {
      const out = gap + step * (h + gap);
      const above = box.y - out - h;
      const below = box.y + box.height + out;
      const xs = [box.x + box.width / 2 - w / 2, box.x, box.x + box.width - w];
      const ys = [box.y + box.height / 2 - h / 2, box.y, box.y + box.height - h];
      for (const x of xs) origins.push(x, above);
      for (const x of xs) origins.push(x, below);
      for (const y of ys) origins.push(box.x + box.width + out, y, box.x - out - w, y);
    }
  };
  around(region, 3);
  around(face, 1);
  origins.push(pad, pad, width - pad - w, pad, pad, height - pad - h, width - pad - w, height - pad - h);
  return origins;
}

/**
 * The point of interval [a0, a1] nearest interval [b0, b1] (the middle of their overlap if they
 * overlap); with the roles swapped, the other end of the pointer.
 */
function nearestOf(a0: number, a1: number, b0: number, b1: number): number {
  if (a1 < b0) return a1;
  if (b1 < a0) return a0;
  return (Math.max(a0, b0) + Math.min(a1, b1)) / 2;
}

function blocked(x: number, y: number, w: number, h: number, boxes: readonly Box[]): boolean {
  for (const box of boxes) if (overlapOf(x, y, w, h, box) > 0) return true;
  return false;
}

function overlapOf(x: number, y: number, w: number, h: number, box: Box): number {
  const dx = Math.min(x + w, box.x + box.width) - Math.max(x, box.x);
  const dy = Math.min(y + h, box.y + box.height) - Math.max(y, box.y);
  return dx > 0 && dy > 0 ? dx * dy : 0;
}

/** Whether the segment a→b passes through the box. */
export function segmentCrosses(a: Point, b: Point, box: Box): boolean {
  return crosses(a.x, a.y, b.x, b.y, box);
}

/** Liang–Barsky: each edge of the box cuts the segment's parameter range; an empty range misses it. */
function crosses(ax: number, ay: number, bx: number, by: number, box: Box): boolean {
  const range = { t0: 0, t1: 1 };
  return (
    clip(-(bx - ax), ax - box.x, range) &&
    clip(bx - ax, box.x + box.width - ax, range) &&
    clip(-(by - ay), ay - box.y, range) &&
    clip(by - ay, box.y + box.height - ay, range)
  );
}

function clip(p: number, q: number, range: { t0: number; t1: number }): boolean {
  if (p === 0) return q > 0;
  const t = q / p;
  if (p < 0) range.t0 = Math.max(range.t0, t);
  else range.t1 = Math.min(range.t1, t);
  return range.t0 < range.t1;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function inflate(box: Box, by: number): Box {
  return { x: box.x - by, y: box.y - by, width: box.width + 2 * by, height: box.height + 2 * by };
}

function area(box: Box): number {
  return box.width * box.height;
}
