/**
 * Letterboxing: scale the whole picture into a square without stretching it and
 * pad the rest, remembering how to map model coordinates back to the picture.
 */
import sharp from 'sharp';
import { RgbImage } from '../image';

export interface Letterbox {
  /** Model-input pixels (RGB, interleaved, size × size). */
  pixels: Uint8Array;
  size: number;
  /** picture x = (input x - padX) / scale + originX, likewise for y. */
  scale: number;
  padX: number;
  padY: number;
}

/** A rectangular region of an image, for tiling; the full image when omitted. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

export async function letterbox(img: RgbImage, size: number, region?: Region): Promise<Letterbox & { region: Region }> {
  const r = region ?? { left: 0, top: 0, width: img.width, height: img.height };
  const scale = size / Math.max(r.width, r.height);
  const w = Math.max(1, Math.round(r.width * scale));
  const h = Math.max(1, Math.round(r.height * scale));
  const padX = Math.floor((size - w) / 2);
  const padY = Math.floor((size - h) / 2);
  let pipeline = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
  if (region) pipeline = pipeline.extract(r);
  const pixels = await pipeline
    .resize(w, h, { fit: 'fill' })
    .extend({ left: padX, top: padY, right: size - w - padX, bottom: size - h - padY, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
  // Scale in each axis is what the rounding to whole pixels actually produced.
  return { pixels: new Uint8Array(pixels), size, scale: w / r.width, padX, padY, region: r };
}
