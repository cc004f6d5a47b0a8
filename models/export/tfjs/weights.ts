/**
 * Reads TensorFlow.js weight manifests and shards (the format both graph models
 * and face-api's weights-only nets use) into plain typed arrays, undoing the
 * uint8/uint16 affine quantisation and float16 storage on the way.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

export interface WeightGroup {
  paths: string[];
  weights: WeightSpec[];
}

export interface NamedTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export type WeightMap = Map<string, NamedTensor>;

/** A named weight that the topology needs; a missing one means the manifest and the builder disagree. */
export function requireWeight(weights: WeightMap, name: string): NamedTensor {
  const t = weights.get(name);
  if (!t) throw new Error(`weights lack ${name}`);
  return t;
}

/** IEEE 754 half → single precision, including subnormals, infinities and NaN. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function decodeOne(spec: WeightSpec, bytes: Buffer, offset: number): { tensor: NamedTensor; size: number } {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.dtype === 'int32' ? 'int32' : 'float32';
  if (spec.dtype === 'bool') throw new Error(`weight ${spec.name}: bool tensors are not supported`);
  const out = dtype === 'int32' ? new Int32Array(count) : new Float32Array(count);
  const q = spec.quantization;
  let size: number;
  if (!q) {
    size = count * 4;
    for (let i = 0; i < count; i++) {
      out[i] = dtype === 'int32' ? bytes.readInt32LE(offset + i * 4) : bytes.readFloatLE(offset + i * 4);
    }
  } else if (q.dtype === 'float16') {
    size = count * 2;
    for (let i = 0; i < count; i++) out[i] = halfToFloat(bytes.readUInt16LE(offset + i * 2));
  } else {
    const width = q.dtype === 'uint8' ? 1 : 2;
    size = count * width;
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    for (let i = 0; i < count; i++) {
      const raw = width === 1 ? bytes[offset + i] : bytes.readUInt16LE(offset + i * 2);
      // Same arithmetic as tfjs-core's io.decodeWeights, in float32.
      const v = Math.fround(raw * scale + min);
      out[i] = dtype === 'int32' ? Math.round(v) : v;
    }
  }
  return { tensor: { shape: spec.shape, dtype, data: out }, size };
}

/** Decodes every weight of every group; shard paths are relative to `baseDir`. */
export function readWeights(groups: WeightGroup[], baseDir: string): WeightMap {
  const map: WeightMap = new Map();
  for (const group of groups) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(baseDir, p))));
    let offset = 0;
    for (const spec of group.weights) {
      const { tensor, size } = decodeOne(spec, bytes, offset);
      map.set(spec.name, tensor);
      offset += size;
    }
    if (offset !== bytes.length) {
      throw new Error(`weights ${group.paths.join(',')}: decoded ${offset} of ${bytes.length} bytes`);
    }
  }
  return map;
}

/** Loads a face-api style `*-weights_manifest.json` (a bare list of groups). */
export function readWeightsManifest(manifestPath: string): WeightMap {
  const groups = JSON.parse(readFileSync(manifestPath, 'utf8')) as WeightGroup[];
  return readWeights(groups, dirname(manifestPath));
}
