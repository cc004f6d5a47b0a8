/** Classification metrics over the canonical emotions; rates are in 0..1. */
import { Emotion, EMOTIONS } from '../../functions/core';

export interface ClassificationMetrics {
  accuracy: number;
  macroRecall: number;
  perClass: Record<Emotion, number>;
  /** confusion[true][predicted], rows and columns in EMOTIONS order. */
  confusion: number[][];
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export function classificationMetrics(predicted: number[], labels: number[]): ClassificationMetrics {
  const k = EMOTIONS.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  predicted.forEach((p, i) => confusion[labels[i]][p]++);
  return metricsOfConfusion(confusion, labels.length, new Array<number>(k).fill(0));
}

/**
 * Accuracy, macro recall and per-class recall from a confusion matrix over `images` images,
 * `missed[c]` of class c having no answer at all (wrong, in accuracy and in c's recall).
 * Macro recall averages the classes present.
 */
function metricsOfConfusion(confusion: number[][], images: number, missed: number[]): ClassificationMetrics {
  const totals = confusion.map((row, c) => row.reduce((a, b) => a + b, 0) + missed[c]);
  const recalls = confusion.map((row, c) => (totals[c] > 0 ? row[c] / totals[c] : NaN));
  const present = recalls.filter((r) => !Number.isNaN(r));
  const correct = confusion.reduce((s, row, c) => s + row[c], 0);
  return {
    accuracy: images ? correct / images : 0,
    macroRecall: present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0,
    perClass: Object.fromEntries(
      EMOTIONS.map((e, c) => [e, Number.isNaN(recalls[c]) ? 0 : recalls[c]]),
    ) as Record<Emotion, number>,
    confusion,
  };
}

/** Metrics of argmax decisions over probability rows. */
export function metricsOf(probabilities: ArrayLike<number>[], labels: number[]): ClassificationMetrics {
  return classificationMetrics(probabilities.map(argmax), labels);
}

/** Classification metrics where some images got no prediction at all (the detector found no face). */
export interface EndToEndMetrics extends ClassificationMetrics {
  /** Images of each class the detector found no face in; they count as wrong. */
  missed: Record<Emotion, number>;
  found: number;
  images: number;
}

/**
 * Metrics end to end: `null` = no face found, which counts as a wrong answer (in accuracy
 * and in its class's recall). Macro recall averages the classes present in `labels`.
 */
export function endToEndMetrics(
  probabilities: (ArrayLike<number> | null)[],
  labels: number[],
): EndToEndMetrics {
  const k = EMOTIONS.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const missed = new Array<number>(k).fill(0);
  probabilities.forEach((p, i) => (p ? confusion[labels[i]][argmax(p)]++ : missed[labels[i]]++));
  return {
    ...metricsOfConfusion(confusion, labels.length, missed),
    missed: Object.fromEntries(EMOTIONS.map((e, c) => [e, missed[c]])) as Record<Emotion, number>,
    found: probabilities.filter((p) => p !== null).length,
    images: labels.length,
  };
}
