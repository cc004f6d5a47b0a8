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
    center: {
      x: box.x + box.width / 2 + Math.sin(angle) * shift,
      y: box.y + box.height / 2 - Math.cos(angle) * shift,
    },
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
 * `flip` gives the mirror image: the same samples, columns reversed.
 */
export function warpFrame(img: RgbImage, frame: FaceFrame, size: number, flip = false): Uint8Array {
  const plain = warpPlain(img, frame, size);
  return flip ? mirrored(plain, size) : plain;
}

/** The crop mirrored left to right (a flipped crop samples exactly the mirrored points). */
export function mirrored(crop: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(crop.length);
  for (let y = 0; y < size; y++) {
    const row = y * size * 3;
    for (let x = 0; x < size; x++) {
      const from = row + x * 3;
      const to = row + (size - 1 - x) * 3;
      out[to] = crop[from]!;
      out[to + 1] = crop[from + 1]!;
      out[to + 2] = crop[from + 2]!;
    }
  }
  return out;
}

// The hot loop of expression preprocessing (a 112-px crop is 200,000 bilinear samples):
// sample offsets and their rotations are computed once per crop, not per sample.
function warpPlain(img: RgbImage, frame: FaceFrame, size: number): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  const step = frame.side / size; // source pixels per output pixel
  const samples = Math.min(4, Math.max(1, Math.ceil(step)));
  const cos = Math.cos(frame.angle) * step;
  const sin = Math.sin(frame.angle) * step;
  const maxX = img.width - 1;
  const maxY = img.height - 1;
  const width = img.width;
  const data = img.data;
  const n = samples * samples;
  // Offset of sample s of output column/row o from the frame centre, in output pixels.
  const count = size * samples;
  const uCos = new Float64Array(count);
  const uSin = new Float64Array(count);
  const vSin = new Float64Array(count);
  const vCos = new Float64Array(count);
  for (let o = 0; o < size; o++) {
    for (let k = 0; k < samples; k++) {
      const offset = o + (k + 0.5) / samples - size / 2;
      uCos[o * samples + k] = offset * cos;
      uSin[o * samples + k] = offset * sin;
      vSin[o * samples + k] = offset * sin;
      vCos[o * samples + k] = offset * cos;
    }
  }
  const cx = frame.center.x;
  const cy = frame.center.y;
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < samples; sy++) {
        const vs = vSin[oy * samples + sy]!;
        const vc = vCos[oy * samples + sy]!;
        for (let sx = 0; sx < samples; sx++) {
          let x = cx + uCos[ox * samples + sx]! - vs - 0.5;
          let y = cy + uSin[ox * samples + sx]! + vc - 0.5;
          x = x < 0 ? 0 : x > maxX ? maxX : x;
          y = y < 0 ? 0 : y > maxY ? maxY : y;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const x1 = x0 < maxX ? x0 + 1 : maxX;
          const y1 = y0 < maxY ? y0 + 1 : maxY;
          const fx = x - x0;
          const fy = y - y0;
          const i00 = (y0 * width + x0) * 3;
          const i01 = (y0 * width + x1) * 3;
          const i10 = (y1 * width + x0) * 3;
          const i11 = (y1 * width + x1) * 3;
          let top = data[i00]! + (data[i01]! - data[i00]!) * fx;
          let bottom = data[i10]! + (data[i11]! - data[i10]!) * fx;
          r += top + (bottom - top) * fy;
          top = data[i00 + 1]! + (data[i01 + 1]! - data[i00 + 1]!) * fx;
          bottom = data[i10 + 1]! + (data[i11 + 1]! - data[i10 + 1]!) * fx;
          g += top + (bottom - top) * fy;
          top = data[i00 + 2]! + (data[i01 + 2]! - data[i00 + 2]!) * fx;
          bottom = data[i10 + 2]! + (data[i11 + 2]! - data[i10 + 2]!) * fx;
          b += top + (bottom - top) * fy;
        }
      }
      const o = (oy * size + ox) * 3;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
    }
  }
  return out;
}
