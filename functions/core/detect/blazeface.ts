/**
 * BlazeFace-style inference and decoding: anchors, box/keypoint regression, scores.
 *
 * Both BlazeFace variants have two heads: a fine grid with 2 anchors per cell and
 * a grid of half the resolution with 6 per cell (16×16×2 + 8×8×6 = 896 anchors).
 * MediaPipe's full-range sparse detector has one head, a 48×48 grid (stride 4 on
 * its 192×192 input) with 1 anchor per cell. In all of them every regression is an
 * offset in input pixels from its anchor centre (Human decodes both families with
 * the same code, and MediaPipe's x/y/w/h_scale equal the input size for each).
 */
import * as ort from 'onnxruntime-node';
import { Point } from '../geometry';
import { ModelEntry } from '../manifest';
import { loadSession, SessionOptions } from '../sessions';
import { Letterbox, Region, runOnView } from './letterbox';
import { RawDetection } from './nms';

const KEYPOINTS = 6;
const VALUES_PER_ANCHOR = 4 + KEYPOINTS * 2;

interface Head {
  scores: string;
  boxes: string;
  anchors: Float32Array; // x, y pairs in input pixels
}

function anchorsFor(size: number, stride: number, perCell: number): Float32Array {
  const cells = Math.ceil(size / stride);
  const out = new Float32Array(cells * cells * perCell * 2);
  let i = 0;
  for (let y = 0; y < cells; y++)
    for (let x = 0; x < cells; x++)
      for (let n = 0; n < perCell; n++) {
        out[i++] = (x + 0.5) * stride;
        out[i++] = (y + 0.5) * stride;
      }
  return out;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export class BlazeFace {
  private readonly heads: Head[];
  readonly size: number;

  private constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
  ) {
    this.size = entry.preprocessing.width;
    // Output names carry the stride (scores_stride16 / boxes_stride16, ...) and the
    // manifest's shapes the anchor count, so anchors per cell follow from the grid size.
    const heads = entry.outputs
      .filter((o) => o.name.startsWith('scores_stride'))
      .map((o) => ({ stride: Number(o.name.replace('scores_stride', '')), anchors: Number(o.shape[1]) }))
      .sort((a, b) => a.stride - b.stride);
    if (heads.length === 0) throw new Error(`${entry.id}: no scores_stride<N> outputs`);
    this.heads = heads.map(({ stride, anchors }) => {
      const cells = Math.ceil(this.size / stride) ** 2;
      const perCell = anchors / cells;
      if (!Number.isInteger(perCell) || perCell < 1) {
        throw new Error(
          `${entry.id}: ${anchors} anchors do not fill the ${cells}-cell grid of stride ${stride}`,
        );
      }
      const boxes = entry.outputs.find((o) => o.name === `boxes_stride${stride}`);
      if (!boxes || Number(boxes.shape[1]) !== anchors || Number(boxes.shape[2]) !== VALUES_PER_ANCHOR) {
        throw new Error(
          `${entry.id}: boxes_stride${stride} must be [batch, ${anchors}, ${VALUES_PER_ANCHOR}]`,
        );
      }
      return {
        scores: `scores_stride${stride}`,
        boxes: boxes.name,
        anchors: anchorsFor(this.size, stride, perCell),
      };
    });
  }

  static async load(entry: ModelEntry, options?: SessionOptions): Promise<BlazeFace> {
    return new BlazeFace(entry, await loadSession(entry, options));
  }

  /** Every anchor scoring at least `minScore`, mapped into picture coordinates. */
  async detect(view: Letterbox & { region: Region }, minScore: number): Promise<RawDetection[]> {
    const outputs = await runOnView(this.session, this.entry, view);
    const toPictureX = (x: number) => (x - view.padX) / view.scale + view.region.left;
    const toPictureY = (y: number) => (y - view.padY) / view.scale + view.region.top;
    const found: RawDetection[] = [];
    const minLogit = Math.log(minScore / (1 - minScore));
    for (const head of this.heads) {
      const scores = outputs[head.scores].data as Float32Array;
      const boxes = outputs[head.boxes].data as Float32Array;
      for (let a = 0; a < scores.length; a++) {
        if (scores[a] < minLogit) continue;
        const r = a * VALUES_PER_ANCHOR;
        const ax = head.anchors[a * 2];
        const ay = head.anchors[a * 2 + 1];
        const cx = ax + boxes[r];
        const cy = ay + boxes[r + 1];
        const w = boxes[r + 2];
        const h = boxes[r + 3];
        const keypoints: Point[] = [];
        for (let k = 0; k < KEYPOINTS; k++) {
          keypoints.push({
            x: toPictureX(ax + boxes[r + 4 + k * 2]),
            y: toPictureY(ay + boxes[r + 5 + k * 2]),
          });
        }
        const x1 = toPictureX(cx - w / 2);
        const y1 = toPictureY(cy - h / 2);
        found.push({
          score: sigmoid(Math.min(100, scores[a])),
          box: { x: x1, y: y1, width: toPictureX(cx + w / 2) - x1, height: toPictureY(cy + h / 2) - y1 },
          keypoints,
        });
      }
    }
    return found;
  }
}
