/**
 * Runs a detector over an annotated image set once, at a low score floor, so that
 * any stricter operating point can then be scored without running it again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, DetectorOptions, FaceDetector, Manifest } from '../../functions/core';
import { AnnotatedFace, AnnotatedImage, DetectionMetrics, ScoredBox, scoreDetections } from './detection';

export interface DetectorRun {
  options: DetectorOptions;
  images: { truth: AnnotatedFace[]; detections: ScoredBox[]; width: number; height: number }[];
  /** Detection time per image (decoding excluded), milliseconds. */
  times: number[];
}

export async function runDetector(
  manifest: Manifest,
  imagesDir: string,
  annotations: AnnotatedImage[],
  options: Partial<DetectorOptions>,
): Promise<DetectorRun> {
  const detector = await FaceDetector.load(manifest, options);
  const images: DetectorRun['images'] = [];
  const times: number[] = [];
  for (const a of annotations) {
    const image = await decodeImage(readFileSync(join(imagesDir, a.file)));
    const start = performance.now();
    const faces = await detector.detect(image);
    times.push(performance.now() - start);
    images.push({
      truth: a.faces,
      detections: faces.map((f) => ({ ...f.box, score: f.score })),
      width: image.width,
      height: image.height,
    });
  }
  return { options: detector.options, images, times };
}

export interface OperatingPoint {
  minScore: number;
  /** Fraction of the picture's long side under which detections are dropped. */
  minFaceSize: number;
  /** Recall and false positives for faces ≥ 64 px (all detections count). */
  faces64: DetectionMetrics;
  faces32: DetectionMetrics;
  /**
   * False positives among detections ≥ 48 px only: recall ignores faces under
   * 64 px, and most "false" small boxes are real small faces boxed a few pixels off.
   */
  falsePositivesPerImage48: number;
}

/**
 * Scores the run as if the detector had used a stricter score floor and minimum
 * face size. Nearly exact, not quite: the score floor also decides which boxes
 * weighted NMS averages, which shifts a few boxes (a few tenths of a recall point
 * on WIDER), so a chosen setting is confirmed by running it.
 */
export function operatingPoint(
  run: DetectorRun,
  minScore: number,
  minFaceSize = run.options.minFaceSize,
): OperatingPoint {
  const at = (minHeight: number) =>
    run.images.map((img) => ({
      truth: img.truth,
      detections: img.detections.filter(
        (d) =>
          d.score >= minScore &&
          d.height >= Math.max(minHeight, minFaceSize * Math.max(img.width, img.height)),
      ),
    }));
  return {
    minScore,
    minFaceSize,
    faces64: scoreDetections(at(0), 64, 0.5),
    faces32: scoreDetections(at(0), 32, 0.5),
    falsePositivesPerImage48: scoreDetections(at(48), 64, 0.5).falsePositivesPerImage,
  };
}

export function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
