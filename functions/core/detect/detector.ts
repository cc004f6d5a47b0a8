/**
 * Face detection on a whole picture: the views a detection model needs (YuNet: the picture
 * scaled to one long side, plus optional turned and close-up views; BlazeFace and SSD: a
 * letterboxed square plus overlapping tiles for large pictures), the model on each view,
 * non-maximum suppression across all of them, boxes and keypoints in picture pixels.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Box, clipBox, Point } from '../geometry';
import { RgbImage } from '../image';
import { Manifest, ModelEntry, modelEntry, modelsDir } from '../manifest';
import { SessionOptions } from '../sessions';
import { BlazeFace } from './blazeface';
import { Letterbox, letterbox, Region, tileLetterboxes } from './letterbox';
import { hardNms, RawDetection, weightedNms } from './nms';
import { SsdMobilenet } from './ssdMobilenet';
import { scaledView, shrunkView, squareView, turnedView, View } from './views';
import { YuNet } from './yunet';

/**
 * Facial landmarks in picture pixels. "Right" is the person's right: on the picture's left
 * when they face the camera. What uses them: the eyes level the expression crop (its roll,
 * up to upside down), the mouth tells which side of the eye line is down.
 */
export interface Keypoints {
  rightEye: Point;
  leftEye: Point;
  /** Tip of the nose. */
  nose: Point;
  /** Middle of the mouth (the midpoint of its corners). */
  mouth: Point;
}

export interface DetectedFace {
  box: Box;
  keypoints: Keypoints;
  score: number;
}

/**
 * A second look at pictures where the first pass found no large face: a selfie or a tight
 * crop is mostly face, larger than the faces the detector learnt, and often cut by the
 * frame. The picture shrunk into a grey margin turns it into an ordinary face.
 */
export interface CloseUpOptions {
  /** Run when no face found so far is at least this share of the picture's short side tall. */
  below: number;
  /** Long side of the close-up view, margin included, in pixels. */
  longSide: number;
  /** Grey margin on every side, as a share of the picture's long side. */
  margin: number;
}

/**
 * A second look at every face found, in a small square around it turned a quarter, a half
 * and three quarters (all faces and turns in one model run): YuNet, trained on upright
 * faces, finds many faces lying sideways or upside down but places their eyes and mouth as
 * if they stood upright. When a turned look is surer of the face than the upright one, its
 * box and landmarks replace the first ones, and the crop is levelled the right way up.
 */
export interface OrientOptions {
  /** Side of the square looked at, in sides of the face's box (the face and its surroundings). */
  context: number;
  /** That square's side in the model's input, in pixels. */
  size: number;
}

export interface DetectorOptions {
  model: string;
  minScore: number;
  iouThreshold: number;
  /**
   * 'weighted' averages each cluster of overlapping boxes (MediaPipe); 'hard' keeps the best
   * one whole (OpenCV's YuNet decoding). Default: weighted.
   */
  nms?: 'weighted' | 'hard';
  /** Models with a dynamic input (YuNet): the long side, in pixels, the picture is scaled to. */
  inputLongSide?: number;
  /** Fixed-size models: also run overlapping tiles when the picture's long side exceeds this (0 = never). */
  tileAbove: number;
  /** Tiles per side of the tiling grid. */
  tileGrid: number;
  /**
   * Faces whose box is shorter than this fraction of the picture's long side are
   * dropped: too small to read an expression from or to caption, and the most
   * error-prone detections.
   */
  minFaceSize: number;
  /**
   * Dynamic-input models: extra passes on the picture turned clockwise by these quarter
   * turns (1 = 90°), so faces lying sideways or upside down are found with their eyes and
   * mouth where they are, not where an upright face would have them.
   */
  turns?: number[];
  /** Long side of the turned views (default: inputLongSide). */
  turnLongSide?: number;
  /** Dynamic-input models: the close-up pass, when set. */
  closeUp?: CloseUpOptions;
  /** Dynamic-input models: the turned second look at each face found, when set. */
  orient?: OrientOptions;
}

/**
 * The shipped operating point, chosen from measurements by
 * `npm run models:detectors` and stored in models/detector.json.
 */
export function readDetectorOptions(dir = modelsDir()): DetectorOptions {
  const config = JSON.parse(readFileSync(join(dir, 'detector.json'), 'utf8')) as { options: DetectorOptions };
  const o = config.options;
  if (
    typeof o?.model !== 'string' ||
    ![o.minScore, o.iouThreshold, o.tileAbove, o.tileGrid, o.minFaceSize].every(Number.isFinite)
  ) {
    throw new Error(
      `${join(dir, 'detector.json')}: options need model, minScore, iouThreshold, tileAbove, tileGrid and minFaceSize`,
    );
  }
  const c = o.closeUp;
  if (
    (o.inputLongSide !== undefined && !(o.inputLongSide > 0)) ||
    (o.nms !== undefined && o.nms !== 'weighted' && o.nms !== 'hard') ||
    (o.turns !== undefined && !o.turns.every(Number.isInteger)) ||
    (o.turnLongSide !== undefined && !(o.turnLongSide > 0)) ||
    (c !== undefined && !(c.below > 0 && c.longSide > 0 && c.margin >= 0)) ||
    (o.orient !== undefined && !(o.orient.context >= 1 && o.orient.size >= 32))
  ) {
    throw new Error(
      `${join(dir, 'detector.json')}: inputLongSide, nms, turns, turnLongSide, closeUp or orient is malformed`,
    );
  }
  return o;
}

/** Square-ish overlapping tiles covering the picture; each overlaps its neighbour by a third. */
export function tileRegions(width: number, height: number, grid: number): Region[] {
  const side = Math.round((Math.max(width, height) / grid) * 1.5);
  const regions: Region[] = [];
  const starts = (length: number) => {
    const w = Math.min(side, length);
    const n = Math.max(1, Math.ceil((length - w) / (w * (2 / 3))) + 1);
    return Array.from({ length: n }, (_, i) => (n === 1 ? 0 : Math.round(((length - w) * i) / (n - 1))));
  };
  for (const top of starts(height))
    for (const left of starts(width)) {
      regions.push({ left, top, width: Math.min(side, width), height: Math.min(side, height) });
    }
  return regions;
}

/**
 * A face cut by a tile's inner edge is only part of a face: its box is wrong and
 * it survives NMS next to the whole face found elsewhere, as a false positive.
 * Tiles overlap by a third, so every face small enough to need tiling lies whole
 * inside some tile (or is found in the full view).
 */
function cutByTileEdge(box: Box, region: Region, img: { width: number; height: number }): boolean {
  const slack = 0.02 * Math.max(region.width, region.height);
  return (
    (region.left > 0 && box.x < region.left + slack) ||
    (region.top > 0 && box.y < region.top + slack) ||
    (region.left + region.width < img.width && box.x + box.width > region.left + region.width - slack) ||
    (region.top + region.height < img.height && box.y + box.height > region.top + region.height - slack)
  );
}

/** A fixed-size model (BlazeFace, SSD): its square input size and per-view raw detections. */
interface SquareModel {
  readonly size: number;
  detect(view: Letterbox & { region: Region }, minScore: number): Promise<RawDetection[]>;
}

type FaceModel = { kind: 'square'; model: SquareModel } | { kind: 'dynamic'; model: YuNet };

async function loadFaceModel(entry: ModelEntry, session?: SessionOptions): Promise<FaceModel> {
  if (entry.task !== 'face-detection')
    throw new Error(`${entry.id} is not a face detector (task ${entry.task})`);
  if (entry.id.startsWith('yunet')) return { kind: 'dynamic', model: await YuNet.load(entry, session) };
  // The full-range detector has BlazeFace's output layout, with one stride-4 head.
  if (entry.id.startsWith('blazeface') || entry.id === 'mediapipe-full-range')
    return { kind: 'square', model: await BlazeFace.load(entry, session) };
  if (entry.id === 'ssd-mobilenetv1')
    return { kind: 'square', model: await SsdMobilenet.load(entry, session) };
  throw new Error(`no decoder for face detector ${entry.id}`);
}

/**
 * Where the eyes, nose and mouth sit in a typical frontal face box, as fractions of its
 * width and height; used for detectors that predict no landmarks (SSD) so that alignment
 * and captioning still get plausible points.
 */
const TYPICAL_KEYPOINTS: Record<keyof Keypoints, [number, number]> = {
  rightEye: [0.3, 0.4],
  leftEye: [0.7, 0.4],
  nose: [0.5, 0.6],
  mouth: [0.5, 0.78],
};

function keypointsOf(d: RawDetection): Keypoints {
  if (d.keypoints.length === 0) {
    // From the unclipped box: clipping a face cut by the picture edge would squash the points.
    const at = ([fx, fy]: [number, number]): Point => ({
      x: d.box.x + fx * d.box.width,
      y: d.box.y + fy * d.box.height,
    });
    const t = TYPICAL_KEYPOINTS;
    return { rightEye: at(t.rightEye), leftEye: at(t.leftEye), nose: at(t.nose), mouth: at(t.mouth) };
  }
  // BlazeFace adds two ear points after these four; nothing uses them.
  const [rightEye, leftEye, nose, mouth] = d.keypoints;
  return { rightEye, leftEye, nose, mouth };
}

function toFace(d: RawDetection, width: number, height: number): DetectedFace {
  return { box: clipBox(d.box, width, height), keypoints: keypointsOf(d), score: d.score };
}

function hasLargeFace(faces: DetectedFace[], img: RgbImage, share: number): boolean {
  return faces.some((f) => f.box.height >= share * Math.min(img.width, img.height));
}

export class FaceDetector {
  private constructor(
    private readonly model: FaceModel,
    readonly options: DetectorOptions,
  ) {}

  static async load(
    manifest: Manifest,
    options: Partial<DetectorOptions> = {},
    session?: SessionOptions,
  ): Promise<FaceDetector> {
    const opts = { ...readDetectorOptions(), ...options };
    return new FaceDetector(await loadFaceModel(modelEntry(manifest, opts.model), session), opts);
  }

  /** The long side the picture is scaled to for the main pass (dynamic-input models), or the model's square size. */
  get inputLongSide(): number {
    return this.model.kind === 'dynamic'
      ? (this.options.inputLongSide ?? this.model.model.entry.preprocessing.width)
      : this.model.model.size;
  }

  async detect(img: RgbImage): Promise<DetectedFace[]> {
    if (this.model.kind === 'square') return this.finish(await this.squareRaw(img, this.model.model), img);
    const faces = this.finish(await this.dynamicRaw(img, this.model.model), img);
    const { orient } = this.options;
    return orient ? this.oriented(img, faces, this.model.model, orient) : faces;
  }

  /** {@link OrientOptions}: each face's box and landmarks from the turn in which the model is surest of it. */
  private async oriented(
    img: RgbImage,
    faces: DetectedFace[],
    model: YuNet,
    orient: OrientOptions,
  ): Promise<DetectedFace[]> {
    if (faces.length === 0) return faces;
    const looks = faces.map((f) => {
      const centre = { x: f.box.x + f.box.width / 2, y: f.box.y + f.box.height / 2 };
      const side = orient.context * Math.max(f.box.width, f.box.height);
      const upright = squareView(img, centre, side, orient.size);
      return { centre, side, views: [0, 1, 2, 3].map((t) => turnedView(upright, t)) };
    });
    const found = await model.detectBatch(
      looks.flatMap((l) => l.views),
      this.options.minScore,
    );
    return faces.map((face, i) => {
      const { centre, side } = looks[i]!;
      // The face looked at: the surest detection near the square's centre, of about the face's size, per turn.
      const best = [0, 1, 2, 3].map((t) =>
        found[i * 4 + t]!.filter((d) => {
          const s = Math.max(d.box.width, d.box.height);
          return (
            Math.abs(d.box.x + d.box.width / 2 - centre.x) < side / 4 &&
            Math.abs(d.box.y + d.box.height / 2 - centre.y) < side / 4 &&
            s > side / (2 * orient.context) &&
            s < (2 * side) / orient.context
          );
        }).reduce<RawDetection | undefined>((a, d) => (!a || d.score > a.score ? d : a), undefined),
      );
      const turn = best.reduce((a, d, t) => ((d?.score ?? 0) > (best[a]?.score ?? 0) ? t : a), 0);
      if (turn === 0) return face;
      const turned = toFace(best[turn]!, img.width, img.height);
      return { ...turned, score: face.score };
    });
  }

  private finish(raw: RawDetection[], img: RgbImage): DetectedFace[] {
    const { iouThreshold, minFaceSize } = this.options;
    const minSide = Math.max(1, minFaceSize * Math.max(img.width, img.height));
    const kept = this.options.nms === 'hard' ? hardNms(raw, iouThreshold) : weightedNms(raw, iouThreshold);
    return kept
      .map((d) => toFace(d, img.width, img.height))
      .filter((f) => f.box.width > 1 && f.box.height >= minSide);
  }

  /** YuNet: one view at the chosen size, the turned views, and the close-up view when nothing large was found. */
  private async dynamicRaw(img: RgbImage, model: YuNet): Promise<RawDetection[]> {
    const { minScore, turns = [], turnLongSide, closeUp } = this.options;
    const main = await this.mainView(img);
    const upright =
      turns.length > 0 && turnLongSide && turnLongSide !== this.inputLongSide
        ? await scaledView(img, { longSide: turnLongSide })
        : main;
    const views: View[] = [main, ...turns.map((t) => turnedView(upright, t))];
    const raw: RawDetection[] = [];
    for (const view of views) raw.push(...(await model.detect(view, minScore)));
    if (closeUp && !hasLargeFace(this.finish(raw, img), img, closeUp.below)) {
      raw.push(...(await this.closeUpRaw(img, main, model, closeUp)));
    }
    return raw;
  }

  /**
   * The close-up pass alone (also run by detect when its options ask for it): faces at
   * least `closeUp.below` of the short side tall in the picture shrunk into a grey margin.
   * `main`: the first pass's view ({@link mainView}), when the caller has it already.
   */
  async closeUpFaces(img: RgbImage, closeUp: CloseUpOptions, main?: View): Promise<DetectedFace[]> {
    if (this.model.kind !== 'dynamic') throw new Error(`${this.options.model} has no close-up pass`);
    const view = main ?? (await this.mainView(img));
    return this.finish(await this.closeUpRaw(img, view, this.model.model, closeUp), img);
  }

  /** The first pass's view of a picture (for timing the close-up pass alone, as detect runs it after that view exists). */
  mainView(img: RgbImage): Promise<View> {
    return scaledView(img, { longSide: this.inputLongSide });
  }

  /** `main`: the first pass's view, which the close-up view is shrunk from when it can be. */
  private async closeUpRaw(
    img: RgbImage,
    main: View,
    model: YuNet,
    closeUp: CloseUpOptions,
  ): Promise<RawDetection[]> {
    const factor = this.inputLongSide / closeUp.longSide;
    const view =
      !closeUp.margin && Number.isInteger(factor)
        ? shrunkView(main, factor)
        : await scaledView(img, { longSide: closeUp.longSide, margin: closeUp.margin });
    const large = closeUp.below * Math.min(img.width, img.height);
    // Only large faces: small ones in a shrunken picture are the first pass's job, found better there.
    return (await model.detect(view, this.options.minScore)).filter((d) => d.box.height >= large);
  }

  private async squareRaw(img: RgbImage, model: SquareModel): Promise<RawDetection[]> {
    const { minScore, tileAbove, tileGrid } = this.options;
    const tiled = tileAbove > 0 && Math.max(img.width, img.height) > tileAbove;
    const views = [
      await letterbox(img, model.size),
      ...(tiled ? await tileLetterboxes(img, model.size, tileRegions(img.width, img.height, tileGrid)) : []),
    ];
    const raw: RawDetection[] = [];
    for (const [i, view] of views.entries()) {
      const found = await model.detect(view, minScore);
      raw.push(...(i === 0 ? found : found.filter((d) => !cutByTileEdge(d.box, view.region, img))));
    }
    return raw;
  }
}
