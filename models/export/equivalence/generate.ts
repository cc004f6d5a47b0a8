/**
 * `npm run models:reference`: computes reference outputs with the original TF.js
 * models (graph models through @tensorflow/tfjs, face-api's nets through face-api
 * itself, both on tfjs' CPU backend) and stores them as small fixtures. Run once
 * per source-package upgrade; the equivalence test compares our ONNX exports to them.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp, { Region } from 'sharp';
import { Preprocessing } from '../../../functions/core';
import { sourcePath } from '../build';
import { EXPORTS, ExportSpec } from '../registry';
import { GraphModelJson } from '../tfjs/graphModel';
import { WeightGroup } from '../tfjs/weights';
import {
  casePixels,
  encodeFloats,
  normalizeNhwc,
  REFERENCE_DIR,
  ReferenceCase,
  ReferenceFile,
  ReferenceOutput,
} from './inputs';

const PHOTOS = join(__dirname, '..', '..', '..', 'test', 'photos');

/** Writes the model-sized PNG for an image case: letterboxed photos for detectors, face crops otherwise. */
async function writeImageCase(spec: ExportSpec, photo: string, crop?: Region): Promise<ReferenceCase> {
  const pre = spec.preprocessing;
  const file = `${spec.id}-${photo.replace(/\.\w+$/, '')}.png`;
  let img = sharp(join(PHOTOS, photo)).removeAlpha();
  if (crop) img = img.extract(crop);
  img = img.resize(pre.width, pre.height, { fit: 'contain', background: { r: 0, g: 0, b: 0 } });
  if (pre.color === 'gray') img = img.grayscale().toColourspace('b-w');
  await img.png().toFile(join(REFERENCE_DIR, file));
  return { label: `photo ${photo}`, kind: 'image', file };
}

async function casesFor(spec: ExportSpec): Promise<ReferenceCase[]> {
  const face = { left: 150, top: 40, width: 150, height: 150 };
  const images =
    spec.task === 'face-detection'
      ? [
          await writeImageCase(spec, 'skimage_astronaut.png'),
          await writeImageCase(spec, 'faceapi_sample1.jpg'),
        ]
      : [
          await writeImageCase(spec, 'skimage_astronaut.png', face),
          await writeImageCase(spec, 'matplotlib_grace_hopper.jpg', {
            left: 150,
            top: 70,
            width: 230,
            height: 230,
          }),
        ];
  return [
    ...images,
    { label: 'random pixels, seed 1', kind: 'random', seed: 1 },
    { label: 'random pixels, seed 2', kind: 'random', seed: 2 },
  ];
}

function inputTensor(pixels: Float32Array, pre: Preprocessing, normalize: boolean): tf.Tensor4D {
  const channels = pre.color === 'gray' ? 1 : 3;
  return tf.tensor4d(normalize ? normalizeNhwc(pixels, pre) : pixels, [1, pre.height, pre.width, channels]);
}

async function graphModelRunner(spec: ExportSpec) {
  const path = sourcePath(spec);
  const json = JSON.parse(readFileSync(path, 'utf8')) as GraphModelJson;
  const groups: WeightGroup[] = json.weightsManifest;
  const weightData = Buffer.concat(
    groups.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(path), p)))),
  );
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: groups.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
      weightData: weightData.buffer.slice(
        weightData.byteOffset,
        weightData.byteOffset + weightData.byteLength,
      ),
    }),
  );
  const tfNames = Object.keys(spec.outputNames);
  return (pixels: Float32Array): Record<string, tf.Tensor> => {
    const result = model.execute(
      inputTensor(pixels, spec.preprocessing, true),
      tfNames.map((n) => `${n}:0`),
    );
    const outs = Array.isArray(result) ? result : [result];
    return Object.fromEntries(tfNames.map((n, i) => [spec.outputNames[n], outs[i]]));
  };
}

type Runner = (pixels: Float32Array) => Promise<Record<string, tf.Tensor>>;

/** The little of face-api's node-wasm build that the reference runners call (it ships no usable types). */
interface FaceApi {
  nets: Record<string, { loadFromDisk(dir: string): Promise<void> }> & {
    faceExpressionNet: { forward(input: tf.Tensor4D): Promise<tf.Tensor> };
    ssdMobilenetv1: { forwardInput(input: unknown): { boxes: tf.Tensor[]; scores: tf.Tensor[] } };
  };
  toNetInput(input: tf.Tensor4D): Promise<unknown>;
}

/**
 * The face-api nets we export: which `faceapi.nets` member holds each, and the
 * lowest-level call whose tensors are what our graph outputs.
 */
const FACEAPI_REFERENCES: Record<
  string,
  { net: string; run: (faceapi: FaceApi, input: tf.Tensor4D) => Promise<Record<string, tf.Tensor>> }
> = {
  'faceapi-expression': {
    net: 'faceExpressionNet',
    run: async (faceapi, input) => ({ probabilities: await faceapi.nets.faceExpressionNet.forward(input) }),
  },
  'ssd-mobilenetv1': {
    net: 'ssdMobilenetv1',
    // forwardInput ends with outputLayer: per-image lists of decoded boxes [5118, 4]
    // (normalised ymin, xmin, ymax, xmax) and face scores [5118]; restack them to [1, ...].
    run: async (faceapi, input) => {
      const { boxes, scores } = faceapi.nets.ssdMobilenetv1.forwardInput(await faceapi.toNetInput(input));
      return { boxes: tf.stack(boxes), scores: tf.stack(scores) };
    },
  },
};

async function faceApiRunner(spec: ExportSpec): Promise<Runner> {
  const reference = FACEAPI_REFERENCES[spec.id];
  if (!reference) throw new Error(`${spec.id}: no face-api reference runner`);
  // face-api's node-wasm build takes tfjs from the host; we pin it to the CPU backend below.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  await faceapi.nets[reference.net].loadFromDisk(dirname(sourcePath(spec)));
  // face-api normalises internally, so it gets raw pixels.
  return (pixels) => reference.run(faceapi, inputTensor(pixels, spec.preprocessing, false));
}

/**
 * Outputs a case keeps in the fixture. SSD's decoded boxes are 5118 × 4 floats
 * (110 KB of base64 a case); on random pixels, which hold no face, they would add
 * 220 KB and no evidence the photos' boxes do not already give, so random cases keep
 * only the scores, which still run the whole backbone and class heads. The test
 * compares every stored value and requires every output on every photo case.
 */
function keepOutput(spec: ExportSpec, c: ReferenceCase, output: string): boolean {
  return !(spec.id === 'ssd-mobilenetv1' && c.kind === 'random' && output === 'boxes');
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  mkdirSync(REFERENCE_DIR, { recursive: true });
  for (const spec of EXPORTS) {
    const run =
      spec.source.format === 'tfjs-graph-model' ? await graphModelRunner(spec) : await faceApiRunner(spec);
    const cases: ReferenceFile['cases'] = [];
    for (const c of await casesFor(spec)) {
      const outputs: Record<string, ReferenceOutput> = {};
      for (const [name, t] of Object.entries(await run(await casePixels(c, spec.preprocessing)))) {
        if (keepOutput(spec, c, name))
          outputs[name] = { shape: t.shape, data: encodeFloats(t.dataSync() as Float32Array) };
      }
      cases.push({ ...c, outputs });
    }
    const file: ReferenceFile = {
      model: spec.id,
      generatedWith: `@tensorflow/tfjs@${tf.version.tfjs} cpu backend`,
      note: 'Inputs: see models/export/equivalence/inputs.ts; regenerate with `npm run models:reference`.',
      cases,
    };
    writeFileSync(join(REFERENCE_DIR, `${spec.id}.json`), `${JSON.stringify(file)}\n`);
    console.log(`${spec.id}: ${cases.length} reference cases`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
