/**
 * Runs a detector over an annotated image set once, at a low score floor, so that
 * any stricter operating point can then be scored without running it again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnnotatedFace, AnnotatedImage, DetectionMetrics, ScoredBox, scoreDetections } from './detection';
import { decodeImage, DetectorOptions, FaceDetector, Manifest, SessionOptions } from '../../functions/core';

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
  return (await runDetectors(manifest, imagesDir, annotations, [options]))[0];
}

/**
 * Several detectors over the same images, interleaved image by image: each picture is
 * decoded once and given to every detector in turn, so the load of a shared machine
 * weighs on all of their timings alike and their times compare.
 */
/**
 * Detectors are timed on one onnxruntime thread, as the bench's budgets are: on a shared
 * machine more threads only contend, and the comparison is of the models, not the cores.
 */
export const EVAL_SESSION: SessionOptions = { intraOpNumThreads: 1 };

export async function runDetectors(
  manifest: Manifest,
  imagesDir: string,
  annotations: AnnotatedImage[],
  options: Partial<DetectorOptions>[],
  progress?: (done: number) => void,
): Promise<DetectorRun[]> {
  const detectors: FaceDetector[] = [];
  for (const o of options) detectors.push(await FaceDetector.load(manifest, o, EVAL_SESSION));
  const runs: DetectorRun[] = detectors.map((d) => ({ options: d.options, images: [], times: [] }));
  for (const [i, a] of annotations.entries()) {
    const image = await decodeImage(readFileSync(join(imagesDir, a.file)));
    for (const [k, detector] of detectors.entries()) {
      const start = performance.now();
      const faces = await detector.detect(image);
      runs[k].times.push(performance.now() - start);
      runs[k].images.push({
        truth: a.faces,
        detections: faces.map((f) => ({ ...f.box, score: f.score })),
        width: image.width,
        height: image.height,
      });
    }
    progress?.(i + 1);
  }
  return runs;
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
