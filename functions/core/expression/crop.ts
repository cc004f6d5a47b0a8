/**
 * Face crops for the expression models: a square around the face, widened by a
 * margin and rotated so the eyes are level, resampled to each model's input.
 */
import { Box, Point } from '../geometry';
import { Keypoints } from '../detect/detector';
import { RgbImage } from '../image';

/** A square in the picture: its centre, side length in pixels and rotation in radians. */
export interface FaceFrame {
  center: Point;
  side: number;
  angle: number;
}

/**
 * How a crop relates to the detector's box, measured on the training crops by
 * `npm run models:fit` so our crops frame a face the way the models were taught.
 */
export interface Framing {
  /** Crop side = box side × (1 + margin). */
  margin: number;
  /** Crop centre = box centre moved this fraction of the crop side towards the top of the head. */
  shiftUp: number;
}

/** Frame for a detected face: eye line levelled, box widened and shifted per `framing`. */
export function faceFrame(box: Box, keypoints: Keypoints, framing: Framing): FaceFrame {
  const { rightEye, leftEye } = keypoints;
  // The person's right eye is on the picture's left; angle is that of the eye line.
  const angle = Math.atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x);
  const side = Math.max(box.width, box.height) * (1 + framing.margin);
  // "Up" for the face is the eye line's normal pointing away from the mouth.
  const shift = framing.shiftUp * side;
  return {
    center: { x: box.x + box.width / 2 + Math.sin(angle) * shift, y: box.y + box.height / 2 - Math.cos(angle) * shift },
    side,
    angle,
  };
}

/** The whole picture as the frame: for datasets of ready-made face crops. */
export function wholeImageFrame(img: { width: number; height: number }): FaceFrame {
  return { center: { x: img.width / 2, y: img.height / 2 }, side: Math.max(img.width, img.height), angle: 0 };
}

/**
 * Resamples the frame to `size`×`size` RGB. Each output pixel averages up to 4×4
 * bilinear samples so a large face shrinks without aliasing; outside the picture
 * the nearest edge pixel is repeated (black borders would read as dark hair).
 */
export function warpFrame(img: RgbImage, frame: FaceFrame, size: number, flip = false): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  const step = frame.side / size; // source pixels per output pixel
  const samples = Math.min(4, Math.max(1, Math.ceil(step)));
  const cos = Math.cos(frame.angle) * step;
  const sin = Math.sin(frame.angle) * step;
  const maxX = img.width - 1;
  const maxY = img.height - 1;
  const data = img.data;
  const acc = [0, 0, 0];
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      acc[0] = acc[1] = acc[2] = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          // Output coordinates relative to the frame centre, in output pixels.
          const u = (flip ? size - ox - (sx + 0.5) / samples : ox + (sx + 0.5) / samples) - size / 2;
          const v = oy + (sy + 0.5) / samples - size / 2;
          let x = frame.center.x + u * cos - v * sin - 0.5;
          let y = frame.center.y + u * sin + v * cos - 0.5;
          x = x < 0 ? 0 : x > maxX ? maxX : x;
          y = y < 0 ? 0 : y > maxY ? maxY : y;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const x1 = Math.min(x0 + 1, maxX);
          const y1 = Math.min(y0 + 1, maxY);
          const fx = x - x0;
          const fy = y - y0;
          const i00 = (y0 * img.width + x0) * 3;
          const i01 = (y0 * img.width + x1) * 3;
          const i10 = (y1 * img.width + x0) * 3;
          const i11 = (y1 * img.width + x1) * 3;
          for (let c = 0; c < 3; c++) {
            const top = data[i00 + c] + (data[i01 + c] - data[i00 + c]) * fx;
            const bottom = data[i10 + c] + (data[i11 + c] - data[i10 + c]) * fx;
            acc[c] += top + (bottom - top) * fy;
          }
        }
      }
      const o = (oy * size + ox) * 3;
      const n = samples * samples;
      out[o] = Math.round(acc[0] / n);
      out[o + 1] = Math.round(acc[1] / n);
      out[o + 2] = Math.round(acc[2] / n);
    }
  }
  return out;
}
