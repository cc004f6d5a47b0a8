/**
 * The expression ensemble: per-model, per-class weights (fitted by
 * `npm run models:fit`, stored in models/ensemble.json) combine the members'
 * probabilities; the combination is renormalised into probabilities.
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

export interface EnsembleConfig {
  comment?: string;
  method: string;
  members: EnsembleMember[];
  /** weights[model][emotion] */
  weights: Record<string, Record<Emotion, number>>;
  /** How face crops are framed around the detector box. */
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
  return config;
}

/** Weighted per-class sum of member probabilities, renormalised to sum to 1. */
export function combine(
  memberProbabilities: Record<string, Float32Array | number[]>,
  weights: Record<string, Record<Emotion, number>>,
): Float32Array {
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
  weights: Record<string, Record<Emotion, number>>,
): Float32Array[] {
  const models = Object.keys(perModel);
  const count = models.length ? perModel[models[0]].length : 0;
  return Array.from({ length: count }, (_, i) => combine(Object.fromEntries(models.map((m) => [m, perModel[m][i]])), weights));
}

export function toEmotionScores(probabilities: Float32Array | number[]): EmotionScores {
  return Object.fromEntries(EMOTIONS.map((e, k) => [e, probabilities[k]])) as EmotionScores;
}

export function dominantEmotion(probabilities: Float32Array | number[]): Emotion {
  let best = 0;
  for (let k = 1; k < EMOTIONS.length; k++) if (probabilities[k] > probabilities[best]) best = k;
  return EMOTIONS[best];
}
