/**
 * The shipped detector on real crowd photos: `memegen eval-faces` on a fixed subset of the
 * WIDER FACE validation images (every tenth of the 300). That the full 300 reproduce the
 * recall and false-positive rate `npm run models:detectors` recorded is checked by
 * `npm run models:check`, not here: it takes minutes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { modelsDir } from '../functions/core';
import { DetectionMetrics } from '../models/eval/detection';
import { sharedData } from './support/sharedData';

const BIN = join(__dirname, '..', 'bin', 'memegen.js');

interface DetectorConfig {
  options: { model: string; minScore: number };
}

interface Annotation {
  file: string;
  faces: { h: number; invalid: number }[];
}

describe('face detection on a fixed subset of WIDER FACE validation (30 images)', () => {
  const recorded = JSON.parse(readFileSync(join(modelsDir(), 'detector.json'), 'utf8')) as DetectorConfig;
  let subset: Annotation[];
  let report: { model: string; options: { minScore: number }; faces64: DetectionMetrics };
  let work: string;

  beforeAll(async () => {
    const dir = sharedData('faces-boxes');
    const all = JSON.parse(readFileSync(join(dir, 'annotations.json'), 'utf8')) as Annotation[];
    subset = all.filter((_, i) => i % 10 === 0);
    work = mkdtempSync(join(tmpdir(), 'memegen-wider-'));
    const annotations = join(work, 'annotations.json');
    writeFileSync(annotations, JSON.stringify(subset));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, 'eval-faces', dir, '--annotations', annotations, '--json'],
      // Killed if it outlives the hook: left running, it would keep Jest from exiting.
      { maxBuffer: 16 * 1024 * 1024, timeout: 110_000 },
    );
    report = JSON.parse(stdout) as typeof report;
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('runs the shipped detector at the shipped operating point', () => {
    expect(report.model).toBe(recorded.options.model);
    expect(report.options.minScore).toBe(recorded.options.minScore);
  });

  it('counts every valid annotated face ≥ 64 px and reports consistent rates', () => {
    const m = report.faces64;
    expect(m.images).toBe(subset.length);
    expect(m.faces).toBe(
      subset.flatMap((image) => image.faces).filter((f) => !f.invalid && f.h >= 64).length,
    );
    expect(m.found).toBeLessThanOrEqual(m.faces);
    expect(m.recall).toBeCloseTo(m.found / m.faces, 10);
    expect(m.falsePositivesPerImage).toBeCloseTo(m.falsePositives / m.images, 10);
  });

  it('finds most faces ≥ 64 px in crowds, with few false positives', () => {
    expect(report.faces64.recall).toBeGreaterThanOrEqual(0.7);
    expect(report.faces64.falsePositivesPerImage).toBeLessThanOrEqual(0.5);
  });
});
