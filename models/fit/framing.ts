/**
 * Measures how labelled face crops frame a face relative to our detector's box,
 * so crops of faces in photos can be cut the same way the models were trained on.
 *
 * Each crop is enlarged ×4 into the middle of a grey canvas three times its size
 * (a detector needs context around a face), the detector's best box is compared
 * with the crop, and the medians over all detected crops become the framing.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { FaceDetector, Framing } from '../../functions/core';
import { LabelledImage } from '../eval/dataset';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export interface FramingMeasurement extends Framing {
  crops: number;
  detected: number;
}

export async function measureFraming(
  detector: FaceDetector,
  items: LabelledImage[],
  every = 5,
): Promise<FramingMeasurement> {
  const side = 192;
  const sizes: number[] = [];
  const shifts: number[] = [];
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
    const boxSide = Math.max(best.box.width, best.box.height);
    sizes.push(side / boxSide);
    // Crop centre is at 1.5 × side; positive = the crop sits higher than the box.
    shifts.push((best.box.y + best.box.height / 2 - 1.5 * side) / side);
  }
  if (sizes.length === 0) throw new Error('the detector found no face in any labelled crop');
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    margin: round(median(sizes) - 1),
    shiftUp: round(median(shifts)),
    crops: sample.length,
    detected: sizes.length,
  };
}
