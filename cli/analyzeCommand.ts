/** `memegen analyze`: faces and expressions of one or more pictures. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Analysis, Analyzer, ImageError, PICTURE_FILE } from '../functions/core';
import { pct, table } from './format';
import { UsageError } from './usage';

export function expandInputs(paths: string[]): string[] {
  if (paths.length === 0) throw new UsageError('analyze needs at least one image or folder');
  return paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => PICTURE_FILE.test(f))
          .sort()
          .map((f) => join(p, f))
      : [p],
  );
}

export async function analyzeCommand(paths: string[], json: boolean): Promise<number> {
  const analyzer = await Analyzer.create();
  const results: Record<string, Analysis | { error: string; code: string }> = {};
  let failures = 0;
  for (const file of expandInputs(paths)) {
    try {
      results[file] = await analyzer.analyze(readFileSync(file));
    } catch (err) {
      if (!(err instanceof ImageError)) throw err;
      failures++;
      results[file] = { error: err.message, code: err.code };
    }
  }
  if (json) {
    console.log(JSON.stringify(results, null, 2));
    return failures ? 1 : 0;
  }
  for (const [file, result] of Object.entries(results)) {
    if ('error' in result) {
      console.log(`${file}: error: ${result.error}`);
      continue;
    }
    console.log(`${file}: ${result.width}×${result.height}, ${result.faces.length} face(s)`);
    if (result.faces.length === 0) continue;
    const rows = result.faces.map((f, i) => {
      const top = Object.entries(f.emotions).sort((a, b) => b[1] - a[1])[1];
      const b = f.box;
      return [
        `#${i + 1}`,
        `${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.width)}×${Math.round(b.height)}`,
        pct(f.score),
        `${f.dominant} ${pct(f.emotions[f.dominant])}`,
        `${top[0]} ${pct(top[1])}`,
      ];
    });
    console.log(
      table(['face', 'box (x,y w×h)', 'face score', 'expression', 'runner-up'], rows).replace(/^/gm, '  '),
    );
  }
  return failures ? 1 : 0;
}
