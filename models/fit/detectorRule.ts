/**
 * The rule that picks the shipped detector operating point from measured rows: the targets,
 * the margin they must be met by, and what breaks ties. Kept apart from the script that
 * measures, so the rule can be read (and tested) on its own.
 */
import { OperatingPoint } from '../eval/detectorEval';

/** The targets on valid WIDER faces (IoU 0.5). */
export const TARGETS = { recall64: 0.93, recall32: 0.85, falsePositivesPerImage: 0.3 } as const;

/** Keypoints a shipped detector must give: eyes (the crop's roll) and mouth (which way is down). */
export const REQUIRED_KEYPOINTS = 4;

export interface Row extends OperatingPoint {
  model: string;
  /** Configuration apart from the thresholds: tiling or input size. */
  config: string;
  keypoints: number;
  tileAbove: number;
  tileGrid: number;
  inputLongSide?: number;
  /** Median detection time per image, timed interleaved with every other configuration. */
  msPerImage: number;
  /** Model input pixels per image over all views. */
  inputPixelsPerImage: number;
}

/**
 * By how many standard errors of its own estimate each target is met (negative: missed by).
 * Recall is a binomial proportion over the annotated faces; false positives a Poisson count
 * over the images. The smallest of the three is the point's margin.
 */
export function margins(r: OperatingPoint): { recall64: number; recall32: number; falsePositives: number } {
  const binomial = (p: number, n: number) => Math.sqrt(Math.max(p * (1 - p), 1e-4) / Math.max(n, 1));
  const fp = r.faces64.falsePositivesPerImage;
  const images = r.faces64.images;
  const poisson = Math.sqrt(Math.max(fp * images, 1)) / Math.max(images, 1);
  return {
    recall64: (r.faces64.recall - TARGETS.recall64) / binomial(r.faces64.recall, r.faces64.faces),
    recall32: (r.faces32.recall - TARGETS.recall32) / binomial(r.faces32.recall, r.faces32.faces),
    falsePositives: (TARGETS.falsePositivesPerImage - fp) / poisson,
  };
}

export const marginOf = (r: OperatingPoint): number => Math.min(...Object.values(margins(r)));

/** Points must meet every target by at least this many standard errors. */
export const MIN_MARGIN = 1;

export const RULE =
  `among detectors that give the eyes and the mouth, the operating points that meet every target ` +
  `(recall ≥ ${TARGETS.recall64 * 100} % of valid faces ≥ 64 px, ≥ ${TARGETS.recall32 * 100} % of those ≥ 32 px, IoU 0.5, ` +
  `≤ ${TARGETS.falsePositivesPerImage} false positives per image) by at least ${MIN_MARGIN} standard error of its estimate on these images; ` +
  `of those, the fastest configuration (median time per image, all detectors timed interleaved on the same images), ` +
  `and within it the point with the widest margin. If none qualifies, the point closest to qualifying.`;

/** The shipped point by {@link RULE}, and whether it met the targets with the margin. */
export function pick(rows: Row[]): { row: Row; qualified: boolean } {
  const usable = rows.filter((r) => r.keypoints >= REQUIRED_KEYPOINTS);
  if (usable.length === 0) throw new Error('no detector gives eyes and mouth keypoints');
  const byMargin = (a: Row, b: Row) => marginOf(b) - marginOf(a);
  const qualified = usable.filter((r) => marginOf(r) >= MIN_MARGIN);
  if (qualified.length === 0) return { row: [...usable].sort(byMargin)[0], qualified: false };
  const fastest = Math.min(...qualified.map((r) => r.msPerImage));
  const config = qualified.find((r) => r.msPerImage === fastest)!.config;
  return { row: qualified.filter((r) => r.config === config).sort(byMargin)[0], qualified: true };
}

/** Each configuration's own best point (widest margin), keypoints or not, for the comparison table. */
export function bestOfConfig(rows: Row[]): Row {
  return [...rows].sort((a, b) => marginOf(b) - marginOf(a))[0];
}
