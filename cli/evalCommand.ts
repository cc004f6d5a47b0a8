/** `memegen eval`: expression accuracy of every model and of the ensemble on labelled crops. */
import {
  combineAll,
  EMOTIONS,
  ExpressionModel,
  modelEntry,
  readEnsemble,
  readManifest,
} from '../functions/core';
import { LabelledImage, listLabelledImages, withoutDuplicatesOf } from '../models/eval/dataset';
import { chosen, decodeDataset, predictDataset } from '../models/eval/expressions';
import { ClassificationMetrics, metricsOf } from '../models/eval/metrics';
import { pct, table } from './format';

export interface EvalReport {
  models: Record<string, ClassificationMetrics>;
  ensemble: ClassificationMetrics;
}

export async function evaluateExpressions(dir: string, excludeDuplicatesOf?: string): Promise<EvalReport> {
  let items = listLabelledImages(dir);
  if (excludeDuplicatesOf) items = (await withoutDuplicatesOf(items, excludeDuplicatesOf)).kept;
  return evaluateLabelledImages(items);
}

/** Every ensemble member's and the ensemble's metrics on these crops. */
export async function evaluateLabelledImages(items: LabelledImage[]): Promise<EvalReport> {
  const labels = items.map((i) => i.labelIndex);
  const images = await decodeDataset(items);
  const manifest = readManifest();
  const ensemble = readEnsemble();
  const perModel: Record<string, Float32Array[]> = {};
  for (const member of ensemble.members) {
    const model = await ExpressionModel.load(modelEntry(manifest, member.model));
    perModel[member.model] = chosen(await predictDataset(model, images), member.flip);
  }
  return {
    models: Object.fromEntries(Object.entries(perModel).map(([m, p]) => [m, metricsOf(p, labels)])),
    ensemble: metricsOf(combineAll(perModel, ensemble), labels),
  };
}

export async function evalCommand(dir: string, json: boolean, excludeDuplicatesOf?: string): Promise<number> {
  const report = await evaluateExpressions(dir, excludeDuplicatesOf);
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  const all = { ...report.models, ensemble: report.ensemble };
  console.log(
    table(
      ['model', 'accuracy', 'macro recall', ...EMOTIONS],
      Object.entries(all).map(([name, m]) => [
        name,
        pct(m.accuracy),
        pct(m.macroRecall),
        ...EMOTIONS.map((e) => pct(m.perClass[e])),
      ]),
    ),
  );
  console.log('\nensemble confusion matrix (rows: true, columns: predicted)');
  console.log(
    table(
      ['', ...EMOTIONS],
      report.ensemble.confusion.map((row, i) => [EMOTIONS[i], ...row.map(String)]),
    ),
  );
  return 0;
}
