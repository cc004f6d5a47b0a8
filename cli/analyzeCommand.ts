/** `memegen analyze`: faces and expressions of one or more pictures. */
import { readFileSync } from 'node:fs';
import { Analysis, Analyzer, ImageError } from '../functions/core';
import { fileProblem, isFileError } from './fileErrors';
import { pct, table } from './format';
import { expandInputs } from './inputs';
import { UsageError } from './usage';

/** One picture's entry in `--json` (docs/cli.md): its analysis, or why there is none. */
export type AnalyzeEntry = Analysis | { error: string; code: string };

export async function analyzeCommand(paths: string[], recursive: boolean, json: boolean): Promise<number> {
  if (paths.length === 0) throw new UsageError('needs at least one image or folder', 'analyze');
  const inputs = expandInputs(paths, recursive);
  for (const dir of inputs.skippedSubfolders)
    console.error(`memegen analyze: left out the subfolders of ${dir} (add --recursive to include them)`);
  const results: Record<string, AnalyzeEntry> = {};
  for (const { path, error } of inputs.unreadable)
    results[path] = { error: fileProblem(error), code: error.code };
  if (inputs.pictures.length > 0) {
    const analyzer = await Analyzer.create();
    for (const { path } of inputs.pictures) {
      try {
        results[path] = await analyzer.analyze(readFileSync(path));
      } catch (err) {
        if (err instanceof ImageError) results[path] = { error: err.message, code: err.code };
        else if (isFileError(err)) results[path] = { error: fileProblem(err), code: err.code };
        else throw err;
      }
    }
  }
  const failures = Object.values(results).filter((result) => 'error' in result).length;
  if (json) {
    console.log(JSON.stringify(results, null, 2));
    return failures ? 1 : 0;
  }
  for (const [file, result] of Object.entries(results)) {
    if ('error' in result) {
      console.error(`memegen analyze: ${file}: ${result.error}`);
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
