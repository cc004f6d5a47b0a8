/**
 * The same job done the way a Node developer would do it today without memegen: face-api
 * (@vladmandic/face-api, SSD MobileNet v1 detector, its expression net) on TensorFlow.js
 * with the WASM backend, in this process, on the same decoded pixels.
 * (@tensorflow/tfjs-node, the native backend, cannot install offline: its install script
 * downloads libtensorflow. The WASM backend is what installs from npm alone.)
 */
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { decodeImage } from '../functions/core';
import { BenchPhoto } from './photos';
import { Figure, Samples } from './stats';

export interface BaselineResult {
  photo: string;
  faces: number;
  /** decode (sharp, full size, as face-api needs pixels) + detect + expressions, ms */
  detectAndClassify: Figure;
}

interface FaceApi {
  nets: Record<string, { loadFromDisk(dir: string): Promise<void> }>;
  SsdMobilenetv1Options: new (options: { minConfidence: number }) => unknown;
  detectAllFaces(input: tf.Tensor3D, options: unknown): { withFaceExpressions(): Promise<unknown[]> };
}

export async function startBaseline(): Promise<{
  describe: string;
  run(photo: BenchPhoto): Promise<number>;
}> {
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
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
  return {
    describe: `@vladmandic/face-api SSD MobileNet v1 + expression net on @tensorflow/tfjs ${tf.version.tfjs} ${tf.getBackend()} backend (1 thread)`,
    async run(photo) {
      const image = await decodeImage(photo.bytes, { maxLongSide: 0 });
      const tensor = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
      try {
        const faces = await faceapi.detectAllFaces(tensor, options).withFaceExpressions();
        return faces.length;
      } finally {
        tensor.dispose();
      }
    },
  };
}

export async function benchBaseline(
  photos: BenchPhoto[],
  runs: number,
): Promise<{ describe: string; results: BaselineResult[] }> {
  const baseline = await startBaseline();
  const results: BaselineResult[] = [];
  for (const photo of photos) {
    const samples = new Samples();
    let faces = await baseline.run(photo); // warm-up: tfjs compiles kernels per shape
    for (let run = 0; run < runs; run++) {
      const start = performance.now();
      faces = await baseline.run(photo);
      samples.add('total', performance.now() - start);
    }
    results.push({ photo: photo.name, faces, detectAndClassify: samples.figures().total! });
  }
  return { describe: baseline.describe, results };
}
