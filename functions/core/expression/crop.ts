/**
 * Face crops for the expression models: a square around the face, sized and placed by its
 * landmarks and rotated so the eyes are level (any roll, upside down included), resampled
 * to each model's input.
 */
import { Box, Point } from '../geometry';
import type { Keypoints } from '../detect/detector';
import { RgbImage } from '../image';

/** A square in the picture: its centre, side length in pixels and rotation in radians. */
export interface FaceFrame {
  center: Point;
  side: number;
  angle: number;
}

/**
 * How a crop relates to the face's landmarks, measured on the training crops by
 * `npm run models:fit` so our crops frame a face the way the models were taught.
 */
export interface Framing {
  /** Crop side = scale × {@link faceSize}. */
  scale: number;
  /** Crop centre = {@link landmarkCentre} moved this share of the crop side down the face (negative: up). */
  shiftDown: number;
}

/** The face's size from its landmarks: eye distance plus the distance from the eyes to the mouth. */
export function faceSize(keypoints: Keypoints): number {
  const { rightEye, leftEye, mouth } = keypoints;
  const eyes = { x: (rightEye.x + leftEye.x) / 2, y: (rightEye.y + leftEye.y) / 2 };
  return (
    Math.hypot(leftEye.x - rightEye.x, leftEye.y - rightEye.y) +
    Math.hypot(mouth.x - eyes.x, mouth.y - eyes.y)
  );
}

/** Midway between the eyes' midpoint and the mouth. */
export function landmarkCentre(keypoints: Keypoints): Point {
  const { rightEye, leftEye, mouth } = keypoints;
  return { x: ((rightEye.x + leftEye.x) / 2 + mouth.x) / 2, y: ((rightEye.y + leftEye.y) / 2 + mouth.y) / 2 };
}

/**
 * The face's roll: the angle of its eye line (the person's right eye to their left eye),
 * turned half a turn when the mouth lies on the wrong side of it, i.e. when the eyes came
 * labelled the other way round. Any angle: a face lying sideways or upside down is levelled too.
 */
export function faceRoll(keypoints: Keypoints): number {
  const { rightEye, leftEye, mouth } = keypoints;
  const angle = Math.atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x);
  // "Down" for the face is the eye line's normal (-sin, cos); the mouth must lie that way.
  const dx = mouth.x - (rightEye.x + leftEye.x) / 2;
  const dy = mouth.y - (rightEye.y + leftEye.y) / 2;
  return -Math.sin(angle) * dx + Math.cos(angle) * dy >= 0 ? angle : angle + Math.PI;
}

/**
 * Frame for a detected face, from its landmarks: levelled by faceRoll, sized and centred per
 * `framing`, so a face that rolls keeps the same crop. The box only bounds the side from
 * below (half its long side), should the landmarks collapse.
 */
export function faceFrame(box: Box, keypoints: Keypoints, framing: Framing): FaceFrame {
  const angle = faceRoll(keypoints);
  const side = Math.max(framing.scale * faceSize(keypoints), 0.5 * Math.max(box.width, box.height));
  const centre = landmarkCentre(keypoints);
  const shift = framing.shiftDown * side;
  return {
    // Down for the face is (-sin, cos) of its roll.
    center: { x: centre.x - Math.sin(angle) * shift, y: centre.y + Math.cos(angle) * shift },
    side,
    angle,
  };
}

/**
 * A square RGB crop of side `from` resampled to side `to`, with the same supersampling as
 * warpFrame: how the smaller models' inputs are made from the one crop cut for the largest.
 */
export function resampleSquare(crop: Uint8Array, from: number, to: number): Uint8Array {
  const img = { width: from, height: from, data: crop };
  return warpPlain(img, wholeImageFrame(img), to);
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
