/**
 * Where every piece of text goes on a meme: pure geometry over the picture size, the face
 * boxes and a text-measuring callback. Drawing (draw.ts) follows this plan exactly, and
 * tests check the plan: text inside the picture, off every face whenever possible.
 */
import { Box, Point } from '../geometry';
import { clamp } from './blocks';
import { Obstacle, placeClassic } from './classicPlacement';
import { faceImportance, faceRegion } from './faceRegions';
import { FAMILY } from './fonts';
import { placeTags } from './tagPlacement';
import { fitText, FitRules, FittedText } from './wrap';
import { MemeStyle } from '../vocabulary';

export { overlapArea } from './blocks';

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
  /** The tag where there is no room for all of it, e.g. "😄 92%" (default: its first and last words). */
  shortTag?: string;
  /** Detector confidence, 0..1: a doubtful face is the one to cover when one must be (default 1). */
  score?: number;
}

export interface LayoutRequest {
  style: MemeStyle;
  /** Size the photo is drawn at. */
  width: number;
  height: number;
  /** Faces in drawn-photo pixels. */
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
  /** Tags: the face region outlined, and the pointer from the tag to that outline (canvas pixels). */
  face?: Box;
  pointer?: { from: Point; to: Point };
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
  /** The largest face, widened to forehead and chin (faceRegion), canvas pixels. */
  mainFace?: Box;
}

const LABEL_LINE_HEIGHT = 1.28;
const LABEL_MAX_LINES = 6;

export function layoutMeme(request: LayoutRequest): MemeLayout {
  const { width, height } = request;
  const regions = request.faces.map((face) => faceRegion(face.box, width, height));
  const main = mainFaceRegion(request.faces, width, height);
  const photo = { x: 0, y: 0, width, height };
  const faceObstacles: Obstacle[] = request.faces.map((face, i) => ({
    region: regions[i]!,
    core: face.box,
    weight: faceImportance(face.box, face.score, width, height),
  }));
  const classic = (obstacles: Obstacle[]): TextBlock[] =>
    placeClassic({ width, height, caption: request.caption, measure: request.measure, obstacles });
  switch (request.style) {
    case 'classic':
      return { width, height, photo, blocks: classic(faceObstacles), mainFace: main };
    case 'label':
      return labelLayout(request, main);
    case 'faces': {
      const tags = placeTags({ width, height, faces: request.faces, regions, measure: request.measure });
      // A caption written in this style keeps off the tags as it keeps off faces.
      const tagObstacles = tags.map((tag) => ({ region: tag.box, core: tag.box, weight: 1 }));
      const blocks = [...tags, ...classic([...faceObstacles, ...tagObstacles])];
      return { width, height, photo, blocks, mainFace: main };
    }
  }
}

/** The largest face's region (widened to forehead and chin), reported with the layout. */
export function mainFaceRegion(faces: readonly LayoutFace[], width: number, height: number): Box | undefined {
  if (faces.length === 0) return undefined;
  const box = faces.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a)).box;
  return faceRegion(box, width, height);
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
