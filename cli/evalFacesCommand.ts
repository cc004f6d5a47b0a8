/** `memegen eval-faces`: detector recall and false positives against annotated boxes. */
import { readFileSync } from 'node:fs';
import { DetectorOptions, readManifest } from '../functions/core';
import { parseAnnotations } from '../models/eval/detection';
import { EvalInputError } from '../models/eval/inputError';
import { medianOf, OperatingPoint, operatingPoint, runDetector } from '../models/eval/detectorEval';
import { pct, table } from './format';

export interface FaceEvalReport extends OperatingPoint {
  model: string;
  options: DetectorOptions;
  medianMsPerImage: number;
}

export async function evaluateFaces(
  imagesDir: string,
  annotationsPath: string,
  options: Partial<DetectorOptions>,
): Promise<FaceEvalReport> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(annotationsPath, 'utf8'));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new EvalInputError(`${annotationsPath} is not JSON (${error.message})`);
  }
  const annotations = parseAnnotations(json);
  const run = await runDetector(readManifest(), imagesDir, annotations, options);
  return {
    model: run.options.model,
    options: run.options,
    medianMsPerImage: Math.round(medianOf(run.times) * 10) / 10,
    ...operatingPoint(run, run.options.minScore),
  };
}

export async function evalFacesCommand(
  imagesDir: string,
  annotations: string,
  options: Partial<DetectorOptions>,
  json: boolean,
): Promise<number> {
  const report = await evaluateFaces(imagesDir, annotations, options);
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  const o = report.options;
  console.log(
    `${report.model}, min score ${o.minScore}, tiles ${o.tileAbove ? `${o.tileGrid}×${o.tileGrid} above ${o.tileAbove} px` : 'off'}; median ${report.medianMsPerImage} ms/image`,
  );
  console.log(
    table(
      ['faces', 'annotated', 'found', 'recall (IoU 0.5)', 'false positives', 'FP / image'],
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
  console.log(`FP / image counting only detections >= 48 px: ${report.falsePositivesPerImage48.toFixed(2)}`);
  return 0;
}
