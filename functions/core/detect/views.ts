/**
 * Views of a picture for a detector with a dynamic input size (YuNet): the picture scaled
 * to a chosen long side, optionally inside a grey margin (so a face that fills the frame
 * becomes a face among its surroundings) and turned by quarter turns (so a face upside
 * down or lying sideways stands upright), with the map from view pixels back to the picture.
 */
import sharp from 'sharp';
import { Point } from '../geometry';
import { RgbImage } from '../image';
import { warpFrame } from '../expression/crop';

export interface View {
  /** RGB, interleaved, width × height. */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** Where a point of the view lies in the picture. */
  toPicture(p: Point): Point;
}

export interface ViewOptions {
  /** The view's long side in pixels (the margin included). */
  longSide: number;
  /** Grey border on every side, as a fraction of the picture's scaled long side (0 = none). */
  margin?: number;
}

/** Mid-grey: neither dark hair nor a bright sky next to the face. */
const MARGIN_GREY = 128;

/**
 * The picture scaled (never stretched) so that the view's long side is `longSide`, rounded
 * to whole pixels; small pictures are enlarged, as the detector was trained on its input size.
 */
export async function scaledView(img: RgbImage, options: ViewOptions): Promise<View> {
  const margin = Math.max(0, options.margin ?? 0);
  const long = Math.max(img.width, img.height);
  const scale = options.longSide / (long * (1 + 2 * margin));
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const pad = Math.round(long * scale * margin);
  const sx = w / img.width;
  const sy = h / img.height;
  let pixels: Uint8Array;
  if (w === img.width && h === img.height) {
    pixels = img.data;
  } else {
    const resized = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .resize(w, h, { fit: 'fill' })
      .raw()
      .toBuffer();
    pixels = new Uint8Array(resized.buffer, resized.byteOffset, resized.length);
  }
  if (pad > 0) pixels = framed(pixels, w, h, pad);
  return {
    pixels,
    width: w + 2 * pad,
    height: h + 2 * pad,
    toPicture: (p) => ({ x: (p.x - pad) / sx, y: (p.y - pad) / sy }),
  };
}

/** The raster inside a grey border `pad` pixels wide. */
function framed(pixels: Uint8Array, w: number, h: number, pad: number): Uint8Array {
  const width = w + 2 * pad;
  const out = new Uint8Array(width * (h + 2 * pad) * 3).fill(MARGIN_GREY);
  for (let y = 0; y < h; y++)
    out.set(pixels.subarray(y * w * 3, (y + 1) * w * 3), ((y + pad) * width + pad) * 3);
  return out;
}

/**
 * The view shrunk by a whole `factor`: each pixel the mean of a factor × factor block (a box
 * filter: area averaging at a whole factor). The close-up pass takes its view this way from
 * the main one: 0.8 ms for a 640-px view shrunk to 128 px, where a call to sharp costs 1.7 ms.
 * Rows and columns left over at the bottom and right (fewer than `factor`) are dropped; a
 * view thinner than `factor` keeps one row or column, the mean of what it has.
 */
export function shrunkView(view: View, factor: number): View {
  if (!Number.isInteger(factor) || factor < 1)
    throw new Error(`shrink factor ${factor} is not a whole number ≥ 1`);
  if (factor === 1) return view;
  const { width: w, height: h, pixels } = view;
  const width = Math.max(1, Math.floor(w / factor));
  const height = Math.max(1, Math.floor(h / factor));
  const across = Math.min(w, factor);
  const down = Math.min(h, factor);
  const count = across * down;
  const out = new Uint8Array(width * height * 3);
  const sums = new Uint32Array(width * 3);
  for (let y = 0; y < height; y++) {
    sums.fill(0);
    for (let dy = 0; dy < down; dy++) {
      let from = (y * factor + dy) * w * 3;
      for (let x = 0, to = 0; x < width; x++, to += 3) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let dx = 0; dx < across; dx++, from += 3) {
          r += pixels[from]!;
          g += pixels[from + 1]!;
          b += pixels[from + 2]!;
        }
        sums[to] += r;
        sums[to + 1] += g;
        sums[to + 2] += b;
      }
    }
    const row = y * width * 3;
    for (let i = 0; i < width * 3; i++) out[row + i] = Math.floor((sums[i]! + count / 2) / count);
  }
  return {
    pixels: out,
    width,
    height,
    toPicture: (p) => view.toPicture({ x: p.x * factor, y: p.y * factor }),
  };
}

/**
 * The view turned clockwise by `quarterTurns` × 90°. A face lying on its side or upside
 * down in the picture stands upright in one of the turned views; points found there map
 * back through the turn and then the view's own map.
 */
export function turnedView(view: View, quarterTurns: number): View {
  const turns = ((quarterTurns % 4) + 4) % 4;
  if (turns === 0) return view;
  const { width: w, height: h, pixels } = view;
  const width = turns === 2 ? w : h;
  const height = turns === 2 ? h : w;
  const out = new Uint8Array(pixels.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Pixel (x, y) of the view lands at (tx, ty) of the turned one.
      const tx = turns === 1 ? h - 1 - y : turns === 2 ? w - 1 - x : y;
      const ty = turns === 1 ? x : turns === 2 ? h - 1 - y : w - 1 - x;
      const from = (y * w + x) * 3;
      const to = (ty * width + tx) * 3;
      out[to] = pixels[from]!;
      out[to + 1] = pixels[from + 1]!;
      out[to + 2] = pixels[from + 2]!;
    }
  }
  // Continuous coordinates: a turned point (u, v) came from the view's (x, y).
  const back = (p: Point): Point =>
    turns === 1 ? { x: p.y, y: h - p.x } : turns === 2 ? { x: w - p.x, y: h - p.y } : { x: w - p.y, y: p.x };
  return { pixels: out, width, height, toPicture: (p) => view.toPicture(back(p)) };
}

/**
 * A square of the picture around `centre`, `side` pixels wide, resampled to `size` pixels
 * (edge pixels repeated beyond the picture): a face's surroundings for a second look.
 */
export function squareView(img: RgbImage, centre: Point, side: number, size: number): View {
  const pixels = warpFrame(img, { center: centre, side, angle: 0 }, size);
  const step = side / size;
  return {
    pixels,
    width: size,
    height: size,
    toPicture: (p) => ({ x: centre.x + (p.x - size / 2) * step, y: centre.y + (p.y - size / 2) * step }),
  };
}
