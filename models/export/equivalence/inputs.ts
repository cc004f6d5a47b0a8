/**
 * Inputs for the export-equivalence check, shared by the one-off reference
 * generator (TF.js side) and the test (onnxruntime side) so both see the same
 * numbers: seeded random pixels, and real pictures stored as lossless PNG at
 * the model's input size.
 */
import sharp from 'sharp';
import { join } from 'node:path';
import { Preprocessing } from '../../../functions/core';

export type ReferenceCase =
  { label: string; kind: 'random'; seed: number } | { label: string; kind: 'image'; file: string };

export const REFERENCE_DIR = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'reference');

/** mulberry32: tiny, seedable and identical on every platform. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Raw pixels (0..255) in NHWC with batch 1. */
export async function casePixels(c: ReferenceCase, pre: Preprocessing): Promise<Float32Array> {
  const channels = pre.color === 'gray' ? 1 : 3;
  const count = pre.width * pre.height * channels;
  if (c.kind === 'random') {
    const next = prng(c.seed);
    return Float32Array.from({ length: count }, () => next() * 255);
  }
  let img = sharp(join(REFERENCE_DIR, c.file));
  // libvips may hand back a grey PNG as three equal channels; keep one.
  if (channels === 1) img = img.extractChannel(0);
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== pre.width || info.height !== pre.height || info.channels !== channels) {
    throw new Error(
      `${c.file} is ${info.width}x${info.height}x${info.channels}, expected ${pre.width}x${pre.height}x${channels}`,
    );
  }
  return Float32Array.from(data);
}

export function normalizeNhwc(pixels: Float32Array, pre: Preprocessing): Float32Array {
  const channels = pre.mean.length;
  return pixels.map((v, i) => (v - pre.mean[i % channels]) * pre.scale);
}

export function nhwcToNchw(
  data: Float32Array,
  height: number,
  width: number,
  channels: number,
): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++)
        out[(c * height + y) * width + x] = data[(y * width + x) * channels + c];
  return out;
}

export interface ReferenceOutput {
  shape: number[];
  /** Little-endian float32, base64. */
  data: string;
}

export interface ReferenceFile {
  model: string;
  generatedWith: string;
  note: string;
  cases: (ReferenceCase & { outputs: Record<string, ReferenceOutput> })[];
}

export const encodeFloats = (values: Float32Array): string =>
  Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');

export function decodeFloats(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}
