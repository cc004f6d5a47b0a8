/**
 * Face crops turned back into pictures for end-to-end scoring: the crop, scaled to a
 * face size the detector handles, in the middle of a mid-grey canvas with one crop
 * side of padding on every side (the detector needs room around a face, and a tight
 * crop is not what users upload).
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { RgbImage } from '../../functions/core';

export interface PaddedPicture extends RgbImage {
  /** Where the crop's top-left corner lies in the padded picture, and its side there. */
  offset: number;
  side: number;
  /** Crop pixels → padded-picture pixels. */
  scale: number;
}

/**
 * `side`: the crop's side in the padded picture (0 = keep its size). FER2013's 48-px
 * crops are scaled to 192 px, as `models:fit` measures the framing on them.
 */
export async function paddedPicture(path: string, side = 0): Promise<PaddedPicture> {
  const input = sharp(readFileSync(path));
  const meta = await input.metadata();
  const native = Math.max(meta.width ?? 0, meta.height ?? 0);
  if (!native) throw new Error(`${path}: not a picture`);
  const target = side || native;
  const face = await sharp(readFileSync(path))
    .resize(target, target, { fit: 'fill' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer();
  const { data, info } = await sharp(face, { raw: { width: target, height: target, channels: 3 } })
    .extend({
      top: target,
      bottom: target,
      left: target,
      right: target,
      background: { r: 128, g: 128, b: 128 },
    })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data),
    offset: target,
    side: target,
    scale: target / native,
  };
}
