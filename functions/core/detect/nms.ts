/**
 * Weighted non-maximum suppression (MediaPipe's "WEIGHTED" overlap mode): each
 * cluster of overlapping detections becomes one, its box and keypoints the
 * score-weighted mean of the cluster. Steadier than hard NMS, which keeps the one
 * best-scoring box and throws the rest of the evidence away.
 */
import { Box, iou, Point } from '../geometry';

export interface RawDetection {
  box: Box;
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
