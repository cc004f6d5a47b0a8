/**
 * `npm run models:check [-- --fer <dir> --faces <dir>]`
 *
 * The full-data evaluations, which the test suite leaves to this script (its tests run the
 * same commands on small fixed subsets): the shipped ensemble and detector, run again over
 * the data they were fitted and chosen on, must reproduce what `models:fit` recorded in
 * models/ensemble.json and `models:detectors` in models/detector.json. A model, a
 * preprocessing step or a setting changed without refitting shows up here. Takes several
 * minutes on 2 cores; .ci/run runs it after `npm test`. Exits 1 when a figure is off.
 *
 * Data defaults: ../shared/data/fer2013 (FER2013 PublicTest crops) and
 * ../shared/data/faces-boxes (300 WIDER FACE val images), beside the project.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateLabelledImages } from '../../cli/evalCommand';
import { evaluateFaces } from '../../cli/evalFacesCommand';
import { projectRoot, readEnsemble } from '../../functions/core';
import { listLabelledImages } from '../eval/dataset';

const MODELS_DIR = join(__dirname, '..');

interface Check {
  what: string;
  recorded: string;
  measured: string;
  ok: boolean;
}

/** Within half a unit of the last recorded digit (the figures are stored rounded). */
const sameAsRecorded = (measured: number, recorded: number, digits: number): boolean =>
  Math.abs(measured - recorded) < 0.5 * 10 ** -digits + 1e-12;

interface FerData {
  images: number;
  excludedDuplicates?: { names: string[] };
}
interface Score {
  accuracy: number;
  macroRecall: number;
}

async function checkEnsemble(ferDir: string): Promise<Check[]> {
  const ensemble = readEnsemble(MODELS_DIR);
  // models:fit fits on two domains; `memegen eval` reproduces the FER2013 crops part of it.
  const data = (ensemble.data as Record<string, FerData>).fer2013;
  const recorded = (ensemble.fittedDataScore as Record<string, Score>).fer2013Crops;
  if (!data || !recorded)
    throw new Error(
      'models/ensemble.json records no FER2013 data or fer2013Crops score: rerun npm run models:fit',
    );
  // The fit's data: the validation crops less those it listed as training duplicates.
  const leftOut = new Set(data.excludedDuplicates?.names ?? []);
  const items = listLabelledImages(ferDir).filter((item) => !leftOut.has(item.name));
  const report = await evaluateLabelledImages(items);
  const bestMember = Math.max(...Object.values(report.models).map((m) => m.macroRecall));
  return [
    {
      what: 'ensemble: crops evaluated',
      recorded: String(data.images),
      measured: String(items.length),
      ok: items.length === data.images,
    },
    {
      what: 'ensemble: accuracy on the fitted data',
      recorded: recorded.accuracy.toFixed(4),
      measured: report.ensemble.accuracy.toFixed(4),
      ok: sameAsRecorded(report.ensemble.accuracy, recorded.accuracy, 3),
    },
    {
      what: 'ensemble: macro recall on the fitted data',
      recorded: recorded.macroRecall.toFixed(4),
      measured: report.ensemble.macroRecall.toFixed(4),
      ok: sameAsRecorded(report.ensemble.macroRecall, recorded.macroRecall, 3),
    },
    {
      what: 'ensemble: macro recall above every member alone',
      recorded: `> ${bestMember.toFixed(4)}`,
      measured: report.ensemble.macroRecall.toFixed(4),
      ok: report.ensemble.macroRecall > bestMember,
    },
  ];
}

interface DetectorConfig {
  options: { model: string; minScore: number };
  measured: { data: { faces64: number }; recall64: number; falsePositivesPerImage: number };
}

async function checkDetector(facesDir: string): Promise<Check[]> {
  const recorded = JSON.parse(readFileSync(join(MODELS_DIR, 'detector.json'), 'utf8')) as DetectorConfig;
  const report = await evaluateFaces(facesDir, join(facesDir, 'annotations.json'), {});
  const m = report.faces64;
  return [
    {
      what: 'detector: model and score floor',
      recorded: `${recorded.options.model} ${recorded.options.minScore}`,
      measured: `${report.model} ${report.options.minScore}`,
      ok: report.model === recorded.options.model && report.options.minScore === recorded.options.minScore,
    },
    {
      what: 'detector: valid faces ≥ 64 px',
      recorded: String(recorded.measured.data.faces64),
      measured: String(m.faces),
      ok: m.faces === recorded.measured.data.faces64,
    },
    {
      what: 'detector: recall on faces ≥ 64 px',
      recorded: recorded.measured.recall64.toFixed(4),
      measured: m.recall.toFixed(4),
      ok: sameAsRecorded(m.recall, recorded.measured.recall64, 2),
    },
    {
      what: 'detector: false positives per image (≤ 0.3)',
      recorded: recorded.measured.falsePositivesPerImage.toFixed(2),
      measured: m.falsePositivesPerImage.toFixed(2),
      ok:
        m.falsePositivesPerImage <= 0.3 &&
        sameAsRecorded(m.falsePositivesPerImage, recorded.measured.falsePositivesPerImage, 1),
    },
  ];
}

async function main(): Promise<void> {
  const shared = join(projectRoot(), '..', 'shared', 'data');
  const { values } = parseArgs({
    options: {
      fer: { type: 'string', default: join(shared, 'fer2013') },
      faces: { type: 'string', default: join(shared, 'faces-boxes') },
    },
  });
  const started = performance.now();
  const checks = [
    ...(await checkEnsemble(resolve(values.fer))),
    ...(await checkDetector(resolve(values.faces))),
  ];
  const width = Math.max(...checks.map((c) => c.what.length));
  for (const c of checks)
    console.log(
      `${c.ok ? 'ok  ' : 'OFF '} ${c.what.padEnd(width)}  recorded ${c.recorded}, measured ${c.measured}`,
    );
  console.log(`checked in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const off = checks.filter((c) => !c.ok).length;
  if (off > 0) {
    console.error(
      `${off} figure(s) no longer match models/ensemble.json or models/detector.json: ` +
        'rerun npm run models:fit / models:detectors, or find what changed',
    );
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
