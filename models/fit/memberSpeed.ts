/**
 * What each ensemble member costs per face, as `analyze` runs it: crop resampling,
 * preprocessing and the session run (face and mirror in one batch with the mirror), one
 * onnxruntime thread. The fastest of many runs: on a shared machine other work only ever
 * slows a run down, so the minimum is what the member costs on a machine of its own.
 * `npm run bench` is the reference for speed; this only lets `models:fit` weigh a
 * member's accuracy against its milliseconds.
 */
import { ExpressionModel } from '../../functions/core/expression/expressionModel';
import { RgbImage } from '../../functions/core/image';

export async function msPerFace(model: ExpressionModel, flip: boolean, runs = 300): Promise<number> {
  const size = 160;
  const image: RgbImage = {
    width: size,
    height: size,
    data: Uint8Array.from({ length: size * size * 3 }, (_, i) => (i * 37) % 251),
  };
  const inputs = [{ image, frame: { center: { x: size / 2, y: size / 2 }, side: size, angle: 0 } }];
  const once = () => (flip ? model.predictWithFlip(inputs) : model.predict(inputs));
  for (let i = 0; i < 30; i++) await once();
  let fastest = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await once();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return fastest;
}
