/**
 * face-api's SSD MobileNet v1 face detector rebuilt as an ONNX graph from its
 * weights-only manifest.
 *
 * The topology and arithmetic follow face-api's src/ssdMobilenetv1 line for line:
 * - mobileNetV1.ts: a 3×3/2 conv, then 13 depthwise-separable pairs. The depthwise
 *   half keeps an unfolded tf.batchNorm (epsilon 0.001) before ReLU6; the pointwise
 *   half has its batch norm already folded into the kernel and a per-channel
 *   `convolution_bn_offset` added after the conv, then ReLU6 (clipByValue(0, 6)).
 * - predictionLayer.ts: eight more "pointwise" layers (alternately 1×1/1 and 3×3/2),
 *   and six box predictors on conv11, the backbone output and conv_1/3/5/7.
 * - boxPredictionLayer.ts: 1×1 convs with bias, reshaped in NHWC order to 4 box
 *   values and 3 class logits per anchor (3 anchors per cell on the first map, 6 on
 *   the others: 32²·3 + 16²·6 + 8²·6 + 4²·6 + 2²·6 + 1²·6 = 5118).
 * - outputLayer.ts: box decoding against the anchors stored as `Output/extra_dim`,
 *   and the sigmoid of class logit 1 as the face score.
 *
 * The decoding is a handful of element-wise ops, so it lives in the graph: the
 * outputs are exactly what face-api's `forwardInput` returns, and the runtime needs
 * no anchor table of its own.
 */
import { attr, ElemType, GraphBuilder } from '../onnx/graph';
import { activate, batchNorm, conv2d, depthwiseConv2d, Feature, toNhwc } from '../onnx/tfLayers';
import { requireWeight as weight, WeightMap } from '../tfjs/weights';

export const SSD_MOBILENETV1_INPUT = 512;
export const SSD_MOBILENETV1_ANCHORS = 5118;

/** Anchors per feature-map cell of each box predictor, in predictor order. */
const ANCHORS_PER_CELL = [3, 6, 6, 6, 6, 6];

/** mobileNetV1.ts's constant: float32(0.001), as the original TF graph stored it. */
const BN_EPSILON = 0.0010000000474974513;

/** pointwiseConvLayer.ts: conv2d 'same' + convolution_bn_offset, then clipByValue(0, 6). */
function pointwiseConvLayer(
  g: GraphBuilder,
  weights: WeightMap,
  x: Feature,
  prefix: string,
  stride: number,
): Feature {
  const y = conv2d(g, x, weight(weights, `${prefix}/weights`), {
    strides: [stride, stride],
    padding: 'SAME',
    bias: weight(weights, `${prefix}/convolution_bn_offset`).data,
  });
  return activate(g, y, 'Relu6');
}

/** mobileNetV1.ts depthwiseConvLayer: depthwiseConv2d 'same', batchNorm, clipByValue(0, 6). */
function depthwiseConvLayer(
  g: GraphBuilder,
  weights: WeightMap,
  x: Feature,
  prefix: string,
  stride: number,
): Feature {
  const y = depthwiseConv2d(g, x, weight(weights, `${prefix}/depthwise_weights`), {
    strides: [stride, stride],
    padding: 'SAME',
  });
  const bn = batchNorm(
    g,
    y,
    {
      mean: weight(weights, `${prefix}/BatchNorm/moving_mean`).data,
      variance: weight(weights, `${prefix}/BatchNorm/moving_variance`).data,
      offset: weight(weights, `${prefix}/BatchNorm/beta`).data,
      scale: weight(weights, `${prefix}/BatchNorm/gamma`).data,
    },
    BN_EPSILON,
  );
  return activate(g, bn, 'Relu6');
}

/** mobileNetV1.ts: returns the backbone output and conv11, which feeds the first box predictor. */
function mobileNetV1(g: GraphBuilder, weights: WeightMap, input: Feature): { out: Feature; conv11: Feature } {
  let out = pointwiseConvLayer(g, weights, input, 'MobilenetV1/Conv2d_0_pointwise', 2);
  let conv11: Feature | undefined;
  for (let layer = 1; layer <= 13; layer++) {
    const stride = [2, 4, 6, 12].includes(layer) ? 2 : 1;
    out = depthwiseConvLayer(g, weights, out, `MobilenetV1/Conv2d_${layer}_depthwise`, stride);
    out = pointwiseConvLayer(g, weights, out, `MobilenetV1/Conv2d_${layer}_pointwise`, 1);
    if (layer === 11) conv11 = out;
  }
  if (!conv11) throw new Error('ssd-mobilenetv1: backbone has no conv11');
  return { out, conv11 };
}

/**
 * boxPredictionLayer.ts: 1×1 convs with bias (common/convLayer, no activation),
 * flattened in TF's NHWC order so anchor index = (y·W + x)·anchorsPerCell + k.
 */
function boxPredictionLayer(
  g: GraphBuilder,
  weights: WeightMap,
  x: Feature,
  index: number,
): { boxes: string; classes: string } {
  const head = (kind: string, valuesPerAnchor: number) => {
    const prefix = `Prediction/BoxPredictor_${index}/${kind}`;
    const kernel = weight(weights, `${prefix}/weights`);
    if (kernel.shape[3] !== valuesPerAnchor * ANCHORS_PER_CELL[index]) {
      throw new Error(`ssd-mobilenetv1: ${prefix} has ${kernel.shape[3]} outputs per cell`);
    }
    const y = conv2d(g, x, kernel, {
      strides: [1, 1],
      padding: 'SAME',
      bias: weight(weights, `${prefix}/biases`).data,
    });
    return g.op('Reshape', [toNhwc(g, y), g.int64s('anchor_shape', [0, -1, valuesPerAnchor])]);
  };
  return { boxes: head('BoxEncodingPredictor', 4), classes: head('ClassPredictor', 3) };
}

/** predictionLayer.ts: extra feature maps, then all six predictors concatenated along the anchor axis. */
function predictionLayer(
  g: GraphBuilder,
  weights: WeightMap,
  x: Feature,
  conv11: Feature,
): { boxes: string; classes: string } {
  const convs: Feature[] = [];
  let prev = x;
  for (let i = 0; i < 8; i++) {
    prev = pointwiseConvLayer(g, weights, prev, `Prediction/Conv2d_${i}_pointwise`, i % 2 === 1 ? 2 : 1);
    convs.push(prev);
  }
  const sources = [conv11, x, convs[1], convs[3], convs[5], convs[7]];
  const predictions = sources.map((source, i) => boxPredictionLayer(g, weights, source, i));
  const anchors = sources.reduce((n, f, i) => n + f.height * f.width * ANCHORS_PER_CELL[i], 0);
  if (anchors !== SSD_MOBILENETV1_ANCHORS)
    throw new Error(`ssd-mobilenetv1: ${anchors} anchors, expected ${SSD_MOBILENETV1_ANCHORS}`);
  return {
    boxes: g.op(
      'Concat',
      predictions.map((p) => p.boxes),
      { axis: attr.int(1) },
    ),
    classes: g.op(
      'Concat',
      predictions.map((p) => p.classes),
      { axis: attr.int(1) },
    ),
  };
}

/**
 * outputLayer.ts's anchor geometry, [1, anchors, 2] each: sizes (h, w) = max − min
 * and centres = min + size / 2. face-api computes these per call in float32; doing
 * it once here with the same float32 rounding gives the identical constants.
 */
function anchorGeometry(extraDim: Float32Array | Int32Array): { sizes: Float32Array; centers: Float32Array } {
  const n = extraDim.length / 4;
  const sizes = new Float32Array(n * 2);
  const centers = new Float32Array(n * 2);
  for (let a = 0; a < n; a++) {
    for (let axis = 0; axis < 2; axis++) {
      const lo = extraDim[a * 4 + axis];
      const hi = extraDim[a * 4 + 2 + axis];
      const size = Math.fround(hi - lo);
      sizes[a * 2 + axis] = size;
      centers[a * 2 + axis] = Math.fround(lo + Math.fround(size / 2));
    }
  }
  return { sizes, centers };
}

/**
 * outputLayer.ts decodeBoxesLayer, vectorised over (y, x):
 *   centre = (t_yx / 10) · size + anchorCentre,  half = exp(t_hw / 5) · size / 2,
 *   box = [centre − half, centre + half] = [ymin, xmin, ymax, xmax], normalised to the input.
 */
function decodeBoxes(g: GraphBuilder, encodings: string, extraDim: Float32Array | Int32Array): string {
  const { sizes, centers } = anchorGeometry(extraDim);
  const n = sizes.length / 2;
  const sizeT = g.constant('anchor_sizes', [1, n, 2], sizes);
  const centerT = g.constant('anchor_centers', [1, n, 2], centers);
  const scalar = (prefix: string, v: number) => g.constant(prefix, [], Float32Array.of(v));
  const slice = (from: number) =>
    g.op('Slice', [
      encodings,
      g.int64s('starts', [from]),
      g.int64s('ends', [from + 2]),
      g.int64s('axes', [2]),
    ]);
  const tYx = slice(0);
  const tHw = slice(2);
  const center = g.op('Add', [g.op('Mul', [g.op('Div', [tYx, scalar('ten', 10)]), sizeT]), centerT]);
  const half = g.op('Div', [
    g.op('Mul', [g.op('Exp', [g.op('Div', [tHw, scalar('five', 5)])]), sizeT]),
    scalar('two', 2),
  ]);
  return g.op(
    'Concat',
    [g.op('Sub', [center, half]), g.op('Add', [center, half])],
    { axis: attr.int(2) },
    'boxes',
  );
}

/**
 * Input: `image` [batch, 3, 512, 512], RGB as x / 127.5 − 1 (what forwardInput does).
 * Outputs, per anchor: `boxes` [batch, 5118, 4] as normalised [ymin, xmin, ymax, xmax]
 * and `scores` [batch, 5118], the face probability.
 */
export function buildSsdMobilenetv1(weights: WeightMap): GraphBuilder {
  const g = new GraphBuilder('faceapi_ssd_mobilenetv1');
  const size = SSD_MOBILENETV1_INPUT;
  const input = g.addInput('image', ElemType.FLOAT, ['batch', 3, size, size]);
  const x: Feature = { name: input, batch: -1, channels: 3, height: size, width: size };
  const features = mobileNetV1(g, weights, x);
  const { boxes, classes } = predictionLayer(g, weights, features.out, features.conv11);

  const extraDim = weight(weights, 'Output/extra_dim');
  if (extraDim.shape.join('x') !== `1x${SSD_MOBILENETV1_ANCHORS}x4`) {
    throw new Error(`ssd-mobilenetv1: Output/extra_dim is ${extraDim.shape.join('x')}`);
  }
  decodeBoxes(g, boxes, extraDim.data);
  g.addOutput('boxes', ElemType.FLOAT, ['batch', SSD_MOBILENETV1_ANCHORS, 4]);

  // Class 0 is background; face-api takes sigmoid(logit 1) as the face score.
  const faceLogit = g.op('Slice', [
    classes,
    g.int64s('starts', [1]),
    g.int64s('ends', [2]),
    g.int64s('axes', [2]),
  ]);
  g.op('Reshape', [g.op('Sigmoid', [faceLogit]), g.int64s('scores_shape', [0, -1])], {}, 'scores');
  g.addOutput('scores', ElemType.FLOAT, ['batch', SSD_MOBILENETV1_ANCHORS]);
  return g;
}
