/**
 * `npm run models:fit -- --data <FER2013 validation> --exclude-duplicates-of <FER2013 training>
 *                        --wild <expressions-wild> [--folds 5] [--budget-ms 5]`
 *
 * The validation protocol (models/eval/protocol.ts) and the ensemble fit, on two domains:
 * FER2013 validation crops and the expressions-wild people held apart from training,
 * each on the crop and end to end on padded pictures (detector → crop → models; a missed
 * face counts as wrong). It
 *
 * 1. measures the crop framing on FER2013 crops (as the models were trained);
 * 2. runs every expression model of the manifest on both sets, both ways;
 * 3. chooses the members: every set within the per-face budget (timed as `analyze` runs
 *    it) is cross-validated; among those holding the floors (FER2013 crops ≥ 70 %,
 *    expressions-wild end to end ≥ face-api + 5 points) the objective decides, and a
 *    member must earn its milliseconds;
 * 4. compares combiners by cross-validation with folds that keep a person together;
 *    the log-linear combiner's regularisation is chosen by an inner CV (nested), so no
 *    reported figure comes from a setting chosen on it;
 * 5. writes models/ensemble.json, the measured accuracy into models/models.json, and
 *    models/REPORT.md with face-api's figures (models/baseline-faceapi.json) beside ours.
 *
 * The objective everywhere: (accuracy + macro recall) / 2 in each domain, averaged over
 * the two domains.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Combination,
  combineAll,
  Emotion,
  EMOTIONS,
  EnsembleConfig,
  ExpressionModel,
  FaceDetector,
  Manifest,
  readManifest,
} from '../../functions/core';
import { EVAL_SESSION } from '../eval/detectorEval';
import { averaged } from '../eval/expressions';
import { EndToEndMetrics, endToEndMetrics } from '../eval/metrics';
import {
  cached,
  fer2013Set,
  locateFaces,
  predictSet,
  ProtocolSet,
  SetPredictions,
  wildValidationSet,
} from '../eval/protocol';
import { BASELINE_FILE, BaselineFile } from './baseline';
import { Combiner, equalWeights, perClassAccuracy, Predictions } from './combiners';
import { confusionPng } from './confusionPng';
import { foldSplit } from './crossValidation';
import {
  chooseByCrossValidation,
  crossValidateDomains,
  domainObjective,
  groupFolds,
  HeldOut,
  nestedCrossValidation,
} from './domains';
import { measureFraming } from './framing';
import { LOG_LINEAR_DEFAULTS, LOG_LINEAR_GRID, logLinear } from './logLinear';
import { cropMsPerFace, memberMsPerFace } from './memberSpeed';
import { writeReport } from './report';

const MODELS_DIR = join(__dirname, '..');
const round = (v: number) => Math.round(v * 10000) / 10000;

/** A set with a member more ships only if it raises the cross-validated objective by this much. */
export const MIN_MEMBER_GAIN = 0.005;
/** Members are chosen to fit within this share of the per-face budget here (a margin for other machines). */
export const BUDGET_MARGIN = 0.8;
/**
 * Floors the shipped ensemble must hold on the figures reported (nested CV): FER2013
 * validation accuracy on the crops at least 70 % (issue 17; the three-member ensemble
 * fitted on FER2013 alone had 69.9 %), and on the expressions-wild people, end to end,
 * at least 5 points above face-api.
 */
export const FER_FLOOR = 0.7;
export const FACEAPI_MARGIN = 0.05;
/** Sets meeting the floors at the default setting are checked nested, best first, at most this many. */
const MAX_NESTED_CHECKS = 4;
const SELECTION_RULE = (allowed: number, budgetMs: number) =>
  `every set of members (each model absent, plain or with its mirror) whose expression stage costs ≤ ${allowed.toFixed(1)} ms per face ` +
  `(${BUDGET_MARGIN} × ${budgetMs} ms, timed as analyze runs it) is scored by cross-validation at the log-linear default setting; ` +
  `among the sets with FER2013 crop accuracy ≥ ${FER_FLOOR * 100} % and expressions-wild end-to-end accuracy ≥ face-api + ${FACEAPI_MARGIN * 100} points, ` +
  `the best objective wins, or a cheaper subset of it within ${MIN_MEMBER_GAIN * 100} points; the floors must then hold nested, ` +
  `else the next set is tried. If none holds, the set closest to the FER2013 floor that keeps the wild floor ships, marked floorsMet: false`;

export interface ViewMetrics {
  crop: EndToEndMetrics;
  endToEnd: EndToEndMetrics;
}

export interface CandidateResult {
  name: string;
  description: string;
  ensemble: boolean;
  /** Per domain (set), on crops and end to end; ensembles cross-validated. */
  metrics: Record<string, ViewMetrics>;
  objective: number;
}

/** One set of members within the budget, scored by CV at the log-linear default setting. */
export interface SelectionStep {
  members: string[];
  /** ms per face: the crop at the largest member input plus each member's batch. */
  ms: number;
  objective: number;
  fer2013CropAccuracy: number;
  wildEndToEndAccuracy: number;
  meetsFloors: boolean;
  shipped: boolean;
  why: string;
}

function summary(m: EndToEndMetrics) {
  return {
    accuracy: round(m.accuracy),
    macroRecall: round(m.macroRecall),
    perClass: Object.fromEntries(EMOTIONS.map((e) => [e, round(m.perClass[e])])),
    found: m.found,
    images: m.images,
    confusion: m.confusion,
    missed: m.missed,
  };
}

const pickRows = <T>(rows: T[], idx: number[]) => idx.map((i) => rows[i]);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      wild: { type: 'string' },
      folds: { type: 'string', default: '5' },
      'budget-ms': { type: 'string', default: '5' },
      'exclude-duplicates-of': { type: 'string' },
    },
  });
  if (!values.data || !values.wild) {
    throw new Error(
      'usage: npm run models:fit -- --data <FER2013 validation> [--exclude-duplicates-of <FER2013 training>] ' +
        '--wild <expressions-wild> [--folds 5] [--budget-ms 5]',
    );
  }
  const k = Number(values.folds);
  const budgetMs = Number(values['budget-ms']);
  const manifest = readManifest(MODELS_DIR);
  const against = values['exclude-duplicates-of'] && resolve(values['exclude-duplicates-of']);
  const { set: fer, excluded } = await fer2013Set(resolve(values.data), against);
  if (against)
    console.log(`left out ${excluded.length} FER2013 crops whose pixels also appear under ${against}`);
  const wild = wildValidationSet(resolve(values.wild));
  const sets: ProtocolSet[] = [fer, wild];
  for (const s of sets) console.log(`${s.title}: ${s.items.length} pictures`);

  const detector = await FaceDetector.load(manifest, {}, EVAL_SESSION);
  const framing = await cached(
    'framing-landmarks',
    { data: fer.sha256, detector: detector.options },
    () => measureFraming(detector, fer.items),
    (v) => v,
    (j) => j,
  );
  console.log(
    `framing: scale ${framing.scale}, shiftDown ${framing.shiftDown} (${framing.detected}/${framing.crops} crops)`,
  );
  const frames = await Promise.all(sets.map((s) => locateFaces(s, detector, framing)));
  sets.forEach((s, d) =>
    console.log(
      `${s.title}: the detector found a face in ${frames[d].filter(Boolean).length}/${s.items.length} padded pictures`,
    ),
  );

  // Every expression model on both sets, both ways; the mirror is used where it helps across domains.
  const entries = manifest.models.filter((m) => m.task === 'expression');
  const loaded: Record<string, ExpressionModel> = {};
  const raw: Record<string, SetPredictions[]> = {};
  for (const entry of entries) loaded[entry.id] = await ExpressionModel.load(entry, { intraOpNumThreads: 1 });
  for (const e of entries) raw[e.id] = [];
  for (const [d, s] of sets.entries()) {
    const out = await predictSet(s, Object.values(loaded), frames[d]);
    for (const e of entries) raw[e.id].push(out[e.id]);
    console.log(`${s.title}: every model predicted`);
  }
  // Pooled samples: every picture of both sets, in set order.
  const labels = sets.flatMap((s) => s.items.map((i) => i.labelIndex));
  const domains = sets.flatMap((s, d) => s.items.map(() => d));
  const folds = sets.flatMap((s) =>
    groupFolds(
      s.groups,
      s.items.map((i) => i.labelIndex),
      k,
    ),
  );
  const endToEndOf = (id: string, flip: boolean) =>
    raw[id].flatMap((p) =>
      flip ? p.endToEnd.plain.map((r, i) => r && averagedRow(r, p.endToEnd.flipped[i]!)) : p.endToEnd.plain,
    );
  const cropOf = (id: string, flip: boolean) =>
    raw[id].flatMap((p) => (flip ? averaged(p.crop) : p.crop.plain));
  const flip: Record<string, boolean> = {};
  const flipGain: Record<string, { plain: number; flipped: number }> = {};
  for (const e of entries) {
    const plain = domainObjective(endToEndOf(e.id, false), labels, domains);
    const flipped = domainObjective(endToEndOf(e.id, true), labels, domains);
    flip[e.id] = flipped > plain;
    flipGain[e.id] = { plain, flipped };
  }
  // The combiner is fitted on what runs at run time: end-to-end crops where a face was found.
  const found = labels
    .map((_, i) => i)
    .filter((i) => entries.every((e) => endToEndOf(e.id, false)[i] !== null));
  // FER2013's own crops are fitted on too (in the same fold as their picture): the crops the
  // models were trained on, and the figure FER2013 accuracy is known by. Each domain still
  // weighs half. The first found.length rows are the end-to-end ones.
  const ferCrops = labels.map((_, i) => i).filter((i) => domains[i] === 0);
  const fitPredsOf = (options: MemberOption[]): Predictions =>
    Object.fromEntries(
      options.map((o) => [
        o.id,
        [
          ...(pickRows(endToEndOf(o.id, o.flip), found) as Float32Array[]),
          ...pickRows(cropOf(o.id, o.flip), ferCrops),
        ],
      ]),
    );
  const fitLabels = [...pickRows(labels, found), ...pickRows(labels, ferCrops)];
  const fitDomains = [...pickRows(domains, found), ...pickRows(domains, ferCrops)];
  const fitFolds = [...pickRows(folds, found), ...pickRows(folds, ferCrops)];

  // 3. Members. What the expression stage costs per face, as the runtime runs it: the crop
  // cut once at the largest member input, each member's batch (face and mirror together).
  const sideOf = (id: string) => loaded[id].size;
  const largestSide = Math.max(...entries.map((e) => sideOf(e.id)));
  const cropMs: Record<number, number> = {};
  for (const side of new Set(entries.map((e) => sideOf(e.id))))
    cropMs[side] = round(await cropMsPerFace(side));
  const options: MemberOption[] = [];
  for (const e of entries)
    for (const f of [false, true])
      options.push({ id: e.id, flip: f, ms: round(await memberMsPerFace(loaded[e.id], f, largestSide)) });
  const costOf = (set: MemberOption[]) =>
    cropMs[Math.max(...set.map((o) => sideOf(o.id)))] + set.reduce((sum, o) => sum + o.ms, 0);
  console.log(
    `ms per face (fastest run, batched as analyze runs them): crop ${Object.entries(cropMs)
      .map(([side, ms]) => `${side} px ${ms}`)
      .join(', ')}; ${options.map((o) => `${label(o)} ${o.ms}`).join(', ')}`,
  );
  const allowed = budgetMs * BUDGET_MARGIN;
  const baseline = readBaseline(sets);
  const floors = {
    fer2013CropAccuracy: FER_FLOOR,
    wildEndToEndAccuracy: baseline.wild ? round(baseline.wild.accuracy + FACEAPI_MARGIN) : undefined,
  };
  const heldOutFor = (set: MemberOption[], held: HeldOut): Record<string, ViewMetrics> => {
    // Held-out end-to-end answers of the fitted samples; a picture without a face has none.
    const e2e: (Float32Array | null)[] = labels.map(() => null);
    found.forEach((i, j) => (e2e[i] = held.probabilities[j]));
    // The same fold's combination applied to the crop of each picture.
    const crop: Float32Array[] = new Array(labels.length);
    for (let f = 0; f < k; f++) {
      const idx = foldSplit(folds, f).test;
      const perModel = Object.fromEntries(set.map((o) => [o.id, pickRows(cropOf(o.id, o.flip), idx)]));
      combineAll(perModel, held.combinations[f]).forEach((p, j) => (crop[idx[j]] = p));
    }
    return viewMetrics(sets, labels, domains, crop, e2e);
  };
  const meetsFloors = (m: Record<string, ViewMetrics>) =>
    m.fer2013.crop.accuracy >= floors.fer2013CropAccuracy &&
    (floors.wildEndToEndAccuracy === undefined || m.wild.endToEnd.accuracy >= floors.wildEndToEndAccuracy);
  const cvMetrics = (set: MemberOption[]) =>
    heldOutFor(set, crossValidateDomains(logLinear(), fitPredsOf(set), fitLabels, fitDomains, fitFolds));
  // Every set of members within the budget (each model absent, plain or with its mirror),
  // scored by the CV of the log-linear combiner at its default setting.
  let combos: MemberOption[][] = [[]];
  for (const e of entries)
    combos = combos.flatMap((c) => [c, ...options.filter((o) => o.id === e.id).map((o) => [...c, o])]);
  const steps: SelectionStep[] = [];
  for (const set of combos.filter((c) => c.length > 0 && costOf(c) <= allowed)) {
    const m = cvMetrics(set);
    steps.push({
      members: set.map(label),
      ms: round(costOf(set)),
      objective: objectiveOf(m),
      fer2013CropAccuracy: round(m.fer2013.crop.accuracy),
      wildEndToEndAccuracy: round(m.wild.endToEnd.accuracy),
      meetsFloors: meetsFloors(m),
      shipped: false,
      why: '',
    });
    console.log(
      `${set.map(label).join(' + ')}: ${steps.at(-1)!.ms} ms, objective ${(steps.at(-1)!.objective * 100).toFixed(2)}, FER2013 crops ${(m.fer2013.crop.accuracy * 100).toFixed(1)} %, wild e2e ${(m.wild.endToEnd.accuracy * 100).toFixed(1)} %`,
    );
  }
  if (steps.length === 0) throw new Error(`no member fits in ${allowed} ms per face`);
  const setOf = (step: SelectionStep) => options.filter((o) => step.members.includes(label(o)));
  const byObjective = (a: SelectionStep, b: SelectionStep) => b.objective - a.objective;
  // A member must earn its milliseconds: a cheaper subset within MIN_MEMBER_GAIN of the best is preferred.
  const pick = (pool: SelectionStep[]) => {
    const best = [...pool].sort(byObjective)[0];
    return pool
      .filter(
        (s) =>
          s.members.every((m) => best.members.includes(m)) && s.objective >= best.objective - MIN_MEMBER_GAIN,
      )
      .sort((a, b) => a.ms - b.ms)[0];
  };
  // The floors must hold on the figures reported (nested CV), not only on the screening CV:
  // the best sets are checked nested, in turn, until one holds.
  const grid = LOG_LINEAR_GRID.map((o) => logLinear(o));
  let pool = steps.filter((s) => s.meetsFloors);
  let shippedStep: SelectionStep | undefined;
  let nested: HeldOut | undefined;
  for (let tries = 0; pool.length > 0 && tries < MAX_NESTED_CHECKS; tries++) {
    const candidate = pick(pool);
    const held = nestedCrossValidation(grid, fitPredsOf(setOf(candidate)), fitLabels, fitDomains, fitFolds);
    const m = heldOutFor(setOf(candidate), held);
    if (meetsFloors(m)) {
      shippedStep = candidate;
      nested = held;
      candidate.why = 'best objective among the sets meeting both floors, nested CV confirms them';
      break;
    }
    candidate.why = `meets the floors at the default setting, not nested (FER2013 crops ${pct1(m.fer2013.crop.accuracy)}, wild e2e ${pct1(m.wild.endToEnd.accuracy)})`;
    pool = pool.filter((s) => s !== candidate);
  }
  if (!shippedStep) {
    // No set holds the floors: the one closest to the FER2013 floor that keeps the wild floor.
    const wildOk = steps.filter(
      (s) =>
        floors.wildEndToEndAccuracy === undefined || s.wildEndToEndAccuracy >= floors.wildEndToEndAccuracy,
    );
    shippedStep = (wildOk.length ? wildOk : steps).reduce((a, b) =>
      b.fer2013CropAccuracy > a.fer2013CropAccuracy ? b : a,
    );
    shippedStep.why =
      'FLOOR NOT MET: no set within the budget holds both floors; the set closest to the FER2013 floor';
    nested = nestedCrossValidation(grid, fitPredsOf(setOf(shippedStep)), fitLabels, fitDomains, fitFolds);
    console.warn(shippedStep.why);
  }
  shippedStep.shipped = true;
  const shippedNested: HeldOut = nested!;
  const chosen = setOf(shippedStep);
  const best = shippedStep.objective;
  const members = chosen.map((o) => o.id);
  // Members run as chosen; every other model is reported with the mirror where that helped it.
  for (const o of chosen) flip[o.id] = o.flip;
  console.log(`members: ${chosen.map(label).join(', ')} (CV objective ${(best * 100).toFixed(2)})`);
  const cvObjective = (set: MemberOption[]) => objectiveOf(cvMetrics(set));
  const fitPreds = (ids: string[]) => fitPredsOf(ids.map((id) => ({ id, flip: flip[id], ms: 0 })));

  // 4. Combiners, cross-validated; log-linear nested (its setting chosen on inner folds).
  const preds = fitPreds(members);
  const heldOutMetrics = (held: HeldOut) => heldOutFor(chosen, held);
  const results: CandidateResult[] = [];
  for (const e of entries) {
    const m = viewMetrics(sets, labels, domains, cropOf(e.id, flip[e.id]), endToEndOf(e.id, flip[e.id]));
    results.push({
      name: `only ${e.id}`,
      description: `${e.id} alone`,
      ensemble: false,
      metrics: m,
      objective: objectiveOf(m),
    });
  }
  const ferOnly: Combiner = {
    name: 'log-linear, FER2013 only',
    description: 'log-linear fitted on FER2013 crops alone (as before this protocol)',
    fit: (p, l, d) => {
      const idx = l.map((_, i) => i).filter((i) => d![i] === 0);
      return logLinear(LOG_LINEAR_DEFAULTS).fit(
        Object.fromEntries(Object.entries(p).map(([m, r]) => [m, pickRows(r, idx)])),
        pickRows(l, idx),
      );
    },
  };
  // (Coordinate ascent, compared before this protocol, searches a single pooled objective and
  // costs minutes per fit on two domains: no longer a candidate.)
  const combiners: Combiner[] = [equalWeights, perClassAccuracy, ferOnly];
  for (const c of combiners) {
    const m = heldOutMetrics(crossValidateDomains(c, preds, fitLabels, fitDomains, fitFolds));
    results.push({
      name: c.name,
      description: c.description,
      ensemble: true,
      metrics: m,
      objective: objectiveOf(m),
    });
    console.log(`${c.name}: objective ${(results.at(-1)!.objective * 100).toFixed(2)}`);
  }
  const nestedMetrics = heldOutMetrics(shippedNested);
  results.push({
    name: 'log-linear',
    description: 'log-linear, regularisation and class balance chosen by an inner CV on both domains',
    ensemble: true,
    metrics: nestedMetrics,
    objective: objectiveOf(nestedMetrics),
  });
  console.log(
    `log-linear (nested): objective ${(results.at(-1)!.objective * 100).toFixed(2)}; inner choices ${shippedNested.chosen!.join(' | ')}`,
  );
  // The shipped combiner: the best ensemble, never the FER2013-only one (it ignores a domain by design).
  // Another combiner ships only if it also holds the floors the members were chosen by.
  const winner = results
    .filter((r) => r.ensemble && r.name !== ferOnly.name)
    .filter((r) => r.name === 'log-linear' || meetsFloors(r.metrics))
    .reduce((a, b) => (b.objective > a.objective ? b : a));
  const { best: setting, scores: gridScores } = chooseByCrossValidation(
    grid,
    preds,
    fitLabels,
    fitDomains,
    fitFolds,
  );
  const shippedCombiner =
    winner.name === 'log-linear' ? setting : combiners.find((c) => c.name === winner.name)!;
  const fitted = shippedCombiner.fit(preds, fitLabels, fitDomains);
  const roundRow = (w: Record<Emotion, number>) =>
    Object.fromEntries(EMOTIONS.map((e) => [e, round(w[e])])) as Record<Emotion, number>;
  const combination: Combination = {
    rule: fitted.rule ?? 'weighted-sum',
    weights: Object.fromEntries(Object.entries(fitted.weights).map(([m, w]) => [m, roundRow(w)])),
    ...(fitted.bias ? { bias: roundRow(fitted.bias) } : {}),
  };
  // What each member adds: the CV objective of the shipped members less that without it.
  const contributions = Object.fromEntries(
    chosen.map((o) => [o.id, chosen.length > 1 ? best - cvObjective(chosen.filter((x) => x !== o)) : best]),
  );

  // The shipped combination on the FER2013 crops it was fitted with: what `memegen eval` reproduces.
  const ferIdx = labels.map((_, i) => i).filter((i) => domains[i] === 0);
  const fittedOnFerCrops = endToEndMetrics(
    combineAll(
      Object.fromEntries(members.map((m) => [m, pickRows(cropOf(m, flip[m]), ferIdx)])),
      combination,
    ),
    pickRows(labels, ferIdx),
  );
  const data = Object.fromEntries(
    sets.map((s) => [
      s.domain,
      {
        name: basename(s.domain === 'fer2013' ? resolve(values.data!) : resolve(values.wild!)),
        title: s.title,
        images: s.items.length,
        people: new Set(s.groups).size,
        sha256: s.sha256,
        ...(s.domain === 'fer2013' && against
          ? {
              excludedDuplicates: {
                of: basename(against),
                count: excluded.length,
                names: excluded.map((e) => e.name),
              },
            }
          : {}),
      },
    ]),
  );
  const resultJson = (r: CandidateResult) => ({
    objective: round(r.objective),
    ...Object.fromEntries(
      Object.entries(r.metrics).map(([d, v]) => [
        d,
        { crop: summary(v.crop), endToEnd: summary(v.endToEnd) },
      ]),
    ),
  });
  const ensemble: EnsembleConfig = {
    comment: 'Generated by `npm run models:fit`; do not edit by hand.',
    method: shippedCombiner.name,
    methodDescription: shippedCombiner.description,
    members: members.map((m) => ({ model: m, flip: flip[m] })),
    ...combination,
    framing: { scale: framing.scale, shiftDown: framing.shiftDown },
    framingMeasuredOn: {
      detector: detector.options.model,
      crops: framing.crops,
      detected: framing.detected,
      sideSpread: framing.sideSpread,
      centreSpread: framing.centreSpread,
      cropSideOverBoxSide: framing.boxRatio,
    },
    data,
    objective:
      '(accuracy + macro recall) / 2 per domain, averaged over the domains; end to end, a missed face counts as wrong',
    crossValidation: {
      folds: k,
      grouping: 'expressions-wild folds keep each person together',
      results: Object.fromEntries(results.map((r) => [r.name, resultJson(r)])),
      logLinearGrid: Object.fromEntries(Object.entries(gridScores).map(([d, v]) => [d, round(v)])),
      nestedChoices: shippedNested.chosen,
    },
    fittedDataScore: {
      fer2013Crops: {
        accuracy: round(fittedOnFerCrops.accuracy),
        macroRecall: round(fittedOnFerCrops.macroRecall),
      },
      note: 'the shipped combination on the FER2013 crops it was fitted on: optimistic, for `memegen eval` to reproduce',
    },
    memberSelection: {
      rule: SELECTION_RULE(allowed, budgetMs),
      floors,
      floorsMet: shippedStep.meetsFloors && meetsFloors(winner.metrics),
      msPerFace: {
        note: 'fastest of 300 runs, one thread, one face: the crop once at the largest member input, then each member resampling it and running face and mirror in one batch',
        crop: Object.fromEntries(Object.entries(cropMs).map(([side, ms]) => [`${side} px`, ms])),
        members: Object.fromEntries(options.map((o) => [label(o), o.ms])),
      },
      steps: steps.map((s) => ({ ...s, objective: round(s.objective), ms: round(s.ms) })),
      contributions: Object.fromEntries(Object.entries(contributions).map(([m, v]) => [m, round(v)])),
    },
  };
  writeFileSync(join(MODELS_DIR, 'ensemble.json'), `${JSON.stringify(ensemble, null, 2)}\n`);

  const updated: Manifest = {
    ...manifest,
    models: manifest.models.map((m) => {
      const own = results.find((r) => r.name === `only ${m.id}`);
      if (!own) return m;
      return {
        ...m,
        accuracy: {
          data: Object.fromEntries(
            Object.entries(data).map(([d, v]) => [d, { name: v.name, images: v.images, sha256: v.sha256 }]),
          ),
          flipTestTimeAugmentation: flip[m.id],
          ...Object.fromEntries(
            Object.entries(own.metrics).map(([d, v]) => [
              d,
              {
                crop: { accuracy: round(v.crop.accuracy), macroRecall: round(v.crop.macroRecall) },
                endToEnd: {
                  accuracy: round(v.endToEnd.accuracy),
                  macroRecall: round(v.endToEnd.macroRecall),
                },
              },
            ]),
          ),
        },
      };
    }),
  };
  writeFileSync(join(MODELS_DIR, 'models.json'), `${JSON.stringify(updated, null, 2)}\n`);

  const reportDir = join(MODELS_DIR, 'report');
  if (existsSync(reportDir)) for (const f of readdirSync(reportDir)) rmSync(join(reportDir, f));
  mkdirSync(reportDir, { recursive: true });
  const pictures: { title: string; file: string }[] = [];
  const picture = (title: string, file: string, confusion: number[][]) => {
    writeFileSync(join(reportDir, file), confusionPng(title, confusion));
    pictures.push({ title, file: `report/${file}` });
  };
  for (const s of sets) {
    picture(
      `shipped ensemble, ${s.title}, end to end (CV)`,
      `ensemble-${s.domain}.png`,
      winner.metrics[s.domain].endToEnd.confusion,
    );
  }
  if (baseline.wild)
    picture(
      'face-api, expressions-wild validation people, end to end',
      'faceapi-wild.png',
      baseline.wild.confusion,
    );
  writeReport(join(MODELS_DIR, 'REPORT.md'), {
    sets,
    folds: k,
    results,
    winner,
    shipped: { name: shippedCombiner.name, description: shippedCombiner.description },
    flipGain,
    framing,
    members,
    steps,
    ms: Object.fromEntries(options.map((o) => [label(o), o.ms])),
    cropMs,
    floors,
    rule: SELECTION_RULE(allowed, budgetMs),
    contributions,
    budgetMs,
    allowedMs: allowed,
    gridScores,
    nestedChoices: shippedNested.chosen!,
    combination,
    baseline,
    pictures,
    excluded: against ? { of: basename(against), count: excluded.length } : undefined,
  });
  console.log(
    `shipped: ${shippedCombiner.description} over ${members.join(', ')}; wrote models/ensemble.json, models/models.json, models/REPORT.md`,
  );
}

interface MemberOption {
  id: string;
  /** Run on the face and its mirror, probabilities averaged. */
  flip: boolean;
  /** ms per face, fastest run (models/fit/memberSpeed.ts). */
  ms: number;
}

const pct1 = (v: number) => `${(v * 100).toFixed(1)} %`;
const label = (o: MemberOption) => `${o.id}${o.flip ? ' + mirror' : ''}`;

function averagedRow(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => (v + b[i]) / 2);
}

function viewMetrics(
  sets: ProtocolSet[],
  labels: number[],
  domains: number[],
  crop: Float32Array[],
  endToEnd: (Float32Array | null)[],
): Record<string, ViewMetrics> {
  return Object.fromEntries(
    sets.map((s, d) => {
      const idx = labels.map((_, i) => i).filter((i) => domains[i] === d);
      const l = pickRows(labels, idx);
      return [
        s.domain,
        {
          crop: endToEndMetrics(pickRows(crop, idx), l),
          endToEnd: endToEndMetrics(pickRows(endToEnd, idx), l),
        },
      ];
    }),
  );
}

/** The objective on what users get: end to end, both domains alike. */
function objectiveOf(m: Record<string, ViewMetrics>): number {
  const v = Object.values(m);
  return v.reduce((s, x) => s + (x.endToEnd.accuracy + x.endToEnd.macroRecall) / 2, 0) / v.length;
}

/** face-api's answers, where models/baseline-faceapi.json was made on exactly these pictures. */
export interface Baseline {
  describe?: string;
  fer2013?: EndToEndMetrics;
  wild?: EndToEndMetrics;
}

function readBaseline(sets: ProtocolSet[]): Baseline {
  if (!existsSync(BASELINE_FILE)) return {};
  const file = JSON.parse(readFileSync(BASELINE_FILE, 'utf8')) as BaselineFile;
  const out: Baseline = { describe: file.describe };
  for (const s of sets) {
    const b = file.sets[s.domain];
    if (!b || b.sha256 !== s.sha256) {
      console.warn(
        `${BASELINE_FILE}: no face-api run on these ${s.title} pictures; run npm run models:baseline`,
      );
      continue;
    }
    const probs = b.predicted.map((c) =>
      c < 0 ? null : Float32Array.from(EMOTIONS, (_, i) => (i === c ? 1 : 0)),
    );
    out[s.domain] = endToEndMetrics(
      probs,
      s.items.map((i) => i.labelIndex),
    );
  }
  return out;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
