/**
 * Faces rolled beyond ±45°, up to upside down: how many a detector finds, and with the eyes
 * where they are (the crop is levelled by them), in annotated pictures turned by a few
 * angles; and what turned passes of the detector cost on upright pictures.
 *
 * A turned picture's annotated boxes are no longer boxes, so a face counts as found when a
 * detection's box holds the turned centre of its annotated box and has about its size
 * (0.5–2.5 × the side of the annotated box: a box around a face tilted 45° is larger).
 * Its eyes are right when the eye line's angle is within 45° of the turn.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { AnnotatedImage } from '../eval/detection';
import { EVAL_SESSION, medianOf } from '../eval/detectorEval';
import { DetectorOptions, FaceDetector, Manifest } from '../../functions/core';

export const ANGLES = [0, 45, 90, 135, 180];
const MIN_FACE_PX = 64;

export interface RolledResult {
  /** Per angle (degrees clockwise): share of faces ≥ 64 px found, and found with their eyes right. */
  perAngle: Record<number, { found: number; eyesRight: number; faces: number }>;
  /** Median detection time per turned picture, ms, timed interleaved with the other variants. */
  msPerImage: number;
}

/** Turns the annotated picture clockwise by `degrees` on grey, as a phone would show it lying sideways. */
async function turned(path: string, degrees: number) {
  const { data, info } = await sharp(readFileSync(path))
    .rotate(degrees, { background: '#808080' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/**
 * Runs every variant on every picture with a valid face ≥ 64 px (at most `limit` pictures),
 * turned by each of ANGLES, interleaved picture by picture.
 */
export async function measureRolledFaces(
  manifest: Manifest,
  imagesDir: string,
  annotations: AnnotatedImage[],
  variants: Partial<DetectorOptions>[],
  limit: number,
): Promise<RolledResult[]> {
  const detectors: FaceDetector[] = [];
  for (const v of variants) detectors.push(await FaceDetector.load(manifest, v, EVAL_SESSION));
  const images = annotations
    .filter((a) => a.faces.some((f) => !f.invalid && f.height >= MIN_FACE_PX))
    .slice(0, limit);
  const results = variants.map(() => ({
    perAngle: Object.fromEntries(ANGLES.map((a) => [a, { found: 0, eyesRight: 0, faces: 0 }])),
    times: [] as number[],
  }));
  for (const a of images) {
    const faces = a.faces.filter((f) => !f.invalid && f.height >= MIN_FACE_PX);
    for (const degrees of ANGLES) {
      const img = await turned(join(imagesDir, a.file), degrees);
      const rad = (degrees * Math.PI) / 180;
      const w = a.width ?? 0;
      const h = a.height ?? 0;
      // Where an annotated point lands in the turned (and, off the right angles, enlarged) picture.
      const turn = (x: number, y: number) => ({
        x: (x - w / 2) * Math.cos(rad) - (y - h / 2) * Math.sin(rad) + img.width / 2,
        y: (x - w / 2) * Math.sin(rad) + (y - h / 2) * Math.cos(rad) + img.height / 2,
      });
      for (const [k, detector] of detectors.entries()) {
        const start = performance.now();
        const found = await detector.detect(img);
        results[k].times.push(performance.now() - start);
        const tally = results[k].perAngle[degrees];
        for (const f of faces) {
          tally.faces++;
          const c = turn(f.x + f.width / 2, f.y + f.height / 2);
          const side = Math.sqrt(f.width * f.height);
          const hit = found.find((d) => {
            const s = Math.sqrt(d.box.width * d.box.height);
            return (
              c.x > d.box.x &&
              c.x < d.box.x + d.box.width &&
              c.y > d.box.y &&
              c.y < d.box.y + d.box.height &&
              s > 0.5 * side &&
              s < 2.5 * side
            );
          });
          if (!hit) continue;
          tally.found++;
          const { rightEye, leftEye } = hit.keypoints;
          const angle = (Math.atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x) * 180) / Math.PI;
          const off = ((((angle - degrees) % 360) + 540) % 360) - 180;
          if (Math.abs(off) < 45) tally.eyesRight++;
        }
      }
    }
  }
  return results.map((r) => ({
    perAngle: Object.fromEntries(
      Object.entries(r.perAngle).map(([angle, t]) => [
        angle,
        {
          faces: t.faces,
          found: t.faces ? t.found / t.faces : 0,
          eyesRight: t.faces ? t.eyesRight / t.faces : 0,
        },
      ]),
    ),
    msPerImage: medianOf(r.times),
  }));
}
