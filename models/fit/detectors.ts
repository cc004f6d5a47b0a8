/**
 * `npm run models:detectors -- --data <faces-boxes dir> --close-ups <expressions-wild dir> [--rolled-images N] [--reuse-comparison]`
 *
 * Chooses the shipped face detector by measurement:
 * 1. every detector in models/ (YuNet at several input sizes; BlazeFace, MediaPipe and SSD
 *    with and without tiles), timed interleaved on the annotated WIDER FACE images, scored at
 *    several score thresholds and minimum face sizes, the operating point picked by the rule
 *    in ./detectorRule.ts;
 * 2. turned passes for rolled faces, measured on the same pictures turned 0–180°;
 * 3. the close-up pass, chosen on one half of the people of expressions-wild, reported on the other;
 * 4. the result run as shipped on the WIDER images.
 * `--reuse-comparison` takes step 1 from the last run (.cache/), when only steps 2-4 changed.
 * Writes models/detector.json (read at run time), each detector's figures into
 * models/models.json, and models/DETECTION.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AnnotatedImage, parseAnnotations } from '../eval/detection';
import { DetectorRun, medianOf, operatingPoint, runDetectors } from '../eval/detectorEval';
import {
  CLOSE_UP_BELOW,
  CloseUpTally,
  detectedShare,
  measureCloseUps,
  readCloseUpPictures,
} from './closeUps';
import { writeDetectionReport } from './detectionReport';
import { marginOf, pick, Row, RULE } from './detectorRule';
import { ANGLES, measureRolledFaces, RolledResult } from './rolledFaces';
import {
  CloseUpOptions,
  DetectorOptions,
  Manifest,
  ModelEntry,
  paddedTo,
  readManifest,
  tileRegions,
} from '../../functions/core';

const MODELS_DIR = join(__dirname, '..');
/** Step 1's operating points, kept for `--reuse-comparison` (the comparison takes most of the run). */
const COMPARISON_CACHE = join(MODELS_DIR, '..', '.cache', 'models-detectors', 'comparison.json');
const THRESHOLDS = [0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8];
/**
 * Minimum face height as a fraction of the picture's long side (0.03 = 31 px on 1024).
 * Capped at 3 %: a face a thirtieth of the picture is still worth a caption.
 */
const MIN_FACE_SIZES = [0, 0.02, 0.025, 0.03];
const TILINGS: Pick<DetectorOptions, 'tileAbove' | 'tileGrid'>[] = [
  { tileAbove: 0, tileGrid: 2 },
  { tileAbove: 800, tileGrid: 2 },
  { tileAbove: 800, tileGrid: 3 },
];
/** Long sides tried for dynamic-input models (multiples of 32 around the authors' 640). */
const INPUT_LONG_SIDES = [480, 576, 640, 704, 800, 1024];
const IOU_THRESHOLD = 0.3;

/** Turned passes may add at most this share to the detection time (the 12 ms budget over ~8 ms upright). */
const MAX_TURN_COST = 0.5;
/** The turned second look at each face found: a square twice the face's box, 64 px in the model. */
const ORIENT = { context: 2, size: 64 };
const TURN_RULE =
  `a variant for rolled faces (turned passes, or a turned second look at each face found) is shipped when it keeps ` +
  `the upright targets with the same margin and adds at most ${MAX_TURN_COST * 100} % to the detection time (timed ` +
  `interleaved); of those, the one that finds the most faces turned 90°, 135° and 180° with their eyes right ` +
  `(mean of the three); none if no variant qualifies`;

const CLOSE_UP_SIDES = [128, 160, 192, 256];
const CLOSE_UP_MARGINS = [0, 0.25, 0.5];
const CLOSE_UP_RULE =
  `the close-up variant that detects the most close-ups (as they are and padded, pooled) on the "choose" half of the people; ` +
  `within half a point of it, the smallest view; no close-up pass unless it gains at least half a point over none`;

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const log = (line: string) => console.log(line);

/**
 * Options every comparison states in full: FaceDetector.load fills what is missing from the
 * shipped models/detector.json, whose extra passes must not leak into other configurations.
 */
const NO_EXTRA_PASSES: Partial<DetectorOptions> = {
  turns: [],
  turnLongSide: undefined,
  closeUp: undefined,
  orient: undefined,
};

interface Config {
  entry: ModelEntry;
  options: Partial<DetectorOptions>;
  name: string;
  inputPixelsPerImage: number;
}

function configsFor(detectors: ModelEntry[], annotations: AnnotatedImage[]): Config[] {
  const sizes = annotations.map((a) => [a.width ?? 0, a.height ?? 0] as const);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return detectors.flatMap((entry): Config[] => {
    const pre = entry.preprocessing;
    if (pre.multipleOf) {
      return INPUT_LONG_SIDES.map((side) => ({
        entry,
        name: `${side} px`,
        options: {
          ...NO_EXTRA_PASSES,
          model: entry.id,
          inputLongSide: side,
          nms: 'hard',
          tileAbove: 0,
          tileGrid: 2,
        },
        inputPixelsPerImage: Math.round(
          mean(
            sizes.map(([w, h]) => {
              const s = side / Math.max(w, h);
              return (
                paddedTo(Math.round(w * s), pre.multipleOf!) * paddedTo(Math.round(h * s), pre.multipleOf!)
              );
            }),
          ),
        ),
      }));
    }
    // SSD gives no keypoints, so it cannot ship, and its tiled runs would take most of this
    // script's time: it is compared on one view only.
    const tilings = entry.keypoints ? TILINGS : TILINGS.slice(0, 1);
    return tilings.map((tiling) => ({
      entry,
      name: tiling.tileAbove
        ? `tiles ${tiling.tileGrid}×${tiling.tileGrid} above ${tiling.tileAbove} px`
        : 'one view',
      options: { ...NO_EXTRA_PASSES, model: entry.id, ...tiling, nms: 'weighted' },
      inputPixelsPerImage: Math.round(
        mean(
          sizes.map(
            ([w, h]) =>
              (1 +
                (tiling.tileAbove && Math.max(w, h) > tiling.tileAbove
                  ? tileRegions(w, h, tiling.tileGrid).length
                  : 0)) *
              pre.width *
              pre.height,
          ),
        ),
      ),
    }));
  });
}

function rowsOf(config: Config, run: DetectorRun): Row[] {
  const ms = round(medianOf(run.times), 1);
  return THRESHOLDS.flatMap((t) =>
    MIN_FACE_SIZES.map((minFace) => ({
      model: config.entry.id,
      config: `${config.entry.id} ${config.name}`,
      keypoints: config.entry.keypoints ?? 0,
      tileAbove: config.options.tileAbove ?? 0,
      tileGrid: config.options.tileGrid ?? 2,
      inputLongSide: config.options.inputLongSide,
      msPerImage: ms,
      inputPixelsPerImage: config.inputPixelsPerImage,
      ...operatingPoint(run, t, minFace),
    })),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      'close-ups': { type: 'string' },
      'rolled-images': { type: 'string', default: '100' },
      'reuse-comparison': { type: 'boolean', default: false },
    },
  });
  if (!values.data || !values['close-ups']) {
    throw new Error(
      'usage: npm run models:detectors -- --data <dir with annotations.json> --close-ups <expressions-wild dir> [--rolled-images N]',
    );
  }
  const dataDir = resolve(values.data);
  const closeUpDir = resolve(values['close-ups']);
  const annotations = parseAnnotations(JSON.parse(readFileSync(join(dataDir, 'annotations.json'), 'utf8')));
  const manifest = readManifest(MODELS_DIR);
  const detectors = manifest.models.filter(
    (m) => m.task === 'face-detection' && existsSync(join(MODELS_DIR, m.file)),
  );
  const missing = manifest.models.filter((m) => m.task === 'face-detection' && !detectors.includes(m));
  if (missing.length)
    log(`not compared (file missing; run npm run models:export): ${missing.map((m) => m.id).join(', ')}`);

  // 1. Every configuration, timed interleaved, scored at every threshold and minimum size.
  const configs = configsFor(detectors, annotations);
  let rows: Row[];
  if (values['reuse-comparison'] && existsSync(COMPARISON_CACHE)) {
    // Only the later steps changed: the comparison of step 1 is taken from the last full run.
    rows = JSON.parse(readFileSync(COMPARISON_CACHE, 'utf8')) as Row[];
    log(`step 1 reused from ${COMPARISON_CACHE} (${rows.length} operating points)`);
  } else {
    log(`comparing ${configs.length} configurations on ${annotations.length} images`);
    const runs = await runDetectors(
      manifest,
      dataDir,
      annotations,
      configs.map((c) => ({
        ...c.options,
        minScore: Math.min(...THRESHOLDS),
        minFaceSize: 0,
        iouThreshold: IOU_THRESHOLD,
      })),
      (n) => n % 50 === 0 && log(`  ${n} / ${annotations.length} images`),
    );
    rows = configs.flatMap((c, i) => rowsOf(c, runs[i]!));
    mkdirSync(dirname(COMPARISON_CACHE), { recursive: true });
    writeFileSync(COMPARISON_CACHE, JSON.stringify(rows));
  }
  for (const c of configs)
    log(
      `  ${c.entry.id} ${c.name}: ${rows.find((r) => r.config === `${c.entry.id} ${c.name}`)!.msPerImage} ms/image`,
    );
  const { row: chosen, qualified } = pick(rows);
  log(
    `chosen: ${chosen.config}, min score ${chosen.minScore}, min face ${chosen.minFaceSize} (targets met with margin: ${qualified})`,
  );
  const base: DetectorOptions = {
    ...NO_EXTRA_PASSES,
    model: chosen.model,
    minScore: chosen.minScore,
    iouThreshold: IOU_THRESHOLD,
    nms: chosen.inputLongSide ? 'hard' : 'weighted',
    ...(chosen.inputLongSide ? { inputLongSide: chosen.inputLongSide } : {}),
    tileAbove: chosen.tileAbove,
    tileGrid: chosen.tileGrid,
    minFaceSize: chosen.minFaceSize,
  };

  // 2. Turned passes (dynamic-input models only: fixed-size ones are tiled instead).
  let turnVariants: { name: string; options: Partial<DetectorOptions> }[] = [];
  let turnUpright: Row[] = [];
  let turnRolled: RolledResult[] = [];
  let turnChoice = 0;
  if (chosen.inputLongSide) {
    const half = Math.round(chosen.inputLongSide / 2 / 32) * 32;
    turnVariants = [
      { name: 'none', options: { turns: [] } },
      {
        name: `second look at each face found, turned (${ORIENT.size} px)`,
        options: { turns: [], orient: ORIENT },
      },
      { name: `180° at ${chosen.inputLongSide} px`, options: { turns: [2] } },
      { name: `90°, 180°, 270° at ${chosen.inputLongSide} px`, options: { turns: [1, 2, 3] } },
      { name: `180° at ${half} px`, options: { turns: [2], turnLongSide: half } },
      { name: `90°, 180°, 270° at ${half} px`, options: { turns: [1, 2, 3], turnLongSide: half } },
    ];
    log('turned passes: upright pictures');
    const upright = await runDetectors(
      manifest,
      dataDir,
      annotations,
      turnVariants.map((v) => ({ ...base, ...v.options })),
    );
    turnUpright = upright.map((run, i) => ({
      ...chosen,
      config: turnVariants[i]!.name,
      msPerImage: round(medianOf(run.times), 1),
      ...operatingPoint(run, base.minScore, base.minFaceSize),
    }));
    log(`turned passes: pictures turned ${ANGLES.join(', ')}°`);
    turnRolled = await measureRolledFaces(
      manifest,
      dataDir,
      annotations,
      turnVariants.map((v) => ({ ...base, ...v.options })),
      Number(values['rolled-images']),
    );
    const gain = (r: RolledResult) =>
      (r.perAngle[90]!.eyesRight + r.perAngle[135]!.eyesRight + r.perAngle[180]!.eyesRight) / 3;
    const noneMs = turnUpright[0]!.msPerImage;
    const eligible = turnVariants
      .map((_, i) => i)
      .filter(
        (i) =>
          i > 0 &&
          marginOf(turnUpright[i]!) >= 1 &&
          turnUpright[i]!.msPerImage <= noneMs * (1 + MAX_TURN_COST),
      );
    turnChoice = eligible.reduce((best, i) => (gain(turnRolled[i]!) > gain(turnRolled[best]!) ? i : best), 0);
    log(`turned passes chosen: ${turnVariants[turnChoice]!.name}`);
  }
  const withTurns: DetectorOptions = { ...base, ...(turnVariants[turnChoice]?.options ?? {}) };

  // 3. The close-up pass.
  let closeUpVariants: CloseUpOptions[] = [];
  let closeUpTallies: CloseUpTally[] = [];
  let closeUpChoice = 0;
  let closeUpPictures = 0;
  if (chosen.inputLongSide) {
    const pictures = readCloseUpPictures(closeUpDir);
    closeUpPictures = pictures.length;
    closeUpVariants = CLOSE_UP_SIDES.flatMap((longSide) =>
      CLOSE_UP_MARGINS.map((margin) => ({ below: CLOSE_UP_BELOW, longSide, margin })),
    );
    log(`close-ups: ${pictures.length} pictures, ${closeUpVariants.length} variants`);
    closeUpTallies = await measureCloseUps(
      manifest,
      closeUpDir,
      pictures,
      withTurns,
      closeUpVariants,
      (n) => n % 500 === 0 && log(`  ${n} / ${pictures.length}`),
    );
    const share = (i: number) => detectedShare(closeUpTallies[i]!, 'choose');
    const best = Math.max(...closeUpTallies.map((_, i) => share(i)));
    const near = closeUpTallies
      .map((_, i) => i)
      .filter((i) => i > 0 && share(i) >= best - 0.005)
      .sort(
        (a, b) =>
          closeUpVariants[a - 1]!.longSide - closeUpVariants[b - 1]!.longSide ||
          closeUpVariants[a - 1]!.margin - closeUpVariants[b - 1]!.margin,
      );
    closeUpChoice = near.length && share(near[0]!) >= share(0) + 0.005 ? near[0]! : 0;
    log(
      `close-up pass chosen: ${closeUpChoice ? JSON.stringify(closeUpVariants[closeUpChoice - 1]) : 'none'}`,
    );
  }
  const options: DetectorOptions = {
    ...withTurns,
    ...(closeUpChoice ? { closeUp: closeUpVariants[closeUpChoice - 1]! } : {}),
  };

  // 4. The shipped settings, run as they ship: turned and close-up passes included.
  const [shippedRun] = await runDetectors(manifest, dataDir, annotations, [options]);
  const shipped = operatingPoint(shippedRun!, options.minScore, options.minFaceSize);
  const shippedMs = round(medianOf(shippedRun!.times), 1);
  const fullRule = `${RULE} Then: ${TURN_RULE}. Then: ${CLOSE_UP_RULE}.`;
  const detector = {
    comment: 'Generated by `npm run models:detectors`; do not edit by hand.',
    rule: fullRule,
    options,
    measured: {
      data: { images: annotations.length, faces64: shipped.faces64.faces, faces32: shipped.faces32.faces },
      recall64: round(shipped.faces64.recall),
      recall32: round(shipped.faces32.recall),
      falsePositivesPerImage: round(shipped.faces64.falsePositivesPerImage, 3),
      falsePositivesPerImage48: round(shipped.falsePositivesPerImage48, 3),
      marginInStandardErrors: round(marginOf(shipped), 2),
      targetsMetWithMargin: marginOf(shipped) >= 1,
      msPerImage: shippedMs,
      ...(closeUpChoice
        ? {
            closeUpsDetected: {
              pictures: closeUpPictures,
              reportHalf: round(detectedShare(closeUpTallies[closeUpChoice]!, 'report')),
              reportHalfWithoutCloseUpPass: round(detectedShare(closeUpTallies[0]!, 'report')),
            },
          }
        : {}),
    },
  };
  writeFileSync(join(MODELS_DIR, 'detector.json'), `${JSON.stringify(detector, null, 2)}\n`);

  const updated: Manifest = {
    ...manifest,
    models: manifest.models.map((m) => {
      const mine = rows.filter((r) => r.model === m.id);
      if (m.task !== 'face-detection' || mine.length === 0) return m;
      // The shipped detector reports its own settings as run; the others their best point.
      const best =
        m.id === chosen.model
          ? { ...chosen, ...shipped, msPerImage: shippedMs }
          : [...mine].sort((a, b) => marginOf(b) - marginOf(a))[0]!;
      return {
        ...m,
        accuracy: {
          data: `WIDER FACE val subset (${annotations.length} images)`,
          bestOperatingPoint: {
            minScore: best.minScore,
            minFaceSize: best.minFaceSize,
            ...(best.inputLongSide
              ? { inputLongSide: best.inputLongSide }
              : { tileAbove: best.tileAbove, tileGrid: best.tileGrid }),
          },
          recall64: round(best.faces64.recall),
          recall32: round(best.faces32.recall),
          falsePositivesPerImage: round(best.faces64.falsePositivesPerImage, 3),
          msPerImage: best.msPerImage,
          ...(m.id === chosen.model
            ? { asShipped: 'turned and close-up passes included (models/detector.json)' }
            : {}),
        },
      };
    }),
  };
  writeFileSync(join(MODELS_DIR, 'models.json'), `${JSON.stringify(updated, null, 2)}\n`);

  writeDetectionReport(join(MODELS_DIR, 'DETECTION.md'), {
    annotations: annotations.length,
    rows,
    chosen,
    qualified,
    rule: RULE,
    options,
    shipped,
    shippedMs,
    turns: {
      rule: TURN_RULE,
      variants: turnVariants.map((v) => v.name),
      upright: turnUpright,
      rolled: turnRolled,
      choice: turnChoice,
      images: Number(values['rolled-images']),
    },
    closeUps: {
      rule: CLOSE_UP_RULE,
      pictures: closeUpPictures,
      variants: closeUpVariants,
      tallies: closeUpTallies,
      choice: closeUpChoice,
    },
  });
  log(
    `shipped: ${JSON.stringify(options)} → recall64 ${pct(shipped.faces64.recall)}, recall32 ${pct(shipped.faces32.recall)}, ${shipped.faces64.falsePositivesPerImage.toFixed(2)} FP/image`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
