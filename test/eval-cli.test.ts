/** `memegen eval` / `eval-faces` on the shared validation data, as a user runs them. */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EMOTIONS, readEnsemble } from '../functions/core';
import { sharedData } from './support/sharedData';

const BIN = join(__dirname, '..', 'bin', 'memegen.js');

/**
 * Runs the installed CLI in its own process, as a user would. (In-process under
 * Jest's VM sandbox the same 7,000 inferences run ~8× slower.)
 */
async function runJson(argv: string[]): Promise<unknown> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...argv], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

interface Metrics {
  accuracy: number;
  macroRecall: number;
  perClass: Record<string, number>;
  confusion: number[][];
}

describe('memegen eval --json on FER2013 validation', () => {
  let report: { models: Record<string, Metrics>; ensemble: Metrics };

  beforeAll(async () => {
    report = (await runJson(['eval', sharedData('fer2013'), '--json'])) as typeof report;
  }, 300_000);

  it('prints one object with every member and the ensemble, rates in 0..1 consistent with the confusion matrix', () => {
    const ensemble = readEnsemble();
    expect(Object.keys(report.models).sort()).toEqual(ensemble.members.map((m) => m.model).sort());
    for (const m of [...Object.values(report.models), report.ensemble]) {
      const total = m.confusion.flat().reduce((a, b) => a + b, 0);
      const diagonal = m.confusion.reduce((s, row, i) => s + row[i], 0);
      expect(total).toBe(3589);
      expect(m.accuracy).toBeCloseTo(diagonal / total, 10);
      expect(Object.keys(m.perClass)).toEqual([...EMOTIONS]);
      const meanRecall = EMOTIONS.reduce((s, e) => s + m.perClass[e], 0) / EMOTIONS.length;
      expect(m.macroRecall).toBeCloseTo(meanRecall, 10);
    }
  });

  it('reproduces the ensemble score models:fit recorded, on the same de-duplicated crops', async () => {
    const ensemble = readEnsemble();
    const data = ensemble.data as { images: number; excludedDuplicates?: { names: string[] } };
    const leftOut = new Set(data.excludedDuplicates?.names ?? []);
    // The fit's data: the validation folder less the crops it listed as training duplicates.
    const dir = mkdtempSync(join(tmpdir(), 'memegen-fer-'));
    let kept = 0;
    for (const label of EMOTIONS) {
      mkdirSync(join(dir, label));
      for (const file of readdirSync(join(sharedData('fer2013'), label))) {
        if (leftOut.has(`${label}/${file}`)) continue;
        symlinkSync(join(sharedData('fer2013'), label, file), join(dir, label, file));
        kept++;
      }
    }
    expect(kept).toBe(data.images);
    const fitData = (await runJson(['eval', dir, '--json'])) as typeof report;
    rmSync(dir, { recursive: true });
    const recorded = ensemble.fittedDataScore as { accuracy: number; macroRecall: number };
    expect(fitData.ensemble.accuracy).toBeCloseTo(recorded.accuracy, 3);
    expect(fitData.ensemble.macroRecall).toBeCloseTo(recorded.macroRecall, 3);
  }, 300_000);

  it('beats every member alone on macro recall', () => {
    for (const m of Object.values(report.models))
      expect(report.ensemble.macroRecall).toBeGreaterThan(m.macroRecall);
  });
});
