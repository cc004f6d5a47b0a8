/**
 * Decoding uploads into an upright RGB raster, with clear errors for bad input.
 */
import sharp from 'sharp';
import { ImageError } from './errors';
import { refuseUnsupportedFormats } from './formats';
import { readJpegHeader } from './jpegHeader';
import { DEFAULT_LIMIT_INPUT_PIXELS } from './vocabulary';

// libvips keeps up to 50 MB of recent operations for reuse; every photo here is decoded
// once, so the cache only adds to peak memory (measured by `npm run bench`).
sharp.cache(false);

/** Interleaved 8-bit RGB (or RGBA from decodeImageRgba), rows top to bottom, already rotated per EXIF orientation. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** File names of the picture formats the decoder reads (sharp's: no BMP). */
export const PICTURE_FILE = /\.(jpe?g|png|webp|gif|avif|tiff?)$/i;

export interface DecodeOptions {
  limitInputPixels?: number;
  /**
   * Decode at most this long a side (0 = full size). JPEGs then shrink while
   * decoding, which halves the cost of a 12 MP photo; faces stay far larger than
   * the 48–112 px the expression models see.
   */
  maxLongSide?: number;
  /** Decode to exactly this size (after EXIF orientation) instead; for callers that planned a layout. */
  size?: { width: number; height: number };
}

/** A decoded picture plus the size it has at full resolution (after EXIF orientation). */
export interface DecodedImage extends RgbImage {
  fullWidth: number;
  fullHeight: number;
}

function classify(err: Error, limit: number): ImageError {
  const msg = err.message;
  if (/exceeds pixel limit/i.test(msg)) {
    return new ImageError(
      'TOO_MANY_PIXELS',
      `image is larger than the ${limit.toLocaleString('en')}-pixel limit`,
    );
  }
  if (/unsupported image format/i.test(msg)) {
    return new ImageError(
      'NOT_AN_IMAGE',
      'input is not an image in a supported format (JPEG, PNG, WebP, GIF, AVIF, TIFF)',
    );
  }
  if (/premature end|truncated|unexpected end|read error|no image/i.test(msg)) {
    return new ImageError('TRUNCATED_IMAGE', `image data is truncated or damaged (${msg.split('\n')[0]})`);
  }
  return new ImageError('CORRUPT_IMAGE', `image could not be decoded (${msg.split('\n')[0]})`);
}

export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  return decode(bytes, options, 3);
}

/**
 * The same decode as decodeImage with 4 channels (RGBA, alpha opaque), the layout canvas
 * takes without another copy.
 */
export async function decodeImageRgba(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  return decode(bytes, options, 4);
}

/**
 * True for an embedded sRGB profile (cameras and editors often embed one). Converting sRGB
 * to sRGB changes nothing but costs sharp a colour transform: 30 ms of a 45 ms decode for a
 * 1920×1280 photo. Other profiles (Display P3, Adobe RGB) are still converted.
 */
export function isSrgbProfile(icc: Buffer | undefined): boolean {
  if (!icc || icc.length < 128) return false;
  // Header bytes 48-55: device manufacturer and model, "IEC sRGB" in the standard profile;
  // otherwise the description tag names it.
  return (
    icc.toString('latin1', 48, 56) === 'IEC sRGB' ||
    /sRGB/.test(icc.toString('latin1', 128, Math.min(icc.length, 2048)))
  );
}

/** What decoding needs to know first: the stored size, EXIF orientation and ICC profile. */
interface Header {
  width?: number;
  height?: number;
  orientation?: number;
  icc?: Buffer;
}

/** A JPEG's header read in JavaScript (jpegHeader.ts says why); other pictures' from sharp. */
async function readHeader(bytes: Uint8Array, limit: number): Promise<Header> {
  return (
    readJpegHeader(bytes) ?? sharp(bytes, { limitInputPixels: limit, failOn: 'error', pages: 1 }).metadata()
  );
}

/** Width and height as displayed: EXIF orientations 5-8 turn the picture a quarter, swapping its sides. */
function orientedSize(meta: Header): {
  width: number;
  height: number;
} {
  const turned = (meta.orientation ?? 1) >= 5;
  return {
    width: (turned ? meta.height : meta.width) ?? 0,
    height: (turned ? meta.width : meta.height) ?? 0,
  };
}

/** Size of the picture as displayed (after EXIF orientation), read from its header without decoding. */
export async function pictureSize(
  bytes: Uint8Array,
  options: Pick<DecodeOptions, 'limitInputPixels'> = {},
): Promise<{ width: number; height: number }> {
  const limit = options.limitInputPixels ?? DEFAULT_LIMIT_INPUT_PIXELS;
  if (bytes.length === 0) throw new ImageError('EMPTY_INPUT', 'input is empty (0 bytes)');
  refuseUnsupportedFormats(bytes);
  try {
    const meta = await readHeader(bytes, limit);
    if (!meta.width || !meta.height) throw new Error('no image size in header');
    if (meta.width * meta.height > limit) throw new Error('Input image exceeds pixel limit');
    return orientedSize(meta);
  } catch (err) {
    throw classify(err as Error, limit);
  }
}

async function decode(bytes: Uint8Array, options: DecodeOptions, channels: 3 | 4): Promise<DecodedImage> {
  const limit = options.limitInputPixels ?? DEFAULT_LIMIT_INPUT_PIXELS;
  if (bytes.length === 0) throw new ImageError('EMPTY_INPUT', 'input is empty (0 bytes)');
  refuseUnsupportedFormats(bytes);
  try {
    const meta = await readHeader(bytes, limit);
    // pages: 1 = the first frame of an animated GIF/WebP.
    const input = sharp(bytes, {
      limitInputPixels: limit,
      failOn: 'error',
      pages: 1,
      ignoreIcc: isSrgbProfile(meta.icc),
    });
    const { width: fullWidth, height: fullHeight } = orientedSize(meta);
    let pipeline = input.rotate(); // apply EXIF orientation so boxes refer to the picture as people see it
    const cap = options.maxLongSide ?? 0;
    if (options.size) {
      if (options.size.width !== fullWidth || options.size.height !== fullHeight) {
        pipeline = pipeline.resize({ width: options.size.width, height: options.size.height, fit: 'fill' });
      }
    } else if (cap > 0 && Math.max(fullWidth, fullHeight) > cap) {
      pipeline = pipeline.resize({ width: cap, height: cap, fit: 'inside' });
    }
    // Transparent areas become white, as a viewer shows them, not whatever colour hides under alpha 0.
    pipeline = pipeline.flatten({ background: '#ffffff' }).toColourspace('srgb');
    if (channels === 4) pipeline = pipeline.ensureAlpha(1);
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`decoder returned ${info.channels} channels`);
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      fullWidth: fullWidth || info.width,
      fullHeight: fullHeight || info.height,
    };
  } catch (err) {
    throw classify(err as Error, limit);
  }
}
