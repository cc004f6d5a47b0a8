/**
 * One expression classifier: batches face frames through its ONNX session with its
 * own preprocessing, and returns probabilities in the canonical EMOTIONS order.
 */
import * as ort from 'onnxruntime-node';
import { EMOTIONS } from '../emotions';
import { RgbImage } from '../image';
import { ModelEntry } from '../manifest';
import { loadSession, SessionOptions } from '../sessions';
import { inputSize, writeInput } from '../tensor';
import { FaceFrame, mirrored, resampleSquare, warpFrame } from './crop';

export interface FrameInput {
  image: RgbImage;
  frame: FaceFrame;
}

export class ExpressionModel {
  /** outputIndex[k] = index in the model's output of EMOTIONS[k]. */
  private readonly outputIndex: number[];

  private constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
  ) {
    const classes = entry.classes;
    if (!classes || classes.length !== EMOTIONS.length)
      throw new Error(`${entry.id}: manifest lacks its 7 classes`);
    this.outputIndex = EMOTIONS.map((e) => {
      const i = classes.indexOf(e);
      if (i < 0) throw new Error(`${entry.id}: no output for "${e}"`);
      return i;
    });
  }

  get id(): string {
    return this.entry.id;
  }

  /** The model's square input side, in pixels. */
  get size(): number {
    return this.entry.preprocessing.width;
  }

  static async load(entry: ModelEntry, options?: SessionOptions): Promise<ExpressionModel> {
    return new ExpressionModel(entry, await loadSession(entry, options));
  }

  /** Probabilities per input (EMOTIONS order); `flip` mirrors every crop first. */
  predict(inputs: FrameInput[], flip = false): Promise<Float32Array[]> {
    const size = this.entry.preprocessing.width;
    return this.run(inputs.map((input) => warpFrame(input.image, input.frame, size, flip)));
  }

  /** Mean of the plain and mirrored predictions (test-time augmentation), in one batch. */
  async predictWithFlip(inputs: FrameInput[]): Promise<Float32Array[]> {
    const size = this.entry.preprocessing.width;
    const crops = inputs.map((input) => warpFrame(input.image, input.frame, size));
    const both = await this.run([...crops, ...crops.map((crop) => mirrored(crop, size))]);
    return inputs.map((_, i) => both[i].map((v, k) => (v + both[inputs.length + i][k]) / 2));
  }

  /**
   * Probabilities for ready-cut square RGB crops of side `side` (resampled to the model's
   * input when it differs), all in one session run; with `flip`, the mean of each crop and
   * its mirror image, which go through the model in the same run.
   */
  async predictCrops(crops: Uint8Array[], side: number, flip: boolean): Promise<Float32Array[]> {
    const size = this.size;
    const own = side === size ? crops : crops.map((crop) => resampleSquare(crop, side, size));
    if (!flip) return this.run(own);
    const both = await this.run([...own, ...own.map((crop) => mirrored(crop, size))]);
    return own.map((_, i) => both[i].map((v, k) => (v + both[own.length + i][k]) / 2));
  }

  private async run(crops: Uint8Array[]): Promise<Float32Array[]> {
    if (crops.length === 0) return [];
    const pre = this.entry.preprocessing;
    const per = inputSize(pre);
    const batch = new Float32Array(per * crops.length);
    crops.forEach((crop, i) => writeInput(crop, pre, batch, i * per));
    const channels = pre.color === 'gray' ? 1 : 3;
    const feeds = {
      [this.entry.input.name]: new ort.Tensor('float32', batch, [
        crops.length,
        channels,
        pre.height,
        pre.width,
      ]),
    };
    const output = (await this.session.run(feeds))[this.entry.outputs[0].name].data as Float32Array;
    const classes = this.outputIndex.length;
    return crops.map((_, i) => Float32Array.from(this.outputIndex, (j) => output[i * classes + j]));
  }
}
