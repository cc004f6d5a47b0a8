/**
 * YuNet (Wu, Peng, Yu 2023): inference and decoding, written from the published graph's
 * contract (OpenCV's FaceDetectorYN is the reference decoder).
 *
 * The input is the view as it is, BGR 0..255, padded with black at the bottom and right
 * to multiples of 32. For each stride S of 8, 16 and 32 the graph gives, per cell of the
 * padded input's grid (row-major), a class and an objectness probability, a box and five
 * landmarks, all relative to the cell:
 *   score     = sqrt(clamp01(cls) · clamp01(obj))
 *   centre    = ((col + dx) · S, (row + dy) · S), size = (exp(dw) · S, exp(dh) · S)
 *   landmark  = ((col + kx) · S, (row + ky) · S)
 * Landmarks come as right eye, left eye (the person's), nose tip, right and left mouth corner.
 */
import * as ort from 'onnxruntime-node';
import { Point } from '../geometry';
import { ModelEntry, Preprocessing } from '../manifest';
import { loadSession, SessionOptions } from '../sessions';
import { RawDetection } from './nms';
import { View } from './views';

const STRIDES = [8, 16, 32] as const;
const LANDMARKS = 5;

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Rounds up to a multiple of `m` (at least one `m`: a 1-pixel view still makes a valid input). */
export const paddedTo = (length: number, m: number) => Math.max(m, Math.ceil(length / m) * m);

/**
 * Views of one size as YuNet's input: BGR planes, normalised (`(value - mean) · scale`),
 * padded with black at the bottom and right to multiples of `multiple`. Written into `kept`
 * when it is long enough (its old contents cleared), else into a new buffer; `buffer` is the
 * array to keep for the next call, `data` the part of it the input fills.
 */
export function yunetInput(
  views: View[],
  multiple: number,
  preprocessing: Pick<Preprocessing, 'mean' | 'scale'>,
  kept?: Float32Array,
): { data: Float32Array; buffer: Float32Array; dims: [number, number, number, number] } {
  const width = paddedTo(views[0]!.width, multiple);
  const height = paddedTo(views[0]!.height, multiple);
  const plane = width * height;
  const { mean, scale } = preprocessing;
  const length = views.length * 3 * plane;
  const reuse = kept !== undefined && kept.length >= length;
  const buffer = reuse ? kept : new Float32Array(length);
  const data = reuse ? kept.subarray(0, length).fill(0) : buffer;
  // Padding is black, as OpenCV pads (0 before normalisation).
  for (let c = 0; c < 3 * views.length; c++) {
    if (mean[c % 3] !== 0) data.fill(-mean[c % 3]! * scale, c * plane, (c + 1) * plane);
  }
  // Constants hoisted and one loop counter: this loop runs for every pixel of every picture.
  const [meanB, meanG, meanR] = mean as [number, number, number];
  views.forEach((view, n) => {
    if (view.width !== views[0]!.width || view.height !== views[0]!.height)
      throw new Error('views run together must have one size');
    const b = n * 3 * plane;
    const g = b + plane;
    const r = g + plane;
    const px = view.pixels;
    const rowLength = view.width;
    for (let y = 0; y < view.height; y++) {
      let from = y * rowLength * 3;
      const end = y * width + rowLength;
      for (let to = y * width; to < end; to++, from += 3) {
        data[b + to] = (px[from + 2]! - meanB) * scale;
        data[g + to] = (px[from + 1]! - meanG) * scale;
        data[r + to] = (px[from]! - meanR) * scale;
      }
    }
  });
  return { data, buffer, dims: [views.length, 3, height, width] };
}

export class YuNet {
  private readonly multiple: number;
  /**
   * The input buffer of the last run, kept for the next one (absent while a run uses it).
   * A new 3.4 MB array for every picture costs page faults on its first writes, about
   * 12 ms of a 13 ms input on this project's machines once other work has freed memory
   * in between; a kept one is filled in 1 ms.
   */
  private spare: Float32Array | undefined;

  private constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
  ) {
    this.multiple = entry.preprocessing.multipleOf ?? 32;
    const names = new Set(entry.outputs.map((o) => o.name));
    for (const stride of STRIDES)
      for (const head of ['cls', 'obj', 'bbox', 'kps'])
        if (!names.has(`${head}_${stride}`))
          throw new Error(`${entry.id}: manifest lacks output ${head}_${stride}`);
    if (entry.preprocessing.color !== 'bgr') throw new Error(`${entry.id}: YuNet takes BGR input`);
  }

  static async load(entry: ModelEntry, options?: SessionOptions): Promise<YuNet> {
    return new YuNet(entry, await loadSession(entry, options));
  }

  /** Views of one size as the graph's input tensor, written into the kept buffer when it is long enough. */
  private input(views: View[]): { tensor: ort.Tensor; buffer: Float32Array } {
    const kept = this.spare;
    this.spare = undefined;
    const { data, buffer, dims } = yunetInput(views, this.multiple, this.entry.preprocessing, kept);
    return { tensor: new ort.Tensor('float32', data, dims), buffer };
  }

  /**
   * Every cell scoring at least `minScore`, in picture pixels. Keypoints are returned in
   * the detector's common order: right eye, left eye, nose, mouth (midpoint of its corners).
   */
  async detect(view: View, minScore: number): Promise<RawDetection[]> {
    return (await this.detectBatch([view], minScore))[0]!;
  }

  /** {@link detect} for views of one size, in one session run. */
  async detectBatch(views: View[], minScore: number): Promise<RawDetection[][]> {
    if (views.length === 0) return [];
    const { tensor: input, buffer } = this.input(views);
    const [, , height, width] = input.dims;
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run({ [this.entry.input.name]: input });
    } finally {
      // Kept for the next run, unless a larger one came back first.
      if (!this.spare || this.spare.length < buffer.length) this.spare = buffer;
    }
    const found: RawDetection[][] = views.map(() => []);
    for (const stride of STRIDES) {
      const cls = out[`cls_${stride}`].data as Float32Array;
      const obj = out[`obj_${stride}`].data as Float32Array;
      const bbox = out[`bbox_${stride}`].data as Float32Array;
      const kps = out[`kps_${stride}`].data as Float32Array;
      const cols = width / stride;
      const cells = cols * (height / stride);
      if (cls.length !== cells * views.length)
        throw new Error(
          `${this.entry.id}: cls_${stride} has ${cls.length} cells, expected ${cells * views.length}`,
        );
      for (let n = 0; n < views.length; n++) {
        const view = views[n]!;
        for (let c = 0; c < cells; c++) {
          const i = n * cells + c;
          const score = Math.sqrt(clamp01(cls[i]!) * clamp01(obj[i]!));
          if (score < minScore) continue;
          const col = c % cols;
          const row = (c - col) / cols;
          const cx = (col + bbox[i * 4]!) * stride;
          const cy = (row + bbox[i * 4 + 1]!) * stride;
          const w = Math.exp(bbox[i * 4 + 2]!) * stride;
          const h = Math.exp(bbox[i * 4 + 3]!) * stride;
          const points: Point[] = [];
          for (let k = 0; k < LANDMARKS; k++) {
            points.push(
              view.toPicture({
                x: (col + kps[i * 10 + 2 * k]!) * stride,
                y: (row + kps[i * 10 + 2 * k + 1]!) * stride,
              }),
            );
          }
          // A turned view maps the box's corners to other corners: take their extent.
          const a = view.toPicture({ x: cx - w / 2, y: cy - h / 2 });
          const b = view.toPicture({ x: cx + w / 2, y: cy + h / 2 });
          const [rightEye, leftEye, nose, rightMouth, leftMouth] = points;
          found[n]!.push({
            score,
            box: {
              x: Math.min(a.x, b.x),
              y: Math.min(a.y, b.y),
              width: Math.abs(b.x - a.x),
              height: Math.abs(b.y - a.y),
            },
            keypoints: [
              rightEye!,
              leftEye!,
              nose!,
              { x: (rightMouth!.x + leftMouth!.x) / 2, y: (rightMouth!.y + leftMouth!.y) / 2 },
            ],
          });
        }
      }
    }
    return found;
  }
}
