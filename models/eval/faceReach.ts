/**
 * How far a person's face reaches beyond the detector's box: the measurement behind
 * FACE_MARGINS (functions/core/render/faceRegions.ts), which layout adds around every
 * detected face before it keeps text off it. Annotated boxes (WIDER FACE: hairline to chin)
 * are matched to detected boxes at IoU ≥ 0.5; for each pair, the annotated box's overhang
 * above, below and beyond the sides, as a share of the detected box's height or width
 * (0 when it does not stick out).
 */
import { Box, iou } from '../../functions/core';

export interface FaceReach {
  /** Matched pairs measured. */
  faces: number;
  forehead: Quantiles;
  chin: Quantiles;
  side: Quantiles;
}

export interface Quantiles {
  median: number;
  p90: number;
}

const MATCH_IOU = 0.5;

const quantile = (values: number[], q: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const quantiles = (values: number[]): Quantiles => ({
  median: Math.round(quantile(values, 0.5) * 1000) / 1000,
  p90: Math.round(quantile(values, 0.9) * 1000) / 1000,
});

/** The overhangs of `truth` beyond `detected`, both in the same pixels. */
export function overhang(truth: Box, detected: Box): { forehead: number; chin: number; side: number } {
  const out = (d: number) => Math.max(0, d);
  return {
    forehead: out(detected.y - truth.y) / detected.height,
    chin: out(truth.y + truth.height - (detected.y + detected.height)) / detected.height,
    side: Math.max(
      out(detected.x - truth.x) / detected.width,
      out(truth.x + truth.width - (detected.x + detected.width)) / detected.width,
    ),
  };
}

/**
 * Each annotated face paired with the detected box it overlaps most (IoU ≥ 0.5, each detected
 * box used once, largest faces first), pooled over `pictures`.
 */
export function measureFaceReach(
  pictures: readonly { truth: readonly Box[]; detected: readonly Box[] }[],
): FaceReach {
  const forehead: number[] = [];
  const chin: number[] = [];
  const side: number[] = [];
  for (const { truth, detected } of pictures) {
    const free = new Set(detected.map((_, i) => i));
    for (const face of [...truth].sort((a, b) => b.height - a.height)) {
      let best = -1;
      let bestIou = MATCH_IOU;
      for (const i of free) {
        const overlap = iou(face, detected[i]!);
        if (overlap >= bestIou) [best, bestIou] = [i, overlap];
      }
      if (best < 0) continue;
      free.delete(best);
      const o = overhang(face, detected[best]!);
      forehead.push(o.forehead);
      chin.push(o.chin);
      side.push(o.side);
    }
  }
  return {
    faces: forehead.length,
    forehead: quantiles(forehead),
    chin: quantiles(chin),
    side: quantiles(side),
  };
}
