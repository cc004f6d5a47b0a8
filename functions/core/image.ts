/**
 * Decoding uploads into an upright RGB raster, with clear errors for bad input.
 */
import sharp from 'sharp';
import { ImageError } from './errors';

/** Interleaved 8-bit RGB, rows top to bottom, already rotated per EXIF orientation. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** ~50 megapixels: a 8660×5773 photo; larger inputs are refused before decoding. */
export const DEFAULT_LIMIT_INPUT_PIXELS = 50_000_000;

export interface DecodeOptions {
  limitInputPixels?: number;
}

function classify(err: Error, limit: number): ImageError {
  const msg = err.message;
  if (/exceeds pixel limit/i.test(msg)) {
    return new ImageError('TOO_MANY_PIXELS', `image is larger than the ${limit.toLocaleString('en')}-pixel limit`);
  }
  if (/unsupported image format/i.test(msg)) {
    return new ImageError('NOT_AN_IMAGE', 'input is not an image in a supported format (JPEG, PNG, WebP, GIF, AVIF, TIFF)');
  }
  if (/premature end|truncated|unexpected end|read error|no image/i.test(msg)) {
    return new ImageError('TRUNCATED_IMAGE', `image data is truncated or damaged (${msg.split('\n')[0]})`);
  }
  return new ImageError('CORRUPT_IMAGE', `image could not be decoded (${msg.split('\n')[0]})`);
}

export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const limit = options.limitInputPixels ?? DEFAULT_LIMIT_INPUT_PIXELS;
  if (bytes.length === 0) throw new ImageError('EMPTY_INPUT', 'input is empty (0 bytes)');
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limit, failOn: 'error', pages: 1 })
      .rotate() // apply EXIF orientation so boxes refer to the picture as people see it
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder returned ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw classify(err as Error, limit);
  }
}
