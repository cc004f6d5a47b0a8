/**
 * face-api (@vladmandic/face-api: SSD MobileNet v1 + its expression net, on TensorFlow.js
 * with the WASM backend, one thread) end to end on the protocol's padded pictures: the
 * largest face it finds, its expression; none found counts as wrong. This is what a Node
 * developer gets today without memegen, and the yardstick.
 */
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { canonicalEmotion, EMOTIONS } from '../../functions/core';
import { paddedPicture } from './padded';
import { ProtocolSet } from './protocol';

interface FaceApiResult {
  detection: { box: { width: number; height: number } };
  expressions: Record<string, number>;
}

export interface FaceApi {
  nets: Record<string, { loadFromDisk(dir: string): Promise<void> }>;
  SsdMobilenetv1Options: new (options: { minConfidence: number }) => unknown;
  detectAllFaces(input: tf.Tensor3D, options: unknown): { withFaceExpressions(): Promise<FaceApiResult[]> };
}

export const FACEAPI_MIN_CONFIDENCE = 0.5;

/**
 * face-api as a Node developer would set it up: TensorFlow.js on the WASM backend with one
 * thread (the native backend cannot install offline: its install script downloads
 * libtensorflow), its SSD MobileNet v1 detector and expression net loaded from the package.
 * The bench's side-by-side baseline and the accuracy protocol both use this one set-up.
 */
export async function loadFaceApi(): Promise<{ faceapi: FaceApi; options: unknown }> {
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(wasmDir + '/');
  setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  // face-api's node-wasm build uses the tfjs the host loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const models = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.ssdMobilenetv1!.loadFromDisk(models);
  await faceapi.nets.faceExpressionNet!.loadFromDisk(models);
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: FACEAPI_MIN_CONFIDENCE });
  return { faceapi, options };
}

export async function faceApiRunner(): Promise<{
  describe: string;
  /** Probabilities (EMOTIONS order) for the largest face of each padded picture; null: none found. */
  run(set: ProtocolSet, onProgress?: (done: number) => void): Promise<(Float32Array | null)[]>;
}> {
  const { faceapi, options } = await loadFaceApi();
  return {
    describe: `@vladmandic/face-api SSD MobileNet v1 (min confidence ${FACEAPI_MIN_CONFIDENCE}) + expression net, @tensorflow/tfjs ${tf.version.tfjs} ${tf.getBackend()}`,
    async run(set, onProgress) {
      const out: (Float32Array | null)[] = [];
      for (const item of set.items) {
        const picture = await paddedPicture(item.path, set.paddedSide);
        const tensor = tf.tensor3d(picture.data, [picture.height, picture.width, 3], 'int32');
        try {
          const faces = await faceapi.detectAllFaces(tensor, options).withFaceExpressions();
          const largest = faces.reduce<FaceApiResult | null>(
            (a, b) =>
              a &&
              a.detection.box.width * a.detection.box.height >= b.detection.box.width * b.detection.box.height
                ? a
                : b,
            null,
          );
          if (!largest) {
            out.push(null);
          } else {
            const probs = new Float32Array(EMOTIONS.length);
            for (const [label, p] of Object.entries(largest.expressions))
              probs[EMOTIONS.indexOf(canonicalEmotion(label))] = p;
            out.push(probs);
          }
        } finally {
          tensor.dispose();
        }
        if (onProgress && out.length % 250 === 0) onProgress(out.length);
      }
      return out;
    },
  };
}
