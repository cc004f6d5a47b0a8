/**
 * The shipped detector settings reproduce, on the WIDER FACE subset, the recall and
 * false-positive rate that `npm run models:detectors` recorded when it chose them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateFaces } from '../cli/evalFacesCommand';
import { modelsDir } from '../functions/core';
import { sharedData } from './support/sharedData';

interface DetectorConfig {
  options: { model: string; minScore: number };
  measured: { recall64: number; falsePositivesPerImage: number };
}

describe('face detection on WIDER FACE (300 validation images)', () => {
  const recorded = JSON.parse(readFileSync(join(modelsDir(), 'detector.json'), 'utf8')) as DetectorConfig;
  let report: Awaited<ReturnType<typeof evaluateFaces>>;

  beforeAll(async () => {
    const dir = sharedData('faces-boxes');
    report = await evaluateFaces(dir, join(dir, 'annotations.json'), {});
  }, 300_000);

  it('runs the shipped detector at the shipped operating point', () => {
    expect(report.model).toBe(recorded.options.model);
    expect(report.options.minScore).toBe(recorded.options.minScore);
  });

  it('finds the recorded share of faces ≥ 64 px', () => {
    expect(report.faces64.faces).toBe(521);
    expect(report.faces64.recall).toBeCloseTo(recorded.measured.recall64, 2);
  });

  it('keeps false positives at or under 0.3 per image', () => {
    expect(report.faces64.falsePositivesPerImage).toBeLessThanOrEqual(0.3);
    expect(report.faces64.falsePositivesPerImage).toBeCloseTo(recorded.measured.falsePositivesPerImage, 1);
  });
});
