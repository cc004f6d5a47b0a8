/**
 * Ways to fit the ensemble's per-model, per-class weights from labelled
 * predictions. Every combiner is a function (train predictions, train labels) →
 * combination (rule, weights, bias), so cross-validation can treat them alike.
 */
import { Combination, combineAll, Emotion, EMOTIONS } from '../../functions/core';
import { ClassificationMetrics, metricsOf } from '../eval/metrics';

/** preds[model][i] = probabilities (EMOTIONS order) of image i. */
export type Predictions = Record<string, Float32Array[]>;
export type Weights = Record<string, Record<Emotion, number>>;

export interface Combiner {
  name: string;
  description: string;
  /** `domains[i]`: which data set sample i comes from, for combiners that weigh domains alike. */
  fit(preds: Predictions, labels: number[], domains?: number[]): Combination;
}

/** What we maximise: accuracy and macro recall count equally. */
export const objectiveOf = (m: ClassificationMetrics): number => (m.accuracy + m.macroRecall) / 2;

export function objective(preds: Predictions, labels: number[], combination: Combination): number {
  return objectiveOf(metricsOf(combineAll(preds, combination), labels));
}

export const uniform = (models: string[], value = 1): Weights =>
  Object.fromEntries(models.map((m) => [m, Object.fromEntries(EMOTIONS.map((e) => [e, value]))])) as Weights;

/** Only one member counts: to report each model alone through the same machinery. */
export function singleModel(model: string): Combiner {
  return {
    name: `only ${model}`,
    description: `${model} alone`,
    fit: (preds) => {
      const w = uniform(Object.keys(preds), 0);
      w[model] = uniform([model])[model];
      return { weights: w };
    },
  };
}

export const equalWeights: Combiner = {
  name: 'equal',
  description: 'plain average of the members',
  fit: (preds) => ({ weights: uniform(Object.keys(preds)) }),
};

/** The MemeGen article's method: weight = the model's recall (per-class accuracy) on that class. */
export const perClassAccuracy: Combiner = {
  name: 'per-class-accuracy',
  description: "weight of model m for class c = m's recall on c (the original MemeGen method)",
  fit: (preds, labels) => {
    const w = uniform(Object.keys(preds));
    for (const model of Object.keys(preds)) {
      const perClass = metricsOf(preds[model], labels).perClass;
      for (const e of EMOTIONS) w[model][e] = perClass[e];
    }
    return { weights: w };
  },
};

const GRID = Array.from({ length: 41 }, (_, i) => i / 10); // 0.0 .. 4.0

/**
 * Objective evaluation fast enough for a search: keeps the unnormalised score
 * matrix (renormalising never changes the argmax) and updates one column when one
 * weight changes, instead of recombining every image.
 */
class IncrementalScorer {
  private readonly k = EMOTIONS.length;
  private readonly scores: Float64Array;
  private readonly classCounts: number[];

  constructor(
    private readonly flat: Record<string, Float64Array>,
    private readonly labels: number[],
    weights: Weights,
  ) {
    this.scores = new Float64Array(labels.length * this.k);
    this.classCounts = EMOTIONS.map((_, c) => labels.filter((l) => l === c).length);
    for (const model of Object.keys(flat))
      EMOTIONS.forEach((e, c) => this.shift(model, c, weights[model][e]));
  }

  /** Adds delta × model's probabilities to column c. */
  shift(model: string, c: number, delta: number): void {
    const p = this.flat[model];
    for (let i = c; i < this.scores.length; i += this.k) this.scores[i] += delta * p[i];
  }

  objective(): number {
    const hits = new Array<number>(this.k).fill(0);
    for (let i = 0; i < this.labels.length; i++) {
      const row = i * this.k;
      let best = 0;
      for (let c = 1; c < this.k; c++) if (this.scores[row + c] > this.scores[row + best]) best = c;
      if (best === this.labels[i]) hits[best]++;
    }
    const present = this.classCounts.map((n, c) => [n, c]).filter(([n]) => n > 0);
    const macro = present.reduce((s, [n, c]) => s + hits[c] / n, 0) / present.length;
    return (hits.reduce((a, b) => a + b, 0) / this.labels.length + macro) / 2;
  }
}

const flatten = (rows: Float32Array[]): Float64Array => {
  const out = new Float64Array(rows.length * EMOTIONS.length);
  rows.forEach((r, i) => out.set(r, i * EMOTIONS.length));
  return out;
};

/**
 * Coordinate ascent on the objective: one weight at a time, try every grid value,
 * keep the best; repeat passes until a pass changes nothing. Starts from the
 * per-class-accuracy weights so it can only improve on the baseline (on train data).
 */
export const coordinateAscent: Combiner = {
  name: 'coordinate-ascent',
  description:
    'per-class weights searched one at a time on a 0..4 grid to maximise (accuracy + macro recall) / 2',
  fit: (preds, labels) => {
    const models = Object.keys(preds);
    const w = perClassAccuracy.fit(preds, labels).weights;
    const flat = Object.fromEntries(models.map((m) => [m, flatten(preds[m])]));
    const scorer = new IncrementalScorer(flat, labels, w);
    let best = scorer.objective();
    for (let pass = 0; pass < 10; pass++) {
      let improved = false;
      for (const model of models) {
        EMOTIONS.forEach((e, c) => {
          let current = w[model][e];
          for (const value of GRID) {
            if (value === current) continue;
            scorer.shift(model, c, value - current);
            const score = scorer.objective();
            // Strictly better only: ties keep the earlier value so the result is deterministic.
            if (score > best + 1e-12) {
              best = score;
              current = value;
              improved = true;
            } else {
              scorer.shift(model, c, current - value);
            }
          }
          w[model][e] = current;
        });
      }
      if (!improved) break;
    }
    return { weights: w };
  },
};
