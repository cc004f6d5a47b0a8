/**
 * The log-linear combiner: p(c) = softmax_c(bias[c] + Σ_m w[m][c] · ln p_m(c)), fitted by
 * minimising class-weighted cross-entropy with an L2 penalty on the weights. It is a
 * multinomial logistic regression with one weight per (member, class), so the loss is
 * convex and full-batch Adam from a fixed start reaches the same optimum every time.
 */
import { Emotion, EMOTIONS, LOG_FLOOR } from '../../functions/core';
import { Combiner, Predictions, uniform } from './combiners';

export interface LogLinearOptions {
  /** Class c's images count (N / (K · n_c))^power in the loss: 0 plain, 1 fully balanced. */
  balancePower: number;
  /** λ in λ · Σ w². */
  l2: number;
  iterations: number;
  learningRate: number;
}

/** Chosen by 5-fold CV on the validation crops from λ ∈ {1e-4, 1e-3, 1e-2} × power ∈ {0, 0.5} (see the README). */
export const LOG_LINEAR_DEFAULTS: LogLinearOptions = {
  balancePower: 0.5,
  l2: 1e-3,
  iterations: 1500,
  learningRate: 0.05,
};

export function logLinear(options: LogLinearOptions = LOG_LINEAR_DEFAULTS): Combiner {
  return {
    name: 'log-linear',
    description:
      `weighted product of the members: softmax(bias + Σ w · ln p), fitted by class-weighted (power ${options.balancePower}) ` +
      `cross-entropy with L2 ${options.l2}`,
    fit: (preds, labels) => fitLogLinear(preds, labels, options),
  };
}

function fitLogLinear(preds: Predictions, labels: number[], o: LogLinearOptions) {
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
  const counts = EMOTIONS.map((_, c) => labels.filter((l) => l === c).length);
  const classWeight = counts.map((nc) => (nc > 0 ? (n / (K * nc)) ** o.balancePower : 0));
  const totalWeight = labels.reduce((s, l) => s + classWeight[l], 0);
  const sampleWeight = labels.map((l) => classWeight[l] / totalWeight);

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
      let top = -Infinity;
      for (let c = 0; c < K; c++) {
        let s = theta[B + c];
        for (let m = 0; m < M; m++) s += theta[m * K + c] * x[row + m * K + c];
        q[c] = s;
        if (s > top) top = s;
      }
      let total = 0;
      for (let c = 0; c < K; c++) total += q[c] = Math.exp(q[c] - top);
      const a = sampleWeight[i];
      const y = labels[i];
      for (let c = 0; c < K; c++) {
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
