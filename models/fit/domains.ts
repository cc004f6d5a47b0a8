/**
 * Fitting the ensemble on two domains at once (FER2013 crops and faces in news photos):
 * folds that keep a person's pictures together, sample weights under which each domain
 * counts alike, an objective that averages the domains, and nested cross-validation so
 * that the regularisation is chosen on other folds than the ones a figure is read from.
 */
import { Combination, EMOTIONS } from '../../functions/core';
import { endToEndMetrics } from '../eval/metrics';
import { identityRank } from '../eval/wild';
import { Combiner, Predictions } from './combiners';
import { heldOutByFold, pick } from './crossValidation';

/**
 * k folds with every group (a person) in one fold: groups are ordered by a hash of their
 * name and dealt round-robin within each class (a group's class: that of its first
 * picture), so every fold gets its share of each class, rare ones included.
 */
export function groupFolds(groups: string[], labels: number[], k: number): number[] {
  const classOf = new Map<string, number>();
  groups.forEach((g, i) => classOf.has(g) || classOf.set(g, labels[i]));
  const foldOf = new Map<string, number>();
  for (let c = 0; c < EMOTIONS.length; c++) {
    [...classOf.entries()]
      .filter(([, label]) => label === c)
      .map(([group]) => group)
      .sort((a, b) => identityRank(a) - identityRank(b) || (a < b ? -1 : 1))
      .forEach((group, position) => foldOf.set(group, position % k));
  }
  return groups.map((g) => foldOf.get(g)!);
}

/**
 * Per-sample weights summing to 1: each domain weighs 1 / (number of domains) and, inside
 * a domain, class c's samples count (n_d / (K_d · n_dc))^power (K_d: classes present).
 */
export function domainWeights(labels: number[], domains: number[], power: number): number[] {
  const present = [...new Set(domains)];
  const weights = new Array<number>(labels.length).fill(0);
  for (const d of present) {
    const members = labels.map((_, i) => i).filter((i) => domains[i] === d);
    const counts = new Map<number, number>();
    for (const i of members) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
    const raw = members.map((i) => (members.length / (counts.size * counts.get(labels[i])!)) ** power);
    const total = raw.reduce((a, b) => a + b, 0);
    members.forEach((i, j) => (weights[i] = raw[j] / total / present.length));
  }
  return weights;
}

/** (accuracy + macro recall) / 2 in each domain, averaged over the domains; null rows count as wrong. */
export function domainObjective(
  probabilities: (ArrayLike<number> | null)[],
  labels: number[],
  domains: number[],
): number {
  const present = [...new Set(domains)];
  let total = 0;
  for (const d of present) {
    const idx = labels.map((_, i) => i).filter((i) => domains[i] === d);
    const m = endToEndMetrics(
      idx.map((i) => probabilities[i]),
      idx.map((i) => labels[i]),
    );
    total += (m.accuracy + m.macroRecall) / 2;
  }
  return total / present.length;
}

export interface HeldOut {
  /** Held-out probabilities of every sample, each from a combination fitted without its fold. */
  probabilities: Float32Array[];
  /** The combination fitted for each fold (to apply to other views of the same held-out samples). */
  combinations: Combination[];
  /** For nested CV: the setting each fold's inner CV chose. */
  chosen?: string[];
}

/** k-fold CV by the given folds; the fit sees the domains (for its sample weights). */
export function crossValidateDomains(
  combiner: Combiner,
  preds: Predictions,
  labels: number[],
  domains: number[],
  folds: number[],
): HeldOut {
  return heldOutByFold(preds, folds, (train) =>
    combiner.fit(
      pick(preds, train),
      train.map((i) => labels[i]),
      train.map((i) => domains[i]),
    ),
  );
}

/** The setting whose k-fold CV objective (both domains) is highest; ties keep the earlier. */
export function chooseByCrossValidation(
  candidates: Combiner[],
  preds: Predictions,
  labels: number[],
  domains: number[],
  folds: number[],
): { best: Combiner; scores: Record<string, number> } {
  const scores: Record<string, number> = {};
  let best = candidates[0];
  for (const c of candidates) {
    const held = crossValidateDomains(c, preds, labels, domains, folds);
    scores[c.description] = domainObjective(held.probabilities, labels, domains);
    if (scores[c.description] > scores[best.description] + 1e-12) best = c;
  }
  return { best, scores };
}

/**
 * Nested CV: for each outer fold, the setting is chosen by CV on the other folds alone,
 * fitted there and scored on the held-out fold. The pooled held-out figures are thus
 * free of the choice of setting as well as of the fit.
 */
export function nestedCrossValidation(
  candidates: Combiner[],
  preds: Predictions,
  labels: number[],
  domains: number[],
  folds: number[],
): HeldOut {
  const chosen: string[] = [];
  const held = heldOutByFold(preds, folds, (train, f) => {
    const inner = train.map((i) => (folds[i] < f ? folds[i] : folds[i] - 1));
    const trainLabels = train.map((i) => labels[i]);
    const trainDomains = train.map((i) => domains[i]);
    const { best } = chooseByCrossValidation(
      candidates,
      pick(preds, train),
      trainLabels,
      trainDomains,
      inner,
    );
    chosen.push(best.description);
    return best.fit(pick(preds, train), trainLabels, trainDomains);
  });
  return { ...held, chosen };
}
