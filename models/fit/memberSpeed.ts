/**
 * What the expression stage costs per face, as `analyze` runs it (Analyzer.classify): each
 * face is cut once at the largest member's input side; each member resamples that crop to
 * its own input and runs every crop of the picture, and its mirror where it uses one, in
 * one session run. One onnxruntime thread, one face per picture (the dearest case per
 * face: a batch of one face and its mirror).
 *
 * The fastest of many runs: on a shared machine other work only ever slows a run down,
 * so the minimum is what the work costs on a machine of its own. `npm run bench` is the
 * reference for speed; this only lets `models:fit` weigh a member's accuracy against its
 * milliseconds.
 */
import { ExpressionModel, RgbImage, warpFrame } from '../../functions/core';

const PICTURE_SIDE = 640;
const FACE_SIDE = 160;

/** A 640-px picture with a 160-px square in the middle, as a face in a photo would be framed. */
function picture(): {
  image: RgbImage;
  frame: { center: { x: number; y: number }; side: number; angle: number };
} {
  const image: RgbImage = {
    width: PICTURE_SIDE,
    height: PICTURE_SIDE,
    data: Uint8Array.from({ length: PICTURE_SIDE * PICTURE_SIDE * 3 }, (_, i) => (i * 37) % 251),
  };
  // A slight roll, as most faces have: the crop samples a rotated square.
  return { image, frame: { center: { x: 320, y: 300 }, side: FACE_SIDE, angle: 0.1 } };
}

async function fastest(once: () => unknown, runs: number): Promise<number> {
  for (let i = 0; i < Math.min(30, runs); i++) await once();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await once();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

/** Cutting one face's crop at side `side` (paid once per face, whatever the members). */
export async function cropMsPerFace(side: number, runs = 300): Promise<number> {
  const { image, frame } = picture();
  return fastest(() => warpFrame(image, frame, side), runs);
}

/**
 * One member on one face: resampling the crop of side `cropSide` to its input, preprocessing
 * and the session run, with the mirror in the same batch when `flip`.
 */
export async function memberMsPerFace(
  model: ExpressionModel,
  flip: boolean,
  cropSide: number,
  runs = 300,
): Promise<number> {
  const { image, frame } = picture();
  const crop = warpFrame(image, frame, cropSide);
  return fastest(() => model.predictCrops([crop], cropSide, flip), runs);
}
