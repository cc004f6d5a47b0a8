/**
 * The log-linear combiner: p(c) = softmax_c(bias[c] + Σ_m w[m][c] · ln p_m(c)), fitted by
 * minimising class-weighted cross-entropy with an L2 penalty on the weights. It is a
 * multinomial logistic regression with one weight per (member, class), so the loss is
 * convex and full-batch Adam from a fixed start reaches the same optimum every time.
 */
import { Emotion, EMOTIONS, LOG_FLOOR } from '../../functions/core';
import { Combiner, Predictions, uniform } from './combiners';
import { domainWeights } from './domains';

export interface LogLinearOptions {
  /** Class c's images count (N / (K · n_c))^power in the loss: 0 plain, 1 fully balanced. */
  balancePower: number;
  /** λ in λ · Σ w². */
  l2: number;
  iterations: number;
  learningRate: number;
}

/** The setting used where none is chosen by cross-validation (tests, member selection). */
export const LOG_LINEAR_DEFAULTS: LogLinearOptions = {
  balancePower: 0.5,
  l2: 1e-3,
  iterations: 600,
  learningRate: 0.05,
};

export function logLinear(options: LogLinearOptions = LOG_LINEAR_DEFAULTS): Combiner {
  return {
    name: 'log-linear',
    description:
      `weighted product of the members: softmax(bias + Σ w · ln p), fitted by class-weighted (power ${options.balancePower}) ` +
      `cross-entropy with L2 ${options.l2}, each data set weighing alike, each over the classes it labels`,
    fit: (preds, labels, domains) => fitLogLinear(preds, labels, options, domains),
  };
}

/** The settings cross-validation chooses the regularisation and class balance from. */
export const LOG_LINEAR_GRID: LogLinearOptions[] = [0, 0.5].flatMap((balancePower) =>
  [1e-3, 3e-2].map((l2) => ({ ...LOG_LINEAR_DEFAULTS, balancePower, l2 })),
);

function fitLogLinear(preds: Predictions, labels: number[], o: LogLinearOptions, domains?: number[]) {
  const models = Object.keys(preds);
  const M = models.length;
  const K = EMOTIONS.length;
  const n = labels.length;
  const zeros = (length: number) => new Float64Array(length);
  // x[(i * M + m) * K + c] = ln p_m(c) of image i: one image's inputs side by side.
  const x = zeros(n * M * K);
  models.forEach((model, m) =>
    preds[model].forEach((row, i) =>
      row.forEach((p, c) => (x[(i * M + m) * K + c] = Math.log(Math.max(p, LOG_FLOOR)))),
    ),
  );
  const domainOf = domains ?? labels.map(() => 0);
  const sampleWeight = domainWeights(labels, domainOf, o.balancePower);
  // A data set labelled with only some classes (expressions-wild: happy, neutral, surprise)
  // says which of those a face shows, not that the others never occur: each sample's
  // softmax runs over the classes its data set labels, so such a set cannot teach the
  // combiner to rule the other classes out.
  const labelled = new Map<number, boolean[]>();
  domainOf.forEach((d, i) => {
    if (!labelled.has(d)) labelled.set(d, new Array<boolean>(K).fill(false));
    labelled.get(d)![labels[i]] = true;
  });

  // Parameters: w[m * K + c], then bias[c] at B + c. Start from the plain product (w = 1, bias = 0).
  const B = M * K;
  const size = B + K;
  const theta = zeros(size).fill(1, 0, B);
  const grad = zeros(size);
  const m1 = zeros(size);
  const m2 = zeros(size);
  const q = zeros(K);
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  for (let step = 1; step <= o.iterations; step++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * B;
      const known = labelled.get(domainOf[i])!;
      let top = -Infinity;
      for (let c = 0; c < K; c++) {
        if (!known[c]) continue;
        let s = theta[B + c];
        for (let m = 0; m < M; m++) s += theta[m * K + c] * x[row + m * K + c];
        q[c] = s;
        if (s > top) top = s;
      }
      let total = 0;
      for (let c = 0; c < K; c++) if (known[c]) total += q[c] = Math.exp(q[c] - top);
      const a = sampleWeight[i];
      const y = labels[i];
      for (let c = 0; c < K; c++) {
        if (!known[c]) continue;
        const d = a * (q[c] / total - (c === y ? 1 : 0));
        grad[B + c] += d;
        for (let m = 0; m < M; m++) grad[m * K + c] += d * x[row + m * K + c];
      }
    }
    for (let j = 0; j < B; j++) grad[j] += 2 * o.l2 * theta[j];
    const correction1 = 1 - beta1 ** step;
    const correction2 = 1 - beta2 ** step;
    for (let j = 0; j < size; j++) {
      m1[j] = beta1 * m1[j] + (1 - beta1) * grad[j];
      m2[j] = beta2 * m2[j] + (1 - beta2) * grad[j] * grad[j];
      theta[j] -= (o.learningRate * (m1[j] / correction1)) / (Math.sqrt(m2[j] / correction2) + eps);
    }
  }
  const weights = uniform(models);
  models.forEach((m, mi) => EMOTIONS.forEach((e, c) => (weights[m][e] = theta[mi * K + c])));
  const bias = Object.fromEntries(EMOTIONS.map((e, c) => [e, theta[B + c]])) as Record<Emotion, number>;
  return { rule: 'log-linear' as const, weights, bias };
}
