/**
 * Stratified k-fold cross-validation: combiners are judged on images they were
 * not fitted on. Held-out predictions of all folds are pooled, then scored once.
 */
import { ClassificationMetrics, metricsOf } from '../eval/metrics';
import { Combination, combineAll } from '../../functions/core';
import { Combiner, Predictions } from './combiners';

/** Deterministic stratified folds: within each class, images are dealt round-robin after a seeded shuffle. */
export function stratifiedFolds(labels: number[], k: number, seed = 2013): number[] {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const fold = new Array<number>(labels.length);
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  for (const indices of [...byClass.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1])) {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    indices.forEach((index, position) => (fold[index] = position % k));
  }
  return fold;
}

/** The members' predictions of the given samples only. */
export const pick = (preds: Predictions, indices: number[]): Predictions =>
  Object.fromEntries(Object.entries(preds).map(([m, rows]) => [m, indices.map((i) => rows[i])]));

/** Sample indexes outside fold `f` (to fit on) and in it (to score). */
export function foldSplit(folds: readonly number[], f: number): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  folds.forEach((fold, i) => (fold === f ? test : train).push(i));
  return { train, test };
}

/**
 * The fold loop every cross-validation here shares: for each fold `f`, `fit` makes a
 * combination from the samples outside it (`train`), which is applied to the fold's own
 * samples. Returns every sample's held-out probabilities and each fold's combination.
 */
export function heldOutByFold(
  preds: Predictions,
  folds: readonly number[],
  fit: (train: number[], f: number) => Combination,
): { probabilities: Float32Array[]; combinations: Combination[] } {
  const k = Math.max(...folds) + 1;
  const probabilities = new Array<Float32Array>(folds.length);
  const combinations: Combination[] = [];
  for (let f = 0; f < k; f++) {
    const { train, test } = foldSplit(folds, f);
    const combination = fit(train, f);
    combinations.push(combination);
    combineAll(pick(preds, test), combination).forEach((p, j) => (probabilities[test[j]] = p));
  }
  return { probabilities, combinations };
}

export function crossValidate(
  combiner: Combiner,
  preds: Predictions,
  labels: number[],
  folds: number[],
): ClassificationMetrics {
  const { probabilities } = heldOutByFold(preds, folds, (train) =>
    combiner.fit(
      pick(preds, train),
      train.map((i) => labels[i]),
    ),
  );
  return metricsOf(probabilities, labels);
}
