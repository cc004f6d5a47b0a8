/**
 * Face detection on a whole picture: letterboxed full view (plus overlapping
 * tiles for large pictures when enabled), the detection model (BlazeFace,
 * MediaPipe full-range or SSD MobileNet) on each view, weighted NMS across all of
 * them, boxes and keypoints in picture pixels.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Box, clipBox, Point } from '../geometry';
import { RgbImage } from '../image';
import { Manifest, ModelEntry, modelEntry, modelsDir } from '../manifest';
import { SessionOptions } from '../sessions';
import { BlazeFace } from './blazeface';
import { Letterbox, letterbox, Region, tileLetterboxes } from './letterbox';
import { RawDetection, weightedNms } from './nms';
import { SsdMobilenet } from './ssdMobilenet';

/** MediaPipe's keypoint order; "right" is the person's right (left in the picture). */
export interface Keypoints {
  rightEye: Point;
  leftEye: Point;
  nose: Point;
  mouth: Point;
  rightEar: Point;
  leftEar: Point;
}

export interface DetectedFace {
  box: Box;
  keypoints: Keypoints;
  score: number;
}

export interface DetectorOptions {
  model: string;
  minScore: number;
  iouThreshold: number;
  /** Also run overlapping tiles when the picture's long side exceeds this (0 = never). */
  tileAbove: number;
  /** Tiles per side of the tiling grid. */
  tileGrid: number;
  /**
   * Faces whose box is shorter than this fraction of the picture's long side are
   * dropped: too small to read an expression from or to caption, and the most
   * error-prone detections.
   */
  minFaceSize: number;
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

/** What the detector needs from a model: its square input size and per-view raw detections. */
interface FaceModel {
  readonly size: number;
  detect(view: Letterbox & { region: Region }, minScore: number): Promise<RawDetection[]>;
}

function loadFaceModel(entry: ModelEntry, session?: SessionOptions): Promise<FaceModel> {
  if (entry.task !== 'face-detection')
    throw new Error(`${entry.id} is not a face detector (task ${entry.task})`);
  // The full-range detector has BlazeFace's output layout, with one stride-4 head.
  if (entry.id.startsWith('blazeface') || entry.id === 'mediapipe-full-range')
    return BlazeFace.load(entry, session);
  if (entry.id === 'ssd-mobilenetv1') return SsdMobilenet.load(entry, session);
  throw new Error(`no decoder for face detector ${entry.id}`);
}

/**
 * Where MediaPipe's six keypoints sit in a typical frontal face box, as fractions
 * of its width and height; used for detectors that predict no landmarks (SSD) so
 * that alignment and captioning still get plausible points.
 */
const TYPICAL_KEYPOINTS: Record<keyof Keypoints, [number, number]> = {
  rightEye: [0.3, 0.4],
  leftEye: [0.7, 0.4],
  nose: [0.5, 0.6],
  mouth: [0.5, 0.78],
  rightEar: [0.05, 0.5],
  leftEar: [0.95, 0.5],
};

function keypointsOf(d: RawDetection): Keypoints {
  if (d.keypoints.length === 0) {
    // From the unclipped box: clipping a face cut by the picture edge would squash the points.
    const at = ([fx, fy]: [number, number]): Point => ({
      x: d.box.x + fx * d.box.width,
      y: d.box.y + fy * d.box.height,
    });
    const t = TYPICAL_KEYPOINTS;
    return {
      rightEye: at(t.rightEye),
      leftEye: at(t.leftEye),
      nose: at(t.nose),
      mouth: at(t.mouth),
      rightEar: at(t.rightEar),
      leftEar: at(t.leftEar),
    };
  }
  const [rightEye, leftEye, nose, mouth, rightEar, leftEar] = d.keypoints;
  return { rightEye, leftEye, nose, mouth, rightEar, leftEar };
}

function toFace(d: RawDetection, width: number, height: number): DetectedFace {
  return { box: clipBox(d.box, width, height), keypoints: keypointsOf(d), score: d.score };
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

  async detect(img: RgbImage): Promise<DetectedFace[]> {
    const { minScore, iouThreshold, tileAbove, tileGrid, minFaceSize } = this.options;
    const tiled = tileAbove > 0 && Math.max(img.width, img.height) > tileAbove;
    const views = [
      await letterbox(img, this.model.size),
      ...(tiled
        ? await tileLetterboxes(img, this.model.size, tileRegions(img.width, img.height, tileGrid))
        : []),
    ];
    const raw: RawDetection[] = [];
    for (const [i, view] of views.entries()) {
      const found = await this.model.detect(view, minScore);
      raw.push(...(i === 0 ? found : found.filter((d) => !cutByTileEdge(d.box, view.region, img))));
    }
    const minSide = Math.max(1, minFaceSize * Math.max(img.width, img.height));
    return weightedNms(raw, iouThreshold)
      .map((d) => toFace(d, img.width, img.height))
      .filter((f) => f.box.width > 1 && f.box.height >= minSide);
  }
}
