/**
 * Our ONNX exports must compute what the original TF.js models compute.
 * References were produced once with @tensorflow/tfjs (see `npm run models:reference`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelEntry, modelsDir, readManifest } from '../functions/core';
import { buildModel } from '../models/export/build';
import { EXPORTS } from '../models/export/registry';
import {
  casePixels,
  decodeFloats,
  nhwcToNchw,
  normalizeNhwc,
  REFERENCE_DIR,
  ReferenceFile,
} from '../models/export/equivalence/inputs';

const TOLERANCE = 1e-4;
const manifest = readManifest();

/**
 * BlazeFace heads (outputs named *_stride<N>) emit raw logits and pixel offsets that
 * reach |8000| on letterbox padding, where float32 spacing alone is ~5e-4; what the
 * decoder consumes is the sigmoid score and the offset as a fraction of the input
 * size, so that is what must agree to 1e-4 (a box offset of 1e-4 × 256 px = 0.03 px).
 * Detectors that decode in the graph (SSD MobileNet: `scores` are probabilities,
 * `boxes` are coordinates normalised to the input) are already in those units.
 */
function inDecoderUnits(entry: ModelEntry, output: string, values: Float32Array): Float32Array {
  if (entry.task !== 'face-detection' || !/_stride\d+$/.test(output)) return values;
  if (output.startsWith('scores')) return values.map((v) => 1 / (1 + Math.exp(-v)));
  return values.map((v) => v / entry.preprocessing.width);
}

function worstDifference(actual: Float32Array, expected: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst;
}

describe.each(manifest.models.map((m) => [m.id, m] as const))('ONNX export of %s', (_id, entry) => {
  const reference = JSON.parse(
    readFileSync(join(REFERENCE_DIR, `${entry.id}.json`), 'utf8'),
  ) as ReferenceFile;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    // Comparison-only models are not committed: check a fresh export of them instead.
    const spec = EXPORTS.find((e) => e.id === entry.id);
    session =
      entry.shipped || !spec
        ? await ort.InferenceSession.create(join(modelsDir(), entry.file))
        : await ort.InferenceSession.create(buildModel(spec, 'test').bytes);
  });

  it('has reference cases from real pictures and random inputs', () => {
    expect(reference.cases.filter((c) => c.kind === 'image').length).toBeGreaterThanOrEqual(2);
    expect(reference.cases.filter((c) => c.kind === 'random').length).toBeGreaterThanOrEqual(2);
  });

  // A case may store a subset of the outputs to keep fixtures small (see generate.ts),
  // but every output must be checked on at least the real pictures.
  it('checks every model output on every real picture', () => {
    for (const c of reference.cases.filter((rc) => rc.kind === 'image')) {
      expect(Object.keys(c.outputs).sort()).toEqual(entry.outputs.map((o) => o.name).sort());
    }
  });

  it.each(reference.cases.map((c) => [c.label, c] as const))(
    `matches TF.js within ${TOLERANCE} on %s`,
    async (_label, c) => {
      const pre = entry.preprocessing;
      const channels = pre.color === 'gray' ? 1 : 3;
      const nchw = nhwcToNchw(normalizeNhwc(await casePixels(c, pre), pre), pre.height, pre.width, channels);
      const feeds = {
        [entry.input.name]: new ort.Tensor('float32', nchw, [1, channels, pre.height, pre.width]),
      };
      const results = await session.run(feeds);
      expect(Object.keys(results).sort()).toEqual(entry.outputs.map((o) => o.name).sort());
      for (const [name, ref] of Object.entries(c.outputs)) {
        const expected = decodeFloats(ref.data);
        const actual = results[name].data as Float32Array;
        expect(results[name].dims).toEqual(ref.shape);
        const worst = worstDifference(
          inDecoderUnits(entry, name, actual),
          inDecoderUnits(entry, name, expected),
        );
        expect(worst).toBeLessThanOrEqual(TOLERANCE);
      }
    },
  );
});
