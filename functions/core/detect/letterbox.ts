/**
 * Letterboxing: scale the whole picture into a square without stretching it and
 * pad the rest, remembering how to map model coordinates back to the picture; and
 * running a detector on such a view.
 */
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { RgbImage } from '../image';
import { ModelEntry } from '../manifest';
import { writeInput } from '../tensor';

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

export async function letterbox(
  img: RgbImage,
  size: number,
  region?: Region,
): Promise<Letterbox & { region: Region }> {
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
    .extend({
      left: padX,
      top: padY,
      right: size - w - padX,
      bottom: size - h - padY,
      background: { r: 0, g: 0, b: 0 },
    })
    .raw()
    .toBuffer();
  // Scale in each axis is what the rounding to whole pixels actually produced.
  return { pixels: new Uint8Array(pixels), size, scale: w / r.width, padX, padY, region: r };
}

/**
 * Letterboxes for many same-sized tiles from one downscaled copy of the picture:
 * one resize for all tiles instead of one per tile (each resize of a 12 MP
 * picture costs milliseconds; copying a 256-px tile out of the copy costs microseconds).
 */
export async function tileLetterboxes(
  img: RgbImage,
  size: number,
  regions: Region[],
): Promise<(Letterbox & { region: Region })[]> {
  if (regions.length === 0) return [];
  const side = Math.max(regions[0].width, regions[0].height);
  const width = Math.max(1, Math.round(img.width * (size / side)));
  const height = Math.max(1, Math.round(img.height * (size / side)));
  const raster = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  const sx = width / img.width;
  const sy = height / img.height;
  return regions.map((region) => {
    const left = Math.round(region.left * sx);
    const top = Math.round(region.top * sy);
    const w = Math.min(Math.round(region.width * sx), width - left, size);
    const h = Math.min(Math.round(region.height * sy), height - top, size);
    const padX = Math.floor((size - w) / 2);
    const padY = Math.floor((size - h) / 2);
    const pixels = new Uint8Array(size * size * 3);
    for (let y = 0; y < h; y++) {
      const from = ((top + y) * width + left) * 3;
      pixels.set(raster.subarray(from, from + w * 3), ((padY + y) * size + padX) * 3);
    }
    // The tile's own origin and scale, as rounding to raster pixels made them.
    return {
      pixels,
      size,
      scale: w / region.width,
      padX,
      padY,
      region: { ...region, left: left / sx, top: top / sy },
    };
  });
}

/** Runs a detector session on one letterboxed view, normalised per the model's manifest entry. */
export function runOnView(
  session: ort.InferenceSession,
  entry: ModelEntry,
  view: Letterbox,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const input = new Float32Array(3 * view.size * view.size);
  writeInput(view.pixels, entry.preprocessing, input);
  return session.run({ [entry.input.name]: new ort.Tensor('float32', input, [1, 3, view.size, view.size]) });
}
