/**
 * The expression model we train ourselves (models/training/): its committed ONNX file
 * must compute what the trained PyTorch model computed, its manifest entry must be the
 * one its training record describes, and the runtime's crop path must feed it a FER2013
 * crop exactly as training did.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  decodeImage,
  EMOTIONS,
  ExpressionModel,
  modelEntry,
  modelsDir,
  readManifest,
  wholeImageFrame,
} from '../functions/core';
import {
  casePixels,
  decodeFloats,
  normalizeNhwc,
  REFERENCE_DIR,
  ReferenceFile,
} from '../models/export/equivalence/inputs';
import { TRAINED } from '../models/export/registry';
import { readTrainingRecord, trainedEntry } from '../models/export/trained';
import { readWildImages, wildImagesOf } from '../models/eval/wild';
import { sharedData } from './support/sharedData';

const TOLERANCE = 1e-4;
const manifest = readManifest();
const projectVersion = (
  JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;

function worstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst;
}

describe.each(TRAINED.map((spec) => [spec.id, spec] as const))('trained model %s', (id, spec) => {
  const entry = modelEntry(manifest, id);
  const reference = JSON.parse(readFileSync(join(REFERENCE_DIR, `${id}.json`), 'utf8')) as ReferenceFile;
  const pre = entry.preprocessing;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    session = await ort.InferenceSession.create(join(modelsDir(), entry.file), { intraOpNumThreads: 1 });
  });

  it('has the manifest entry its training record and committed file give (models:export reproduces it)', () => {
    const { accuracy: _measured, ...listed } = entry;
    expect(listed).toEqual(trainedEntry(spec, modelsDir(), projectVersion));
  });

  it('was exported at opset ≥ 13 with a dynamic batch, and trained on the de-duplicated FER2013 split', () => {
    const record = readTrainingRecord(spec, modelsDir());
    expect(record.onnx.opset).toBeGreaterThanOrEqual(13);
    expect(entry.input.shape[0]).toBe('batch');
    expect(record.data.tarballSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.data.droppedValidationDuplicates.count).toBeGreaterThan(0);
    expect(record.data.trainImagesUsed).toBe(
      record.data.trainImages - record.data.droppedValidationDuplicates.count,
    );
  });

  it(`matches the PyTorch outputs within ${TOLERANCE}, all stored inputs in one batch`, async () => {
    expect(reference.cases.filter((c) => c.kind === 'image').length).toBeGreaterThanOrEqual(2);
    const per = pre.width * pre.height;
    const batch = new Float32Array(per * reference.cases.length);
    for (const [i, c] of reference.cases.entries())
      batch.set(normalizeNhwc(await casePixels(c, pre), pre), i * per);
    const feeds = {
      [entry.input.name]: new ort.Tensor('float32', batch, [
        reference.cases.length,
        1,
        pre.height,
        pre.width,
      ]),
    };
    const output = (await session.run(feeds))[entry.outputs[0].name];
    expect(output.dims).toEqual([reference.cases.length, EMOTIONS.length]);
    const data = output.data as Float32Array;
    for (const [i, c] of reference.cases.entries()) {
      const actual = data.subarray(i * EMOTIONS.length, (i + 1) * EMOTIONS.length);
      expect(actual.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      expect(
        worstDifference(actual, decodeFloats(c.outputs[entry.outputs[0].name].data)),
      ).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('gets a whole 48×48 crop pixel for pixel through the runtime crop and preprocessing', async () => {
    const model = await ExpressionModel.load(entry, { intraOpNumThreads: 1 });
    for (const c of reference.cases.filter((rc) => rc.kind === 'image')) {
      if (c.kind !== 'image') continue;
      const image = await decodeImage(readFileSync(join(REFERENCE_DIR, c.file)));
      expect([image.width, image.height]).toEqual([pre.width, pre.height]);
      const [probs] = await model.predict([{ image, frame: wholeImageFrame(image) }]);
      // The model's classes are already in EMOTIONS order, so no reordering is involved.
      const expected = decodeFloats(c.outputs[entry.outputs[0].name].data);
      expect(worstDifference(probs, expected)).toBeLessThanOrEqual(TOLERANCE);
    }
  });
});

describe('memegen-photo-cnn', () => {
  const spec = TRAINED.find((t) => t.id === 'memegen-photo-cnn')!;
  const record = readTrainingRecord(spec, modelsDir());

  it('trained on the expressions-wild people of the training side only: the people validation holds apart stay unseen', () => {
    const wild = record.data.wild!;
    const images = readWildImages(sharedData('expressions-wild'));
    expect(wild.trainPictures).toBe(wildImagesOf(images, 'train').length);
    expect(wild.validationPictures).toBe(wildImagesOf(images, 'validation').length);
    expect(wild.trainPeople + wild.validationPeople).toBe(new Set(images.map((i) => i.identity)).size);
  });

  it('learnt FER+ votes for nearly every FER2013 training crop', () => {
    expect(record.data.ferplus!.cropsWithVotes / record.data.trainImagesUsed).toBeGreaterThan(0.99);
    expect(record.fer2013Weight).toBeLessThan(1);
  });
});
