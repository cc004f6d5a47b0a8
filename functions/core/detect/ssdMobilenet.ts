/**
 * face-api's SSD MobileNet v1 face detector: inference and read-out.
 *
 * The exported graph already decodes its 5118 anchors (face-api's output layer is
 * part of it), so each anchor arrives as a face probability and a box
 * [ymin, xmin, ymax, xmax] normalised to the square input; all that is left is to
 * threshold and map boxes back through the letterbox. SSD predicts no landmarks.
 */
import * as ort from 'onnxruntime-node';
import { ModelEntry } from '../manifest';
import { loadSession, SessionOptions } from '../sessions';
import { Letterbox, Region, runOnView } from './letterbox';
import { RawDetection } from './nms';

export class SsdMobilenet {
  readonly size: number;

  private constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
  ) {
    this.size = entry.preprocessing.width;
    const names = entry.outputs.map((o) => o.name);
    if (!names.includes('boxes') || !names.includes('scores')) {
      throw new Error(
        `${entry.id}: expected decoded 'boxes' and 'scores' outputs, manifest lists ${names.join(', ')}`,
      );
    }
  }

  static async load(entry: ModelEntry, options?: SessionOptions): Promise<SsdMobilenet> {
    return new SsdMobilenet(entry, await loadSession(entry, options));
  }

  /** Every anchor scoring at least `minScore`, mapped into picture coordinates. */
  async detect(view: Letterbox & { region: Region }, minScore: number): Promise<RawDetection[]> {
    const outputs = await runOnView(this.session, this.entry, view);
    const scores = outputs.scores.data as Float32Array;
    const boxes = outputs.boxes.data as Float32Array;
    const toPictureX = (x: number) => (x * this.size - view.padX) / view.scale + view.region.left;
    const toPictureY = (y: number) => (y * this.size - view.padY) / view.scale + view.region.top;
    const found: RawDetection[] = [];
    for (let a = 0; a < scores.length; a++) {
      if (scores[a] < minScore) continue;
      const r = a * 4;
      const x1 = toPictureX(boxes[r + 1]);
      const y1 = toPictureY(boxes[r]);
      found.push({
        score: scores[a],
        box: { x: x1, y: y1, width: toPictureX(boxes[r + 3]) - x1, height: toPictureY(boxes[r + 2]) - y1 },
        keypoints: [],
      });
    }
    return found;
  }
}
