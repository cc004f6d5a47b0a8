/**
 * Detector scoring against annotated boxes: recall on the faces that matter for
 * memes (valid, at least `minSize` px high) at an IoU threshold, and false
 * positives per image (detections that overlap no annotated face at all).
 */
import { Box, iou } from '../../functions/core';
import { EvalInputError } from './inputError';

export interface AnnotatedFace extends Box {
  /** WIDER FACE marks some boxes invalid (unrecognisable); they are neither hits nor misses. */
  invalid?: number;
}

export interface AnnotatedImage {
  file: string;
  width?: number;
  height?: number;
  faces: AnnotatedFace[];
}

export interface ScoredBox extends Box {
  score: number;
}

export interface DetectionMetrics {
  images: number;
  /** Faces counted for recall (valid, height ≥ minSize). */
  faces: number;
  found: number;
  recall: number;
  falsePositives: number;
  falsePositivesPerImage: number;
  minSize: number;
  iouThreshold: number;
}

/** Greedy matching, best-scoring detection first, each annotation used once. */
export function matchImage(detections: ScoredBox[], truth: AnnotatedFace[], iouThreshold: number) {
  const used = new Set<number>();
  let unmatched = 0;
  for (const d of [...detections].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = iouThreshold;
    truth.forEach((t, i) => {
      if (used.has(i)) return;
      const o = iou(d, t);
      if (o >= bestIou) {
        bestIou = o;
        best = i;
      }
    });
    if (best >= 0) used.add(best);
    else unmatched++;
  }
  return { matched: used, unmatched };
}

export function scoreDetections(
  images: { truth: AnnotatedFace[]; detections: ScoredBox[] }[],
  minSize = 64,
  iouThreshold = 0.5,
): DetectionMetrics {
  let faces = 0;
  let found = 0;
  let falsePositives = 0;
  for (const { truth, detections } of images) {
    const { matched, unmatched } = matchImage(detections, truth, iouThreshold);
    falsePositives += unmatched;
    truth.forEach((t, i) => {
      if (t.invalid || t.height < minSize) return;
      faces++;
      if (matched.has(i)) found++;
    });
  }
  return {
    images: images.length,
    faces,
    found,
    recall: faces ? found / faces : 0,
    falsePositives,
    falsePositivesPerImage: images.length ? falsePositives / images.length : 0,
    minSize,
    iouThreshold,
  };
}

interface RawAnnotation {
  file: string;
  width?: number;
  height?: number;
  faces: {
    x: number;
    y: number;
    w?: number;
    h?: number;
    width?: number;
    height?: number;
    invalid?: number;
  }[];
}

/** Reads annotations as `[{file, faces:[{x, y, w, h, invalid?}]}]` (WIDER style) or with width/height. */
export function parseAnnotations(json: unknown): AnnotatedImage[] {
  if (!Array.isArray(json)) throw new EvalInputError('annotations must be a JSON array of {file, faces}');
  return (json as RawAnnotation[]).map((img) => {
    if (typeof img.file !== 'string' || !Array.isArray(img.faces)) {
      throw new EvalInputError('each annotation needs "file" and a "faces" array');
    }
    return {
      file: img.file,
      width: img.width,
      height: img.height,
      faces: img.faces.map((f) => ({
        x: f.x,
        y: f.y,
        width: f.width ?? f.w ?? 0,
        height: f.height ?? f.h ?? 0,
        invalid: f.invalid ?? 0,
      })),
    };
  });
}
