/**
 * `npx tsx models/training/inference-speed.ts [--runs 300]`: per-face inference time of
 * every expression model on one onnxruntime thread, as the runtime calls it: one face,
 * plain and mirrored crops in one batch (predictWithFlip, crop resampling included),
 * and the bare session runs on ready inputs (one face; face + mirror). Medians in ms.
 */
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { ExpressionModel, loadSession, readEnsemble, readManifest, RgbImage } from '../../functions/core';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(runs: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '300' } } });
  const runs = Number(values.runs);
  const manifest = readManifest();
  const members = new Set(readEnsemble().members.map((m) => m.model));
  // A 160×160 picture with the face frame covering it all: every model resamples it.
  const size = 160;
  const image: RgbImage = {
    width: size,
    height: size,
    data: Uint8Array.from({ length: size * size * 3 }, (_, i) => (i * 37) % 251),
  };
  const frame = { center: { x: size / 2, y: size / 2 }, side: size, angle: 0 };
  const total = { session: 0, withCrop: 0 };
  for (const entry of manifest.models.filter((m) => m.task === 'expression')) {
    const model = await ExpressionModel.load(entry, { intraOpNumThreads: 1 });
    const session = await loadSession(entry, { intraOpNumThreads: 1 });
    const pre = entry.preprocessing;
    const channels = pre.color === 'gray' ? 1 : 3;
    const feeds = {
      [entry.input.name]: new ort.Tensor('float32', new Float32Array(channels * pre.width * pre.height), [
        1,
        channels,
        pre.height,
        pre.width,
      ]),
    };
    const pair = {
      [entry.input.name]: new ort.Tensor('float32', new Float32Array(2 * channels * pre.width * pre.height), [
        2,
        channels,
        pre.height,
        pre.width,
      ]),
    };
    const bare = await timed(runs, () => session.run(feeds));
    const bare2 = await timed(runs, () => session.run(pair));
    const withFlip = await timed(runs, () => model.predictWithFlip([{ image, frame }]));
    const flip = readEnsemble().members.find((m) => m.model === entry.id)?.flip;
    if (members.has(entry.id)) {
      total.session += flip ? bare2 : bare;
      total.withCrop += withFlip;
    }
    console.log(
      `${entry.id.padEnd(20)} ${`${pre.width}×${pre.height} ${pre.color}`.padEnd(12)} session run: 1 input ${bare.toFixed(3)} ms, ` +
        `2 inputs (face + mirror) ${bare2.toFixed(3)} ms; crop + preprocessing + both runs ${withFlip.toFixed(3)} ms`,
    );
  }
  console.log(
    `ensemble (${[...members].join(', ')}) per face: session runs ${total.session.toFixed(3)} ms (mirror where the ensemble uses it), ` +
      `with crops ${total.withCrop.toFixed(3)} ms`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
