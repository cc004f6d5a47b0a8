/**
 * The validation protocol's rules: people held apart stay apart, a missed face counts as
 * wrong, folds keep a person together, both domains weigh alike, a domain labelled with
 * only some classes does not rule the others out, and a combiner fitted on both domains
 * holds on the one a FER2013-only fit misses.
 */
import { combineAll } from '../functions/core/expression/ensemble';
import { EMOTIONS } from '../functions/core/emotions';
import { endToEndMetrics } from '../models/eval/metrics';
import { paddedPicture } from '../models/eval/padded';
import { readWildImages, wildSplit } from '../models/eval/wild';
import { Combiner, Predictions } from '../models/fit/combiners';
import {
  chooseByCrossValidation,
  crossValidateDomains,
  domainObjective,
  domainWeights,
  groupFolds,
  nestedCrossValidation,
} from '../models/fit/domains';
import { LOG_LINEAR_DEFAULTS, LOG_LINEAR_GRID, logLinear } from '../models/fit/logLinear';
import { sharedData } from './support/sharedData';

const happy = EMOTIONS.indexOf('happy');
const neutral = EMOTIONS.indexOf('neutral');
const surprise = EMOTIONS.indexOf('surprise');

describe('expressions-wild split by person', () => {
  const images = readWildImages(sharedData('expressions-wild'));
  const split = wildSplit(images);

  it('puts every person on one side, about a third of the people (and of the surprised ones) held apart', () => {
    const people = [...split.keys()];
    expect(people.length).toBe(new Set(images.map((i) => i.identity)).size);
    const held = people.filter((p) => split.get(p) === 'validation');
    expect(held.length / people.length).toBeGreaterThan(0.28);
    expect(held.length / people.length).toBeLessThan(0.38);
    const surprised = new Set(images.filter((i) => i.label === 'surprise').map((i) => i.identity));
    const surprisedHeld = [...surprised].filter((p) => split.get(p) === 'validation').length;
    expect(surprisedHeld).toBeGreaterThanOrEqual(Math.floor(surprised.size / 3));
    expect(surprisedHeld).toBeLessThan(surprised.size);
  });

  it('is the same on every run and for any order of the pictures', () => {
    const again = wildSplit([...images].reverse());
    for (const [person, side] of split) expect(again.get(person)).toBe(side);
  });
});

describe('end-to-end metrics', () => {
  const p = (k: number) => Float32Array.from(EMOTIONS, (_, i) => (i === k ? 0.9 : 0.1 / 6));

  it('counts a picture with no face found as a wrong answer, in accuracy and in its class', () => {
    const labels = [happy, happy, neutral, neutral];
    const m = endToEndMetrics([p(happy), null, p(neutral), p(happy)], labels);
    expect(m.accuracy).toBe(0.5);
    expect(m.perClass.happy).toBe(0.5);
    expect(m.perClass.neutral).toBe(0.5);
    expect(m.missed.happy).toBe(1);
    expect(m.found).toBe(3);
    // Macro recall over the two classes present, not all seven.
    expect(m.macroRecall).toBe(0.5);
  });
});

describe('cross-validation across domains', () => {
  it('deals folds that keep each person together and give every fold each class', () => {
    // 150 people with three pictures each, 50 per class: 10 people of each class per fold.
    const groups = Array.from({ length: 450 }, (_, i) => `person${Math.floor(i / 3)}`);
    const labels = groups.map((_, i) => [happy, neutral, surprise][Math.floor(i / 3) % 3]);
    const folds = groupFolds(groups, labels, 5);
    const foldOf = new Map<string, number>();
    groups.forEach((g, i) => {
      if (foldOf.has(g)) expect(folds[i]).toBe(foldOf.get(g));
      foldOf.set(g, folds[i]);
    });
    for (let f = 0; f < 5; f++)
      for (const c of [happy, neutral, surprise])
        expect(labels.filter((l, i) => l === c && folds[i] === f).length).toBe(30);
  });

  it('weighs each domain half, whatever its size', () => {
    const labels = [...Array(900).fill(happy), ...Array(100).fill(neutral)];
    const domains = labels.map((_, i) => (i < 800 ? 0 : 1));
    const w = domainWeights(labels, domains, 0);
    const total = (d: number) => w.filter((_, i) => domains[i] === d).reduce((a, b) => a + b, 0);
    expect(total(0)).toBeCloseTo(0.5, 9);
    expect(total(1)).toBeCloseTo(0.5, 9);
  });

  // Two members: "lab" reads domain 0 well and domain 1 badly, "wild" the other way round.
  let seed = 11;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const n = 700;
  const domains = Array.from({ length: n }, (_, i) => (i < 420 ? 0 : 1));
  const labels = domains.map((d, i) => (d === 0 ? i % EMOTIONS.length : [happy, neutral, surprise][i % 3]));
  const answer = (l: number, good: boolean) => {
    const k = good && rand() < 0.85 ? l : Math.floor(rand() * EMOTIONS.length);
    return Float32Array.from(EMOTIONS, (_, i) => (i === k ? 0.55 + rand() * 0.3 : 0.02 + rand() * 0.05));
  };
  const preds: Predictions = {
    lab: labels.map((l, i) => answer(l, domains[i] === 0)),
    wild: labels.map((l, i) => answer(l, domains[i] === 1)),
  };
  const folds = groupFolds(
    labels.map((_, i) => `${i}`),
    labels,
    5,
  );
  const domainOnly = (d: number): Combiner => ({
    name: `domain ${d} only`,
    description: `fitted on domain ${d} alone`,
    fit: (p, l, dom) => {
      const idx = l.map((_, i) => i).filter((i) => dom![i] === d);
      return quick.fit(
        Object.fromEntries(Object.entries(p).map(([m, r]) => [m, idx.map((i) => r[i])])),
        idx.map((i) => l[i]),
      );
    },
  });
  // Fewer iterations than the shipped fit: enough for two members, and the test stays quick.
  const quick = logLinear({ ...LOG_LINEAR_DEFAULTS, iterations: 300 });
  const wildScore = (probabilities: Float32Array[]) => {
    const idx = labels.map((_, i) => i).filter((i) => domains[i] === 1);
    const m = endToEndMetrics(
      idx.map((i) => probabilities[i]),
      idx.map((i) => labels[i]),
    );
    return m.accuracy;
  };

  it('a combiner fitted on both domains holds on the second, where one fitted on the first alone fails', () => {
    const both = crossValidateDomains(quick, preds, labels, domains, folds);
    const firstOnly = crossValidateDomains(domainOnly(0), preds, labels, domains, folds);
    expect(wildScore(both.probabilities)).toBeGreaterThan(wildScore(firstOnly.probabilities) + 0.15);
    expect(domainObjective(both.probabilities, labels, domains)).toBeGreaterThan(
      domainObjective(firstOnly.probabilities, labels, domains),
    );
  });

  it('a domain labelled with only some classes does not teach the combiner to rule the others out', () => {
    // One member that knows nothing (uniform answers); domain 0 holds all seven classes
    // alike, domain 1 (like expressions-wild) only happy, neutral and surprise.
    const m = 1400;
    const dom = Array.from({ length: m }, (_, i) => (i < 700 ? 0 : 1));
    const lab = dom.map((d, i) => (d === 0 ? i % EMOTIONS.length : [happy, neutral, surprise][i % 3]));
    const flat = { only: lab.map(() => new Float32Array(EMOTIONS.length).fill(1 / EMOTIONS.length)) };
    const combination = quick.fit(flat, lab, dom);
    const [p] = combineAll({ only: [flat.only[0]] }, combination);
    // Domain 0 alone says every class is as likely; domain 1 says nothing of sad, angry, fear, disgust.
    for (const e of ['sad', 'angry', 'fear', 'disgust'] as const)
      expect(p[EMOTIONS.indexOf(e)]).toBeGreaterThan(0.8 * p[happy]);
  });

  it('nested CV chooses a setting inside each outer fold and scores only held-out samples', () => {
    const grid = LOG_LINEAR_GRID.slice(0, 2).map((o) => logLinear({ ...o, iterations: 100 }));
    const nested = nestedCrossValidation(grid, preds, labels, domains, folds);
    expect(nested.chosen).toHaveLength(5);
    expect(nested.combinations).toHaveLength(5);
    expect(nested.probabilities.every((p) => p instanceof Float32Array)).toBe(true);
    // Choosing inside each fold costs little against the best setting chosen on all the data
    // (the figure a non-nested CV would report), and stays far above chance.
    const { scores } = chooseByCrossValidation(grid, preds, labels, domains, folds);
    const objective = domainObjective(nested.probabilities, labels, domains);
    expect(objective).toBeGreaterThan(Math.max(...Object.values(scores)) - 0.02);
    expect(objective).toBeGreaterThan(0.5);
  });
});

describe('padded pictures', () => {
  it('centre the crop on mid-grey with one side of padding all round', async () => {
    const image = readWildImages(sharedData('expressions-wild'))[0];
    const padded = await paddedPicture(image.path);
    expect([padded.width, padded.height]).toEqual([3 * 350, 3 * 350]);
    expect(Array.from(padded.data.subarray(0, 3))).toEqual([128, 128, 128]);
    const scaled = await paddedPicture(image.path, 192);
    expect(scaled.offset).toBe(192);
    expect(scaled.width).toBe(576);
  });
});
