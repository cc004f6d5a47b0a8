/** Turning 8-bit pixels into normalised model input, per a manifest's preprocessing. */
import { Preprocessing } from './manifest';

/** Luma weights (ITU-R BT.601), as the gray FER2013 crops were made. */
const LUMA = [0.299, 0.587, 0.114];

/**
 * Writes one RGB image (interleaved, width × height = the model input) into
 * `out` at `offset` as planar NCHW floats: (pixel - mean) * scale, gray or BGR if asked.
 */
export function writeInput(
  rgb: Uint8Array | Float32Array,
  pre: Preprocessing,
  out: Float32Array,
  offset = 0,
): void {
  const plane = pre.width * pre.height;
  if (pre.color === 'gray') {
    for (let i = 0; i < plane; i++) {
      const y = LUMA[0] * rgb[i * 3] + LUMA[1] * rgb[i * 3 + 1] + LUMA[2] * rgb[i * 3 + 2];
      out[offset + i] = (y - pre.mean[0]) * pre.scale;
    }
    return;
  }
  for (let c = 0; c < 3; c++) {
    const base = offset + c * plane;
    const mean = pre.mean[c];
    // Plane c of a BGR model is the picture's channel 2 - c.
    const from = pre.color === 'bgr' ? 2 - c : c;
    for (let i = 0; i < plane; i++) out[base + i] = (rgb[i * 3 + from] - mean) * pre.scale;
  }
}

export const inputSize = (pre: Preprocessing): number =>
  pre.width * pre.height * (pre.color === 'gray' ? 1 : 3);
