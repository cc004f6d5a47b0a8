/** `memegen eval-faces`: detector recall and false positives against annotated boxes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DetectorOptions, FaceDetector } from '../core/detect/detector';
import { DetectionMetrics, parseAnnotations, ScoredBox, scoreDetections } from '../core/eval/detection';
import { decodeImage } from '../core/image';
import { readManifest } from '../core/manifest';
import { pct, table } from './format';

export interface FaceEvalReport {
  model: string;
  options: DetectorOptions;
  medianMsPerImage: number;
  faces64: DetectionMetrics;
  faces32: DetectionMetrics;
}

export async function evaluateFaces(imagesDir: string, annotationsPath: string, options: Partial<DetectorOptions>): Promise<FaceEvalReport> {
  const annotations = parseAnnotations(JSON.parse(readFileSync(annotationsPath, 'utf8')));
  const detector = await FaceDetector.load(readManifest(), options);
  const results: { truth: (typeof annotations)[number]['faces']; detections: ScoredBox[] }[] = [];
  const times: number[] = [];
  for (const a of annotations) {
    const image = await decodeImage(readFileSync(join(imagesDir, a.file)));
    const start = performance.now();
    const faces = await detector.detect(image);
    times.push(performance.now() - start);
    results.push({ truth: a.faces, detections: faces.map((f) => ({ ...f.box, score: f.score })) });
  }
  times.sort((x, y) => x - y);
  return {
    model: detector.options.model,
    options: detector.options,
    medianMsPerImage: Math.round(times[Math.floor(times.length / 2)] * 10) / 10,
    faces64: scoreDetections(results, 64, 0.5),
    faces32: scoreDetections(results, 32, 0.5),
  };
}

export async function evalFacesCommand(imagesDir: string, annotations: string, options: Partial<DetectorOptions>, json: boolean): Promise<number> {
  const report = await evaluateFaces(imagesDir, annotations, options);
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  console.log(`${report.model} (min score ${report.options.minScore}, tiles above ${report.options.tileAbove || 'never'}), median ${report.medianMsPerImage} ms/image`);
  console.log(
    table(
      ['faces', 'annotated', 'found', 'recall', 'false positives', 'FP / image'],
      [report.faces64, report.faces32].map((m) => [
        `>= ${m.minSize} px`,
        String(m.faces),
        String(m.found),
        pct(m.recall),
        String(m.falsePositives),
        m.falsePositivesPerImage.toFixed(2),
      ]),
    ),
  );
  return 0;
}
