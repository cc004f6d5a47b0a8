/**
 * What each ensemble member costs per face, as `analyze` runs it: crop resampling,
 * preprocessing and the session run (face and mirror in one batch with the mirror), one
 * onnxruntime thread. Measured as this process's CPU time (user + system) per face, not
 * wall time: other work on a shared machine then does not inflate it. `npm run bench`
 * is the reference for speed; this only lets `models:fit` weigh a member's accuracy
 * against its milliseconds.
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
  // Three rounds, the middle one kept: a round is long enough for the CPU clock's resolution.
  const rounds: number[] = [];
  for (let r = 0; r < 3; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < runs; i++) await once();
    const used = process.cpuUsage(start);
    rounds.push((used.user + used.system) / 1000 / runs);
  }
  return rounds.sort((a, b) => a - b)[1];
}
