/**
 * Close-ups: pictures whose face fills the frame (selfies, tight crops). Measured on
 * expressions-wild (LFW news photos cropped tight to the face, 350×350 grey), each picture as
 * it is and centred on a grey canvas three times its side (the face then a third of the
 * frame, as in an ordinary portrait). A close-up counts as detected when some face's box
 * is centred within a quarter side of the crop's centre and at least 40 % of its side tall.
 *
 * The close-up pass is chosen on one half of the people and reported on the other half
 * (split by identity, as the data set's README asks: several people have many pictures).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { EVAL_SESSION, medianOf } from '../eval/detectorEval';
import {
  CloseUpOptions,
  decodeImage,
  DetectedFace,
  DetectorOptions,
  FaceDetector,
  Manifest,
  RgbImage,
} from '../../functions/core';

/** A face at least this share of the picture's short side tall is "large": no close-up pass needed. */
export const CLOSE_UP_BELOW = 0.4;

export interface CloseUpPicture {
  file: string;
  identity: string;
  /** 'choose': the close-up pass is chosen on these people; 'report': figures are reported on these. */
  half: 'choose' | 'report';
}

/** The half a person falls in: the parity of the first byte of their name's sha256. */
export function halfOf(identity: string): CloseUpPicture['half'] {
  return createHash('sha256').update(identity).digest()[0]! % 2 === 0 ? 'choose' : 'report';
}

export function readCloseUpPictures(dir: string): CloseUpPicture[] {
  const lines = readFileSync(join(dir, 'labels.csv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const file = header.indexOf('file');
  const identity = header.indexOf('identity');
  if (file < 0 || identity < 0)
    throw new Error(`${join(dir, 'labels.csv')}: needs file and identity columns`);
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return { file: cells[file]!, identity: cells[identity]!, half: halfOf(cells[identity]!) };
  });
}

/** The picture centred on a mid-grey canvas of three times its size. */
async function padded(img: RgbImage): Promise<RgbImage> {
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .extend({
      top: img.height,
      bottom: img.height,
      left: img.width,
      right: img.width,
      background: { r: 128, g: 128, b: 128 },
    })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** Whether a face found is the crop's face: centred on it and of a face's size for it. */
function isTheFace(faces: DetectedFace[], crop: { x: number; y: number; side: number }): boolean {
  return faces.some((f) => {
    const cx = f.box.x + f.box.width / 2;
    const cy = f.box.y + f.box.height / 2;
    return (
      Math.abs(cx - crop.x) <= crop.side / 4 &&
      Math.abs(cy - crop.y) <= crop.side / 4 &&
      f.box.height >= 0.4 * crop.side
    );
  });
}

export interface CloseUpTally {
  /** Pictures as they are, and padded, per half: [detected, pictures]. */
  unpadded: Record<CloseUpPicture['half'], [number, number]>;
  padded: Record<CloseUpPicture['half'], [number, number]>;
  /** Median time of the close-up pass where it ran, ms. */
  msPerPass: number;
}

/**
 * The main pass (as `options` say, without a close-up pass) on every picture, unpadded and
 * padded, and each close-up variant where the main pass found no large face.
 * Index 0 of the result is "no close-up pass"; index i + 1 is variants[i].
 */
export async function measureCloseUps(
  manifest: Manifest,
  dir: string,
  pictures: CloseUpPicture[],
  options: Partial<DetectorOptions>,
  variants: CloseUpOptions[],
  progress?: (done: number) => void,
): Promise<CloseUpTally[]> {
  const detector = await FaceDetector.load(manifest, { ...options, closeUp: undefined }, EVAL_SESSION);
  const empty = () => ({ choose: [0, 0] as [number, number], report: [0, 0] as [number, number] });
  const tallies = [undefined, ...variants].map(() => ({
    unpadded: empty(),
    padded: empty(),
    times: [] as number[],
  }));
  for (const [n, picture] of pictures.entries()) {
    const plain = await decodeImage(readFileSync(join(dir, picture.file)));
    for (const [kind, img] of [
      ['unpadded', plain],
      ['padded', await padded(plain)],
    ] as const) {
      const side = Math.max(plain.width, plain.height);
      const crop = { x: img.width / 2, y: img.height / 2, side };
      const main = await detector.detect(img);
      const large = main.some((f) => f.box.height >= CLOSE_UP_BELOW * Math.min(img.width, img.height));
      // Made once, untimed: at run time the close-up pass finds the main pass's view made.
      const mainView = large ? undefined : await detector.mainView(img);
      for (const [i, tally] of tallies.entries()) {
        let faces = main;
        if (i > 0 && !large) {
          const start = performance.now();
          faces = [...main, ...(await detector.closeUpFaces(img, variants[i - 1]!, mainView))];
          tally.times.push(performance.now() - start);
        }
        const counts = tally[kind][picture.half];
        counts[1]++;
        if (isTheFace(faces, crop)) counts[0]++;
      }
    }
    progress?.(n + 1);
  }
  return tallies.map((t) => ({
    unpadded: t.unpadded,
    padded: t.padded,
    msPerPass: t.times.length ? medianOf(t.times) : 0,
  }));
}

/** Share of close-ups detected in one half, padded and unpadded pooled. */
export function detectedShare(t: CloseUpTally, half: CloseUpPicture['half']): number {
  const [a, n] = t.unpadded[half];
  const [b, m] = t.padded[half];
  return n + m ? (a + b) / (n + m) : 0;
}
