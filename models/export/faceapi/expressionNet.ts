/**
 * face-api's FaceExpressionNet rebuilt as an ONNX graph from its weights-only manifest.
 *
 * face-api ships no graph, only named weights; the topology below follows its
 * FaceFeatureExtractor (four 4-conv dense blocks of depthwise-separable convs, each
 * block halving the resolution), a 7×7/2 VALID average pool, a fully connected
 * layer and the softmax that `predictExpressions` applies.
 */
import { attr, ElemType, GraphBuilder } from '../onnx/graph';
import { add, applyActivation, conv2d, depthwiseConv2d, Feature, pool } from '../onnx/tfLayers';
import { requireWeight as weight, WeightMap } from '../tfjs/weights';

export const FACEAPI_EXPRESSION_INPUT = 112;
export const FACEAPI_EXPRESSION_LABELS = [
  'neutral',
  'happy',
  'sad',
  'angry',
  'fearful',
  'disgusted',
  'surprised',
];

function separableConv(
  g: GraphBuilder,
  weights: WeightMap,
  x: Feature,
  prefix: string,
  stride: number,
): Feature {
  const depthwise = depthwiseConv2d(g, x, weight(weights, `${prefix}/depthwise_filter`), {
    strides: [stride, stride],
    padding: 'SAME',
  });
  return conv2d(g, depthwise, weight(weights, `${prefix}/pointwise_filter`), {
    strides: [1, 1],
    padding: 'VALID',
    bias: weight(weights, `${prefix}/bias`).data,
  });
}

const relu = (g: GraphBuilder, x: Feature): Feature => ({ ...x, name: applyActivation(g, x.name, 'Relu') });

function denseBlock4(
  g: GraphBuilder,
  weights: WeightMap,
  x: Feature,
  block: string,
  isFirst: boolean,
): Feature {
  const conv0 = isFirst
    ? conv2d(g, x, weight(weights, `${block}/conv0/filters`), {
        strides: [2, 2],
        padding: 'SAME',
        bias: weight(weights, `${block}/conv0/bias`).data,
      })
    : separableConv(g, weights, x, `${block}/conv0`, 2);
  const out1 = relu(g, conv0);
  const out2 = separableConv(g, weights, out1, `${block}/conv1`, 1);
  const sum2 = add(g, out1, out2);
  const out3 = separableConv(g, weights, relu(g, sum2), `${block}/conv2`, 1);
  const sum3 = add(g, sum2, out3);
  const out4 = separableConv(g, weights, relu(g, sum3), `${block}/conv3`, 1);
  return relu(g, add(g, sum3, out4));
}

/**
 * Input: `face` [batch, 3, 112, 112], RGB with face-api's per-channel mean
 * subtracted and divided by 255. Output: `probabilities` [batch, 7] in
 * {@link FACEAPI_EXPRESSION_LABELS} order.
 */
export function buildExpressionNet(weights: WeightMap): GraphBuilder {
  const g = new GraphBuilder('faceapi_expression');
  const size = FACEAPI_EXPRESSION_INPUT;
  const input = g.addInput('face', ElemType.FLOAT, ['batch', 3, size, size]);
  let x: Feature = { name: input, batch: -1, channels: 3, height: size, width: size };
  for (const [i, block] of ['dense0', 'dense1', 'dense2', 'dense3'].entries()) {
    x = denseBlock4(g, weights, x, block, i === 0);
  }
  x = pool(g, x, 'AveragePool', [7, 7], [2, 2], 'VALID');
  const flat = g.op('Flatten', [x.name], { axis: attr.int(1) });
  const fcWeights = weight(weights, 'fc/weights');
  const fcBias = weight(weights, 'fc/bias');
  const logits = g.op('Gemm', [
    flat,
    g.constant('fc_weights', fcWeights.shape, Float32Array.from(fcWeights.data)),
    g.constant('fc_bias', fcBias.shape, Float32Array.from(fcBias.data)),
  ]);
  g.op('Softmax', [logits], { axis: attr.int(-1) }, 'probabilities');
  g.addOutput('probabilities', ElemType.FLOAT, ['batch', FACEAPI_EXPRESSION_LABELS.length]);
  return g;
}
