/**
 * Weighted non-maximum suppression (MediaPipe's "WEIGHTED" overlap mode): each
 * cluster of overlapping detections becomes one, its box and keypoints the
 * score-weighted mean of the cluster. Steadier than hard NMS, which keeps the one
 * best-scoring box and throws the rest of the evidence away.
 */
import { Box, iou, Point } from '../geometry';

export interface RawDetection {
  box: Box;
  /** Right eye, left eye, nose, mouth (and whatever else the model adds after them), or none. */
  keypoints: Point[];
  score: number;
}

export function weightedNms(detections: RawDetection[], iouThreshold: number): RawDetection[] {
  const remaining = [...detections].sort((a, b) => b.score - a.score);
  const kept: RawDetection[] = [];
  while (remaining.length > 0) {
    const best = remaining[0];
    const cluster: RawDetection[] = [];
    for (let i = remaining.length - 1; i >= 0; i--) {
      if (i === 0 || iou(best.box, remaining[i].box) > iouThreshold) cluster.push(...remaining.splice(i, 1));
    }
    const total = cluster.reduce((s, d) => s + d.score, 0);
    const mean = (f: (d: RawDetection) => number) => cluster.reduce((s, d) => s + f(d) * d.score, 0) / total;
    kept.push({
      score: best.score,
      box: {
        x: mean((d) => d.box.x),
        y: mean((d) => d.box.y),
        width: mean((d) => d.box.width),
        height: mean((d) => d.box.height),
      },
      keypoints: best.keypoints.map((_, k) => ({
        x: mean((d) => d.keypoints[k].x),
        y: mean((d) => d.keypoints[k].y),
      })),
    });
  }
  return kept;
}

/**
 * A detection lying this much (share of its own area) inside a better one is part of the
 * same face (YuNet sometimes adds a box on half of a face that fills the frame), not a face.
 */
const PART_OF_FACE = 0.6;

function shareInside(part: Box, whole: Box): number {
  const w = Math.min(part.x + part.width, whole.x + whole.width) - Math.max(part.x, whole.x);
  const h = Math.min(part.y + part.height, whole.y + whole.height) - Math.max(part.y, whole.y);
  const own = part.width * part.height;
  return w > 0 && h > 0 && own > 0 ? (w * h) / own : 0;
}

/**
 * Plain non-maximum suppression (OpenCV's, as its YuNet decoder uses): the best-scoring
 * detection of each overlapping cluster is kept as it is, box and keypoints; a detection
 * mostly inside a better one is dropped too. Landmarks are not averaged: detections from a
 * turned view may label the eyes differently.
 */
export function hardNms(detections: RawDetection[], iouThreshold: number): RawDetection[] {
  const kept: RawDetection[] = [];
  for (const d of [...detections].sort((a, b) => b.score - a.score)) {
    if (kept.every((k) => iou(k.box, d.box) <= iouThreshold && shareInside(d.box, k.box) < PART_OF_FACE))
      kept.push(d);
  }
  return kept;
}
