/**
 * The same job done the way a Node developer would do it today without memegen: face-api
 * (@vladmandic/face-api, SSD MobileNet v1 detector, its expression net) on TensorFlow.js
 * with the WASM backend, in this process, on the same decoded pixels.
 * (@tensorflow/tfjs-node, the native backend, cannot install offline: its install script
 * downloads libtensorflow. The WASM backend is what installs from npm alone.)
 */
import * as tf from '@tensorflow/tfjs';
import { decodeImage } from '../functions/core';
import { loadFaceApi } from '../models/eval/faceapi';
import { BenchPhoto } from './photos';
import { Figure, Samples } from './stats';

export interface BaselineResult {
  photo: string;
  faces: number;
  /** decode (sharp, full size, as face-api needs pixels) + detect + expressions, ms */
  detectAndClassify: Figure;
}

export async function startBaseline(): Promise<{
  describe: string;
  run(photo: BenchPhoto): Promise<number>;
}> {
  const { faceapi, options } = await loadFaceApi();
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
