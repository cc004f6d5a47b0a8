/**
 * `npx tsx models/training/prepare-wild.ts [--data ../shared/data/expressions-wild] [--out .scratch/training/wild] [--size 96]`
 *
 * Cuts the expressions-wild pictures the way the runtime cuts faces, for train.py: each
 * picture is padded, our shipped detector finds the face, and the crop frame of the
 * runtime (models/ensemble.json framing, eyes levelled) is cut from the *unpadded*
 * picture (outside it the edge repeats, as at run time) at twice its side, grey, `size`
 * pixels: the frame is the middle half, and train.py jitters scale, position and angle
 * around it. Where the detector finds nothing, the frame is the median frame of the
 * found faces relative to the picture. Writes `crops.u8` (N × size × size bytes) and
 * `index.json` (name, label, person, split, detected) — nothing here is committed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  decodeImage,
  FaceDetector,
  FaceFrame,
  faceFrame,
  readEnsemble,
  readManifest,
  warpFrame,
} from '../../functions/core';
import { paddedPicture } from '../eval/padded';
import { readWildImages, wildSplit } from '../eval/wild';

const ROOT = join(__dirname, '..', '..');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: join(ROOT, '..', 'shared', 'data', 'expressions-wild') },
      out: { type: 'string', default: join(ROOT, '.scratch', 'training', 'wild') },
      size: { type: 'string', default: '96' },
    },
  });
  const size = Number(values.size);
  const images = readWildImages(resolve(values.data!));
  const split = wildSplit(images);
  const detector = await FaceDetector.load(readManifest());
  const { framing } = readEnsemble();

  // Frames in the unpadded picture's pixels, or null where the detector found no face.
  const frames: (FaceFrame | null)[] = [];
  for (const [i, item] of images.entries()) {
    const padded = await paddedPicture(item.path);
    const faces = await detector.detect(padded);
    if (faces.length === 0) {
      frames.push(null);
    } else {
      const largest = faces.reduce((a, b) =>
        b.box.width * b.box.height > a.box.width * a.box.height ? b : a,
      );
      const f = faceFrame(largest.box, largest.keypoints, framing);
      frames.push({
        center: {
          x: (f.center.x - padded.offset) / padded.scale,
          y: (f.center.y - padded.offset) / padded.scale,
        },
        side: f.side / padded.scale,
        angle: f.angle,
      });
    }
    if ((i + 1) % 500 === 0) console.log(`${i + 1}/${images.length} pictures`);
  }
  const found = frames.filter((f): f is FaceFrame => f !== null);
  const native = 350;
  const fallback: FaceFrame = {
    center: { x: median(found.map((f) => f.center.x)), y: median(found.map((f) => f.center.y)) },
    side: median(found.map((f) => f.side)),
    angle: 0,
  };
  console.log(
    `detector found ${found.length}/${images.length} faces; fallback frame centre (${fallback.center.x.toFixed(1)}, ` +
      `${fallback.center.y.toFixed(1)}), side ${fallback.side.toFixed(1)} of a ${native}-px picture`,
  );

  const crops = new Uint8Array(images.length * size * size);
  for (const [i, item] of images.entries()) {
    const image = await decodeImage(readFileSync(item.path));
    const frame = frames[i] ?? fallback;
    const rgb = warpFrame(image, { ...frame, side: frame.side * 2 }, size);
    for (let p = 0; p < size * size; p++) {
      crops[i * size * size + p] = Math.round(
        0.299 * rgb[p * 3] + 0.587 * rgb[p * 3 + 1] + 0.114 * rgb[p * 3 + 2],
      );
    }
  }
  const out = resolve(values.out!);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'crops.u8'), crops);
  writeFileSync(
    join(out, 'index.json'),
    JSON.stringify({
      size,
      frameShare: 0.5,
      framing,
      detected: found.length,
      images: images.map((item, i) => ({
        name: item.name,
        label: item.label,
        identity: item.identity,
        split: split.get(item.identity),
        detected: frames[i] !== null,
      })),
    }),
  );
  const counts = (side: string) => images.filter((i) => split.get(i.identity) === side).length;
  console.log(`wrote ${out}: ${counts('train')} training and ${counts('validation')} validation pictures`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
