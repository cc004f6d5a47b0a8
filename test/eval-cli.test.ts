/**
 * `memegen eval` as a user runs it, on a small fixed subset of the shared FER2013
 * validation data (the first crops of each class, by name). The full-data figures that
 * models:fit recorded are checked by `npm run models:check`, not here: it takes minutes.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EMOTIONS, readEnsemble } from '../functions/core';
import { sharedData } from './support/sharedData';

const BIN = join(__dirname, '..', 'bin', 'memegen.js');
/** Crops per class in the subset: 140 in all, enough for every cell of the report to be exercised. */
const PER_CLASS = 20;
const CLI_TIMEOUT_MS = 110_000;
const TEST_TIMEOUT_MS = 120_000;

/**
 * Runs the installed CLI in its own process, as a user would. (In-process under
 * Jest's VM sandbox the same inferences run ~8× slower.) The child is killed if it outlives
 * the test's time: left running, it would keep Jest from exiting.
 */
async function runJson(argv: string[]): Promise<unknown> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...argv], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: CLI_TIMEOUT_MS,
  });
  return JSON.parse(stdout);
}

interface Metrics {
  accuracy: number;
  macroRecall: number;
  perClass: Record<string, number>;
  confusion: number[][];
}
type Report = { models: Record<string, Metrics>; ensemble: Metrics };

const total = (m: Metrics): number => m.confusion.flat().reduce((a, b) => a + b, 0);

describe('memegen eval --json on a fixed subset of FER2013 validation', () => {
  let work: string;
  let subset: string;
  let report: Report;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'memegen-eval-'));
    subset = join(work, 'subset');
    for (const label of EMOTIONS) {
      mkdirSync(join(subset, label), { recursive: true });
      const files = readdirSync(join(sharedData('fer2013'), label))
        .sort()
        .slice(0, PER_CLASS);
      for (const file of files)
        symlinkSync(join(sharedData('fer2013'), label, file), join(subset, label, file));
    }
    report = (await runJson(['eval', subset, '--json'])) as Report;
  }, TEST_TIMEOUT_MS);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('prints one object with every member and the ensemble, rates in 0..1 consistent with the confusion matrix', () => {
    expect(Object.keys(report.models).sort()).toEqual(
      readEnsemble()
        .members.map((m) => m.model)
        .sort(),
    );
    for (const m of [...Object.values(report.models), report.ensemble]) {
      const diagonal = m.confusion.reduce((s, row, i) => s + row[i], 0);
      expect(total(m)).toBe(PER_CLASS * EMOTIONS.length);
      // Rows are the true classes: each holds that class's crops.
      for (const row of m.confusion) expect(row.reduce((a, b) => a + b, 0)).toBe(PER_CLASS);
      expect(m.accuracy).toBeCloseTo(diagonal / total(m), 10);
      expect(Object.keys(m.perClass)).toEqual([...EMOTIONS]);
      EMOTIONS.forEach((e, i) => expect(m.perClass[e]).toBeCloseTo(m.confusion[i][i] / PER_CLASS, 10));
      const meanRecall = EMOTIONS.reduce((s, e) => s + m.perClass[e], 0) / EMOTIONS.length;
      expect(m.macroRecall).toBeCloseTo(meanRecall, 10);
      // Far better than chance (1/7) on crops of real faces.
      expect(m.accuracy).toBeGreaterThan(0.4);
    }
  });

  it(
    '--exclude-duplicates-of leaves out the crops whose pixels appear in that folder',
    async () => {
      // A "training" folder holding copies of three subset crops under other names.
      const train = join(work, 'train', 'any');
      mkdirSync(train, { recursive: true });
      const happy = readdirSync(join(subset, 'happy')).slice(0, 2);
      const sad = readdirSync(join(subset, 'sad')).slice(0, 1);
      copyFileSync(join(subset, 'happy', happy[0]), join(train, 'a.jpg'));
      copyFileSync(join(subset, 'happy', happy[1]), join(train, 'b.jpg'));
      copyFileSync(join(subset, 'sad', sad[0]), join(train, 'c.jpg'));
      const kept = (await runJson([
        'eval',
        subset,
        '--json',
        '--exclude-duplicates-of',
        join(work, 'train'),
      ])) as Report;
      expect(total(kept.ensemble)).toBe(PER_CLASS * EMOTIONS.length - 3);
      const rowTotal = (label: string): number =>
        kept.ensemble.confusion[EMOTIONS.indexOf(label as (typeof EMOTIONS)[number])].reduce(
          (a, b) => a + b,
          0,
        );
      expect([rowTotal('happy'), rowTotal('sad'), rowTotal('angry')]).toEqual([
        PER_CLASS - 2,
        PER_CLASS - 1,
        PER_CLASS,
      ]);
    },
    TEST_TIMEOUT_MS,
  );
});
