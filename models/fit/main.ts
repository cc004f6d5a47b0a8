/**
 * `npm run models:fit -- --data <dir of class folders> [--folds 5] [--exclude-duplicates-of <dir>]`
 *
 * Fits the expression ensemble on labelled face crops and writes
 * models/ensemble.json, the measured accuracy of each model into
 * models/models.json, and models/REPORT.md with confusion-matrix PNGs.
 * Combiners are compared by stratified k-fold cross-validation; the winner is
 * then refitted on all the data.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Combination,
  combineAll,
  Emotion,
  EMOTIONS,
  EnsembleConfig,
  ExpressionModel,
  FaceDetector,
  Manifest,
  readManifest,
} from '../../functions/core';
import { datasetSha256, listLabelledImages, withoutDuplicatesOf } from '../eval/dataset';
import { chosen, decodeDataset, ModelPredictions, predictDataset } from '../eval/expressions';
import { ClassificationMetrics, metricsOf } from '../eval/metrics';
import {
  Combiner,
  coordinateAscent,
  equalWeights,
  objectiveOf,
  perClassAccuracy,
  Predictions,
  singleModel,
} from './combiners';
import { logLinear } from './logLinear';
import { confusionPng } from './confusionPng';
import { crossValidate, stratifiedFolds } from './crossValidation';
import { measureFraming } from './framing';
import { CandidateResult, writeReport } from './report';

const MODELS_DIR = join(__dirname, '..');
const round = (v: number) => Math.round(v * 10000) / 10000;

function summary(m: ClassificationMetrics) {
  return {
    accuracy: round(m.accuracy),
    macroRecall: round(m.macroRecall),
    perClass: Object.fromEntries(EMOTIONS.map((e) => [e, round(m.perClass[e])])),
    confusion: m.confusion,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      folds: { type: 'string', default: '5' },
      'exclude-duplicates-of': { type: 'string' },
    },
  });
  if (!values.data) {
    throw new Error(
      'usage: npm run models:fit -- --data <dir of class folders> [--folds 5] [--exclude-duplicates-of <dir>]',
    );
  }
  const dataDir = resolve(values.data);
  const folds = Number(values.folds);
  const manifest = readManifest(MODELS_DIR);
  let items = listLabelledImages(dataDir);
  // Crops that a member saw in training would flatter it (and the weights it gets): leave them out.
  let excluded: { of: string; count: number; names: string[] } | undefined;
  if (values['exclude-duplicates-of']) {
    const against = resolve(values['exclude-duplicates-of']);
    const { kept, duplicates } = await withoutDuplicatesOf(items, against);
    items = kept;
    excluded = { of: basename(against), count: duplicates.length, names: duplicates.map((d) => d.name) };
    console.log(`left out ${duplicates.length} crops whose pixels also appear under ${against}`);
  }
  const labels = items.map((i) => i.labelIndex);
  console.log(`${items.length} labelled crops in ${dataDir}`);

  const detector = await FaceDetector.load(manifest);
  const framing = await measureFraming(detector, items);
  console.log(
    `framing: margin ${framing.margin}, shiftUp ${framing.shiftUp} (${framing.detected}/${framing.crops} crops)`,
  );

  const images = await decodeDataset(items);
  const expressionModels = manifest.models.filter((m) => m.task === 'expression');
  const raw: Record<string, ModelPredictions> = {};
  const flip: Record<string, boolean> = {};
  const flipGain: Record<string, { plain: ClassificationMetrics; flipped: ClassificationMetrics }> = {};
  for (const entry of expressionModels) {
    const model = await ExpressionModel.load(entry);
    raw[entry.id] = await predictDataset(model, images);
    const plain = metricsOf(raw[entry.id].plain, labels);
    const flipped = metricsOf(chosen(raw[entry.id], true), labels);
    flip[entry.id] = objectiveOf(flipped) > objectiveOf(plain);
    flipGain[entry.id] = { plain, flipped };
    console.log(
      `${entry.id}: plain ${(plain.accuracy * 100).toFixed(1)} % / flip-TTA ${(flipped.accuracy * 100).toFixed(1)} % → flip ${flip[entry.id]}`,
    );
  }
  const preds: Predictions = Object.fromEntries(
    expressionModels.map((m) => [m.id, chosen(raw[m.id], flip[m.id])]),
  );

  const foldOf = stratifiedFolds(labels, folds);
  const candidates: { combiner: Combiner; ensemble: boolean }[] = [
    ...expressionModels.map((m) => ({ combiner: singleModel(m.id), ensemble: false })),
    { combiner: equalWeights, ensemble: true },
    { combiner: perClassAccuracy, ensemble: true },
    { combiner: coordinateAscent, ensemble: true },
    { combiner: logLinear(), ensemble: true },
  ];
  const results: CandidateResult[] = candidates.map((c) => {
    const crossValidated = crossValidate(c.combiner, preds, labels, foldOf);
    console.log(
      `${c.combiner.name}: ${folds}-fold CV accuracy ${(crossValidated.accuracy * 100).toFixed(2)} %, macro recall ${(crossValidated.macroRecall * 100).toFixed(2)} %`,
    );
    return { ...c, crossValidated };
  });
  const winner = results
    .filter((r) => r.ensemble)
    .reduce((a, b) => (objectiveOf(b.crossValidated) > objectiveOf(a.crossValidated) ? b : a));
  // Rounded as stored, so the recorded fitted-data score is that of the combination we ship.
  const fitted = winner.combiner.fit(preds, labels);
  const roundRow = (w: Record<Emotion, number>) =>
    Object.fromEntries(EMOTIONS.map((e) => [e, round(w[e])])) as Record<Emotion, number>;
  const combination: Combination = {
    rule: fitted.rule ?? 'weighted-sum',
    weights: Object.fromEntries(Object.entries(fitted.weights).map(([m, w]) => [m, roundRow(w)])),
    ...(fitted.bias ? { bias: roundRow(fitted.bias) } : {}),
  };
  const fittedOnAll = metricsOf(combineAll(preds, combination), labels);

  const data = {
    name: basename(dataDir),
    images: items.length,
    sha256: datasetSha256(items),
    ...(excluded ? { excludedDuplicates: excluded } : {}),
  };
  const ensemble: EnsembleConfig = {
    comment: 'Generated by `npm run models:fit`; do not edit by hand.',
    method: winner.combiner.name,
    methodDescription: winner.combiner.description,
    members: expressionModels.map((m) => ({ model: m.id, flip: flip[m.id] })),
    ...combination,
    framing: { margin: framing.margin, shiftUp: framing.shiftUp },
    framingMeasuredOn: { crops: framing.crops, detected: framing.detected },
    data,
    crossValidation: {
      folds,
      objective: '(accuracy + macroRecall) / 2 of the pooled held-out predictions',
      results: Object.fromEntries(results.map((r) => [r.combiner.name, summary(r.crossValidated)])),
    },
    fittedDataScore: {
      ...summary(fittedOnAll),
      note: 'scored on the data it was fitted on: optimistic, for reference only',
    },
  };
  writeFileSync(join(MODELS_DIR, 'ensemble.json'), `${JSON.stringify(ensemble, null, 2)}\n`);

  const updated: Manifest = {
    ...manifest,
    models: manifest.models.map((m) => {
      if (!raw[m.id]) return m;
      const own = results.find((r) => r.combiner.name === `only ${m.id}`);
      const chosenMetrics = metricsOf(preds[m.id], labels);
      return {
        ...m,
        accuracy: {
          data: {
            ...data,
            ...(excluded ? { excludedDuplicates: { of: excluded.of, count: excluded.count } } : {}),
          },
          flipTestTimeAugmentation: flip[m.id],
          ...summary(chosenMetrics),
          crossValidatedAsSingleMember: own
            ? {
                accuracy: round(own.crossValidated.accuracy),
                macroRecall: round(own.crossValidated.macroRecall),
              }
            : undefined,
        },
      };
    }),
  };
  writeFileSync(join(MODELS_DIR, 'models.json'), `${JSON.stringify(updated, null, 2)}\n`);

  const reportDir = join(MODELS_DIR, 'report');
  mkdirSync(reportDir, { recursive: true });
  const pictures: Record<string, string> = {};
  for (const r of results) {
    const file = `confusion-${r.combiner.name.replace(/^only /, '').replace(/[^a-z0-9-]+/gi, '-')}.png`;
    writeFileSync(
      join(reportDir, file),
      confusionPng(`${r.combiner.name} — ${folds}-fold CV on ${data.name}`, r.crossValidated.confusion),
    );
    pictures[r.combiner.name] = `report/${file}`;
  }
  writeReport(join(MODELS_DIR, 'REPORT.md'), {
    data,
    folds,
    results,
    winner,
    flipGain,
    framing,
    pictures,
    combination,
  });
  console.log(
    `winner: ${winner.combiner.name}; wrote models/ensemble.json, models/models.json, models/REPORT.md`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
