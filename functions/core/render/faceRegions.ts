/**
 * The part of the picture a face occupies, as far as text is concerned, and how much it
 * matters when no placement can avoid every face. Pure geometry.
 */
import { Box } from '../geometry';

/**
 * How far a face reaches beyond the detector's box, as shares of the box's width (sides) and
 * height (forehead, chin). Set for the shipped detector's framing: BlazeFace's box runs from
 * the brows to the chin, while people (and WIDER FACE's annotators) count the forehead and
 * hairline as face. On 269 faces of the tuning half of faces-boxes (WIDER FACE) the annotated
 * box reached 0.22 of the detected box's height above it (median; 90th percentile 0.36), 0.02
 * below it (0.13) and 0.04 beyond its sides (0.13). A detector whose boxes already include
 * the forehead (YuNet, trained on WIDER FACE) needs a smaller `forehead` margin: set it here.
 */
export const FACE_MARGINS = { side: 0.12, forehead: 0.32, chin: 0.15 } as const;

/** The detector's box widened by FACE_MARGINS and clipped to the picture. */
export function faceRegion(box: Box, width: number, height: number): Box {
  const x0 = Math.max(0, box.x - FACE_MARGINS.side * box.width);
  const x1 = Math.min(width, box.x + (1 + FACE_MARGINS.side) * box.width);
  const y0 = Math.max(0, box.y - FACE_MARGINS.forehead * box.height);
  const y1 = Math.min(height, box.y + (1 + FACE_MARGINS.chin) * box.height);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/**
 * How much covering a face costs per pixel, 0.25..1: a face the detector is sure of, near
 * the middle of the picture, is the one people look at; a doubtful detection near an edge
 * is the one to give up first. Size needs no term: covering a small face covers fewer pixels.
 */
export function faceImportance(box: Box, score: number | undefined, width: number, height: number): number {
  const confidence = Math.min(1, Math.max(0, score ?? 1));
  const dx = (box.x + box.width / 2 - width / 2) / (width / 2);
  const dy = (box.y + box.height / 2 - height / 2) / (height / 2);
  const centrality = 1 - Math.min(1, Math.hypot(dx, dy) / Math.SQRT2);
  return (0.5 + 0.5 * confidence) * (0.5 + 0.5 * centrality);
}
