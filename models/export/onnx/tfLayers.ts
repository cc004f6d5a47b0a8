/**
 * TensorFlow-semantics layers emitted as ONNX nodes in NCHW layout.
 *
 * Both exporters (the generic TF.js graph converter and the hand-built face-api
 * nets) go through these helpers, so kernel re-ordering and TF "SAME" padding are
 * written once. Spatial shapes are tracked statically because TF "SAME" depends on
 * the input size and we emit explicit pads rather than auto_pad.
 */
import { attr, GraphBuilder } from './graph';

export type Padding = 'SAME' | 'VALID' | { explicit: [number, number, number, number] };

/** A 4-D activation held in NCHW; `batch` is -1 when dynamic. */
export interface Feature {
  name: string;
  batch: number;
  channels: number;
  height: number;
  width: number;
}

export interface Kernel {
  /** Row-major data in TF order (HWIO for conv, HW C M for depthwise). */
  data: Float32Array | Int32Array;
  shape: number[];
}

/** Output size and [top, left, bottom, right] pads for one TF padding mode. */
export function resolvePadding(
  padding: Padding,
  inHeight: number,
  inWidth: number,
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number] = [1, 1],
): { pads: [number, number, number, number]; outHeight: number; outWidth: number } {
  const effH = (kernel[0] - 1) * dilations[0] + 1;
  const effW = (kernel[1] - 1) * dilations[1] + 1;
  if (padding === 'SAME') {
    const outHeight = Math.ceil(inHeight / strides[0]);
    const outWidth = Math.ceil(inWidth / strides[1]);
    const padH = Math.max((outHeight - 1) * strides[0] + effH - inHeight, 0);
    const padW = Math.max((outWidth - 1) * strides[1] + effW - inWidth, 0);
    // TF puts the odd pixel at the bottom/right.
    const top = Math.floor(padH / 2);
    const left = Math.floor(padW / 2);
    return { pads: [top, left, padH - top, padW - left], outHeight, outWidth };
  }
  const [top, left, bottom, right] = padding === 'VALID' ? [0, 0, 0, 0] : padding.explicit;
  return {
    pads: [top, left, bottom, right],
    outHeight: Math.floor((inHeight + top + bottom - effH) / strides[0]) + 1,
    outWidth: Math.floor((inWidth + left + right - effW) / strides[1]) + 1,
  };
}

/** ONNX wants [top, left, bottom, right] as [x1_begin, x2_begin, x1_end, x2_end]. */
function onnxPads(p: [number, number, number, number]): number[] {
  return [p[0], p[1], p[2], p[3]];
}

/** HWIO → OIHW. */
export function hwioToOihw(k: Kernel): Float32Array {
  const [h, w, i, o] = k.shape;
  const out = new Float32Array(k.data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < i; c++)
        for (let f = 0; f < o; f++)
          out[((f * i + c) * h + y) * w + x] = k.data[((y * w + x) * i + c) * o + f];
  return out;
}

/** Depthwise [H, W, C, M] → grouped-conv weights [C*M, 1, H, W]; TF orders outputs c*M + m. */
export function depthwiseToGrouped(k: Kernel): Float32Array {
  const [h, w, c, m] = k.shape;
  const out = new Float32Array(k.data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++)
        for (let j = 0; j < m; j++)
          out[((ch * m + j) * h + y) * w + x] = k.data[((y * w + x) * c + ch) * m + j];
  return out;
}

interface ConvOptions {
  strides: [number, number];
  padding: Padding;
  dilations?: [number, number];
  bias?: Float32Array | Int32Array;
}

function emitConv(
  g: GraphBuilder,
  x: Feature,
  weights: Float32Array,
  weightDims: number[],
  outChannels: number,
  group: number,
  opts: ConvOptions,
): Feature {
  const kernel: [number, number] = [weightDims[2], weightDims[3]];
  const dilations = opts.dilations ?? [1, 1];
  const { pads, outHeight, outWidth } = resolvePadding(
    opts.padding,
    x.height,
    x.width,
    kernel,
    opts.strides,
    dilations,
  );
  const inputs = [x.name, g.constant('W', weightDims, weights)];
  if (opts.bias) inputs.push(g.constant('B', [outChannels], Float32Array.from(opts.bias)));
  const name = g.op('Conv', inputs, {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(opts.strides),
    dilations: attr.ints(dilations),
    pads: attr.ints(onnxPads(pads)),
    group: attr.int(group),
  });
  return { name, batch: x.batch, channels: outChannels, height: outHeight, width: outWidth };
}

export function conv2d(g: GraphBuilder, x: Feature, kernel: Kernel, opts: ConvOptions): Feature {
  const [h, w, i, o] = kernel.shape;
  if (i !== x.channels) throw new Error(`conv2d: kernel expects ${i} channels, input has ${x.channels}`);
  return emitConv(g, x, hwioToOihw(kernel), [o, i, h, w], o, 1, opts);
}

export function depthwiseConv2d(g: GraphBuilder, x: Feature, kernel: Kernel, opts: ConvOptions): Feature {
  const [h, w, c, m] = kernel.shape;
  if (c !== x.channels) throw new Error(`depthwise: kernel expects ${c} channels, input has ${x.channels}`);
  return emitConv(g, x, depthwiseToGrouped(kernel), [c * m, 1, h, w], c * m, c, opts);
}

export type Activation =
  'Relu' | 'Relu6' | 'Sigmoid' | 'Tanh' | 'Elu' | { leakyRelu: number } | { prelu: Float32Array };

/** Applies an activation to any tensor; PReLU slopes are per channel of an NCHW tensor. */
export function applyActivation(g: GraphBuilder, input: string, activation: Activation): string {
  if (activation === 'Relu6') {
    const lo = g.constant('zero', [], Float32Array.of(0));
    const hi = g.constant('six', [], Float32Array.of(6));
    return g.op('Clip', [input, lo, hi]);
  }
  if (typeof activation === 'string') return g.op(activation, [input]);
  if ('leakyRelu' in activation)
    return g.op('LeakyRelu', [input], { alpha: attr.float(activation.leakyRelu) });
  return g.op('PRelu', [input, channelConstant(g, 'prelu_slope', activation.prelu)]);
}

export function activate(g: GraphBuilder, x: Feature, activation: Activation): Feature {
  return { ...x, name: applyActivation(g, x.name, activation) };
}

export function pool(
  g: GraphBuilder,
  x: Feature,
  kind: 'MaxPool' | 'AveragePool',
  kernel: [number, number],
  strides: [number, number],
  padding: Padding,
): Feature {
  const { pads, outHeight, outWidth } = resolvePadding(padding, x.height, x.width, kernel, strides);
  // TF average pooling never counts padded cells; ONNX's default (count_include_pad=0) agrees.
  const name = g.op(kind, [x.name], {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(strides),
    pads: attr.ints(onnxPads(pads)),
  });
  return { ...x, name, height: outHeight, width: outWidth };
}

export function add(g: GraphBuilder, a: Feature, b: Feature): Feature {
  return { ...a, name: g.op('Add', [a.name, b.name]) };
}

/** A per-channel vector as a broadcastable [C, 1, 1] initializer. */
export function channelConstant(g: GraphBuilder, prefix: string, values: Float32Array | Int32Array): string {
  return g.constant(prefix, [values.length, 1, 1], Float32Array.from(values));
}

/** NCHW → NHWC, for ops whose semantics depend on TF's element order (Reshape, Flatten). */
export function toNhwc(g: GraphBuilder, x: Feature): string {
  return g.op('Transpose', [x.name], { perm: attr.ints([0, 2, 3, 1]) });
}

export interface BatchNormParams {
  mean: Float32Array | Int32Array;
  variance: Float32Array | Int32Array;
  /** beta; TF's batchNorm treats a missing offset as 0. */
  offset: Float32Array | Int32Array;
  /** gamma; TF's batchNorm treats a missing scale as 1. */
  scale: Float32Array | Int32Array;
}

/**
 * tf.batchNorm over the channel axis: offset + (x - mean) * scale / sqrt(variance + epsilon).
 * Emitted as ONNX BatchNormalization (same formula) rather than pre-folded into a
 * multiply-add, so the graph states the source arithmetic and onnxruntime decides
 * whether to fuse it into the preceding Conv.
 */
export function batchNorm(g: GraphBuilder, x: Feature, p: BatchNormParams, epsilon: number): Feature {
  const vector = (prefix: string, v: Float32Array | Int32Array) => {
    if (v.length !== x.channels)
      throw new Error(`batchNorm: ${prefix} has ${v.length} values for ${x.channels} channels`);
    return g.constant(prefix, [v.length], Float32Array.from(v));
  };
  const name = g.op(
    'BatchNormalization',
    [
      x.name,
      vector('bn_scale', p.scale),
      vector('bn_offset', p.offset),
      vector('bn_mean', p.mean),
      vector('bn_variance', p.variance),
    ],
    { epsilon: attr.float(epsilon) },
  );
  return { ...x, name };
}
