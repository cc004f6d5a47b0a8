/**
 * The expression ensemble: per-model, per-class weights (fitted by
 * `npm run models:fit`, stored in models/ensemble.json) combine the members'
 * probabilities, by a weighted sum or a weighted product (log-linear), into
 * probabilities again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Emotion, EMOTIONS, EmotionScores } from '../emotions';
import { modelsDir } from '../manifest';
import { Framing } from './crop';

export interface EnsembleMember {
  model: string;
  /** Average with the mirrored crop: only where it measurably helped this model. */
  flip: boolean;
}

/**
 * - `weighted-sum` (the default): p(c) ∝ Σ_m w[m][c] · p_m(c).
 * - `log-linear`: p(c) = softmax over c of bias[c] + Σ_m w[m][c] · ln p_m(c), a weighted
 *   product of the members' probabilities. A member that rules a class out (p near 0)
 *   pulls it down hard, which a sum cannot do; the bias moves the class priors.
 */
export type CombinationRule = 'weighted-sum' | 'log-linear';

export interface Combination {
  rule?: CombinationRule;
  /** weights[model][emotion] */
  weights: Record<string, Record<Emotion, number>>;
  /** Per-class offsets, `log-linear` only. */
  bias?: Record<Emotion, number>;
}

/** Probabilities below this are clamped before the logarithm, so one 0 cannot veto a class outright. */
export const LOG_FLOOR = 1e-6;

export interface EnsembleConfig extends Combination {
  comment?: string;
  method: string;
  members: EnsembleMember[];
  /** How face crops are framed around the face's landmarks. */
  framing: Framing;
  [extra: string]: unknown;
}

export function readEnsemble(dir = modelsDir()): EnsembleConfig {
  const config = JSON.parse(readFileSync(join(dir, 'ensemble.json'), 'utf8')) as EnsembleConfig;
  for (const m of config.members) {
    const w = config.weights[m.model];
    if (!w || EMOTIONS.some((e) => typeof w[e] !== 'number')) {
      throw new Error(`ensemble.json: member ${m.model} lacks a weight for every emotion`);
    }
  }
  if (!Number.isFinite(config.framing?.scale) || !Number.isFinite(config.framing?.shiftDown)) {
    throw new Error('ensemble.json: framing needs scale and shiftDown (rerun npm run models:fit)');
  }
  const rule = config.rule ?? 'weighted-sum';
  if (rule !== 'weighted-sum' && rule !== 'log-linear')
    throw new Error(`ensemble.json: unknown rule "${String(rule)}"`);
  if (rule === 'log-linear' && EMOTIONS.some((e) => typeof config.bias?.[e] !== 'number')) {
    throw new Error('ensemble.json: a log-linear ensemble needs a bias for every emotion');
  }
  return config;
}

/** Combines one image's member probabilities by {@link Combination}; the result sums to 1. */
export function combine(
  memberProbabilities: Record<string, Float32Array | number[]>,
  combination: Combination,
): Float32Array {
  const { weights } = combination;
  if (combination.rule === 'log-linear') {
    const bias = combination.bias;
    const scores = Float64Array.from(EMOTIONS, (e) => bias?.[e] ?? 0);
    for (const [model, probs] of Object.entries(memberProbabilities)) {
      const w = weights[model];
      EMOTIONS.forEach((e, k) => (scores[k] += w[e] * Math.log(Math.max(probs[k], LOG_FLOOR))));
    }
    const top = Math.max(...scores);
    const exp = scores.map((s) => Math.exp(s - top));
    const total = exp.reduce((a, b) => a + b, 0);
    return Float32Array.from(exp, (v) => v / total);
  }
  const scores = new Float32Array(EMOTIONS.length);
  for (const [model, probs] of Object.entries(memberProbabilities)) {
    const w = weights[model];
    EMOTIONS.forEach((e, k) => (scores[k] += w[e] * probs[k]));
  }
  const total = scores.reduce((a, b) => a + b, 0);
  return total > 0 ? scores.map((s) => s / total) : scores.fill(1 / EMOTIONS.length);
}

/** {@link combine} for many images at once: perModel[model][i] are image i's probabilities. */
export function combineAll(
  perModel: Record<string, (Float32Array | number[])[]>,
  combination: Combination,
): Float32Array[] {
  const models = Object.keys(perModel);
  const count = models.length ? perModel[models[0]].length : 0;
  return Array.from({ length: count }, (_, i) =>
    combine(Object.fromEntries(models.map((m) => [m, perModel[m][i]])), combination),
  );
}

export function toEmotionScores(probabilities: Float32Array | number[]): EmotionScores {
  return Object.fromEntries(EMOTIONS.map((e, k) => [e, probabilities[k]])) as EmotionScores;
}

export function dominantEmotion(probabilities: Float32Array | number[]): Emotion {
  let best = 0;
  for (let k = 1; k < EMOTIONS.length; k++) if (probabilities[k] > probabilities[best]) best = k;
  return EMOTIONS[best];
}
