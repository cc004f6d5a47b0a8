/**
 * The validation protocol's data: FER2013 validation crops and the expressions-wild
 * people held apart from training, each scored two ways:
 *
 * - on the crop: the labelled picture itself is the face (what FER2013 figures usually mean);
 * - end to end: the crop is padded into a picture (models/eval/padded.ts), our detector
 *   looks for faces, the largest is cut with the runtime framing and classified, exactly
 *   as `analyze` does; where no face is found there is no answer, which counts as wrong.
 *
 * Detections and each model's outputs are cached under .scratch/protocol, keyed by
 * everything they depend on, so refitting after a change reruns only what changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeImage,
  ExpressionModel,
  FaceDetector,
  FaceFrame,
  faceFrame,
  Framing,
  mirrored as mirroredCrop,
  warpFrame,
  wholeImageFrame,
} from '../../functions/core';
import { datasetSha256, LabelledImage, listLabelledImages, withoutDuplicatesOf } from './dataset';
import { ModelPredictions } from './expressions';
import { paddedPicture } from './padded';
import { readWildImages, wildImagesOf } from './wild';

export type Domain = 'fer2013' | 'wild';

export interface ProtocolSet {
  domain: Domain;
  /** What the report calls it. */
  title: string;
  items: LabelledImage[];
  /** Cross-validation groups: the person for expressions-wild, each crop its own for FER2013. */
  groups: string[];
  /** The crop's side in the padded picture (0 = as it is). */
  paddedSide: number;
  /** sha256 over the items' names and bytes. */
  sha256: string;
}

export interface EndToEndPredictions {
  plain: (Float32Array | null)[];
  flipped: (Float32Array | null)[];
}

export interface SetPredictions {
  crop: ModelPredictions;
  endToEnd: EndToEndPredictions;
}

const CACHE = join(__dirname, '..', '..', '.scratch', 'protocol');

const keyOf = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 24);

/** A JSON file under .scratch/protocol keyed by a hash of everything the value depends on. */
export function cached<T, J>(
  name: string,
  key: unknown,
  make: () => Promise<T>,
  encode: (v: T) => J,
  decode: (j: J) => T,
) {
  const file = join(CACHE, `${name}-${keyOf(key)}.json`);
  if (existsSync(file)) return Promise.resolve(decode(JSON.parse(readFileSync(file, 'utf8'))));
  return make().then((value) => {
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(file, JSON.stringify(encode(value)));
    return value;
  });
}

/** The largest face the detector finds in each padded picture, framed as the runtime frames it; null: none. */
export function locateFaces(
  set: ProtocolSet,
  detector: FaceDetector,
  framing: Framing,
): Promise<(FaceFrame | null)[]> {
  return cached(
    `faces-${set.domain}`,
    { data: set.sha256, side: set.paddedSide, detector: detector.options, framing },
    async () => {
      const frames: (FaceFrame | null)[] = [];
      for (const item of set.items) {
        const faces = await detector.detect(await paddedPicture(item.path, set.paddedSide));
        const largest = faces.reduce<(typeof faces)[number] | null>(
          (a, b) => (a && a.box.width * a.box.height >= b.box.width * b.box.height ? a : b),
          null,
        );
        frames.push(largest ? faceFrame(largest.box, largest.keypoints, framing) : null);
      }
      return frames;
    },
    (v) => v,
    (j) => j as (FaceFrame | null)[],
  );
}

type Rows = { plain: (number[] | null)[]; flipped: (number[] | null)[] };
const rows = (values: (Float32Array | null)[]) =>
  values.map((r) => (r ? Array.from(r, (v) => +v.toFixed(7)) : null));
const floats = (values: (number[] | null)[]) => values.map((r) => (r ? Float32Array.from(r) : null));

/**
 * Each model's outputs on the set, plain and mirrored, on the crop and end to end. Models
 * already cached are read back; the others share one pass over the pictures (decoding
 * and padding a picture costs more than a 48-px model).
 */
export async function predictSet(
  set: ProtocolSet,
  models: ExpressionModel[],
  frames: (FaceFrame | null)[],
): Promise<Record<string, SetPredictions>> {
  // End to end, each face is cut once at the largest model input and resampled to each
  // model's own, as Analyzer.classify does when the largest model is a member.
  const cropSide = Math.max(...models.map((m) => m.size));
  const keyFor = (model: ExpressionModel) => ({
    data: set.sha256,
    side: set.paddedSide,
    model: model.entry.sha256,
    frames,
    cropSide,
  });
  const fileFor = (model: ExpressionModel) =>
    join(CACHE, `${model.id}-${set.domain}-${keyOf(keyFor(model))}.json`);
  const out: Record<string, SetPredictions> = {};
  for (const model of models) {
    if (existsSync(fileFor(model))) {
      const j = JSON.parse(readFileSync(fileFor(model), 'utf8')) as { crop: Rows; endToEnd: Rows };
      out[model.id] = {
        crop: {
          plain: floats(j.crop.plain) as Float32Array[],
          flipped: floats(j.crop.flipped) as Float32Array[],
        },
        endToEnd: { plain: floats(j.endToEnd.plain), flipped: floats(j.endToEnd.flipped) },
      };
    }
  }
  const todo = models.filter((m) => !out[m.id]);
  if (todo.length === 0) return out;
  for (const m of todo)
    out[m.id] = { crop: { plain: [], flipped: [] }, endToEnd: { plain: [], flipped: [] } };
  for (const [i, item] of set.items.entries()) {
    const image = await decodeImage(readFileSync(item.path));
    const whole = [{ image, frame: wholeImageFrame(image) }];
    const frame = frames[i];
    const crop = frame && warpFrame(await paddedPicture(item.path, set.paddedSide), frame, cropSide);
    for (const model of todo) {
      const o = out[model.id];
      o.crop.plain.push((await model.predict(whole))[0]);
      o.crop.flipped.push((await model.predict(whole, true))[0]);
      o.endToEnd.plain.push(crop ? (await model.predictCrops([crop], cropSide, false))[0] : null);
      // The mirror alone (predictCrops with flip gives the mean of both; the fit needs each).
      o.endToEnd.flipped.push(
        crop ? (await model.predictCrops([mirroredCrop(crop, cropSide)], cropSide, false))[0] : null,
      );
    }
  }
  mkdirSync(CACHE, { recursive: true });
  for (const model of todo) {
    const v = out[model.id];
    writeFileSync(
      fileFor(model),
      JSON.stringify({
        crop: { plain: rows(v.crop.plain), flipped: rows(v.crop.flipped) },
        endToEnd: { plain: rows(v.endToEnd.plain), flipped: rows(v.endToEnd.flipped) },
      }),
    );
  }
  return out;
}

/** FER2013's 48-px crops are scaled to this side in the padded picture (as the framing is measured). */
export const FER_PADDED_SIDE = 192;

/** FER2013 validation, less the crops whose pixels appear in `excludeDuplicatesOf` (the training split). */
export async function fer2013Set(
  dir: string,
  excludeDuplicatesOf?: string,
): Promise<{ set: ProtocolSet; excluded: LabelledImage[] }> {
  let items = listLabelledImages(dir);
  let excluded: LabelledImage[] = [];
  if (excludeDuplicatesOf) {
    // Hashing 28,709 training pictures takes minutes: the answer is kept for the same two folders' contents.
    const names = await cached(
      'duplicates',
      {
        data: datasetSha256(items),
        against: excludeDuplicatesOf,
        files: readdirSync(excludeDuplicatesOf, { recursive: true }).length,
      },
      async () => (await withoutDuplicatesOf(items, excludeDuplicatesOf)).duplicates.map((d) => d.name),
      (v) => v,
      (j) => j,
    );
    excluded = items.filter((i) => names.includes(i.name));
    items = items.filter((i) => !names.includes(i.name));
  }
  return {
    set: {
      domain: 'fer2013',
      title: 'FER2013 validation',
      items,
      groups: items.map((i) => i.name),
      paddedSide: FER_PADDED_SIDE,
      sha256: datasetSha256(items),
    },
    excluded,
  };
}

/** The expressions-wild people held apart from training (models/eval/wild.ts). */
export function wildValidationSet(dir: string): ProtocolSet {
  const items = wildImagesOf(readWildImages(dir), 'validation');
  return {
    domain: 'wild',
    title: 'expressions-wild validation people',
    items,
    groups: items.map((i) => i.identity),
    paddedSide: 0,
    sha256: datasetSha256(items),
  };
}
