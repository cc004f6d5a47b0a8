/**
 * Measures how labelled face crops frame a face relative to our detector's landmarks, so
 * crops of faces in photos can be cut the way the models were trained on.
 *
 * Each crop is enlarged ×4 into the middle of a grey canvas three times its size (a
 * detector needs context around a face), and the detector's best face is compared with the
 * crop. The crop's side is measured against the face's own size, eye distance plus
 * eye-to-mouth distance, and its centre against the midpoint of the eyes' midpoint and the
 * mouth, along the face's up-down axis. Both follow the face when it rolls, unlike its
 * axis-aligned box, which grows around a tilted face (by a fifth at 20°): that is why the
 * framing hangs on the landmarks. The box's own figures are measured alongside, for the report.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { LabelledImage } from '../eval/dataset';
import { FaceDetector, faceRoll, faceSize, Framing, landmarkCentre } from '../../functions/core';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
/** Median absolute deviation: the spread, robust to the few crops the detector gets wrong. */
const mad = (values: number[]) => {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
};

export interface FramingMeasurement extends Framing {
  crops: number;
  detected: number;
  /** Spread (median absolute deviation) of ln(crop side / estimate), landmarks and box. */
  sideSpread: { landmarks: number; box: number };
  /** Spread of the crop centre's offset from the estimate, in crop sides, landmarks and box. */
  centreSpread: { landmarks: number; box: number };
  /** Crop side / longer box side, median: how the training crops compare with the detector's box. */
  boxRatio: number;
}

export async function measureFraming(
  detector: FaceDetector,
  items: LabelledImage[],
  every = 5,
): Promise<FramingMeasurement> {
  const side = 192;
  const logSide: number[] = [];
  const logBoxSide: number[] = [];
  const down: number[] = [];
  const boxDown: number[] = [];
  const sample = items.filter((_, i) => i % every === 0);
  for (const item of sample) {
    const face = await sharp(readFileSync(item.path))
      .resize(side, side)
      .toColourspace('srgb')
      .raw()
      .toBuffer();
    const { data, info } = await sharp(face, { raw: { width: side, height: side, channels: 3 } })
      .extend({ top: side, bottom: side, left: side, right: side, background: { r: 128, g: 128, b: 128 } })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const faces = await detector.detect({
      width: info.width,
      height: info.height,
      data: new Uint8Array(data),
    });
    if (faces.length === 0) continue;
    const best = faces.reduce((a, b) => (b.score > a.score ? b : a));
    const angle = faceRoll(best.keypoints);
    // The crop's centre is the canvas centre; offsets are along the face's down direction.
    const along = (p: { x: number; y: number }) =>
      ((1.5 * side - p.x) * -Math.sin(angle) + (1.5 * side - p.y) * Math.cos(angle)) / side;
    logSide.push(Math.log(side / faceSize(best.keypoints)));
    down.push(along(landmarkCentre(best.keypoints)));
    logBoxSide.push(Math.log(side / Math.max(best.box.width, best.box.height)));
    boxDown.push(along({ x: best.box.x + best.box.width / 2, y: best.box.y + best.box.height / 2 }));
  }
  if (logSide.length === 0) throw new Error('the detector found no face in any labelled crop');
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    scale: round(Math.exp(median(logSide))),
    shiftDown: round(median(down)),
    crops: sample.length,
    detected: logSide.length,
    sideSpread: { landmarks: round(mad(logSide)), box: round(mad(logBoxSide)) },
    centreSpread: { landmarks: round(mad(down)), box: round(mad(boxDown)) },
    boxRatio: round(Math.exp(median(logBoxSide))),
  };
}
