/**
 * Files that ship beside the code (fonts, the upload page, sample photos) are found by
 * walking up from the running module, so the same lookup works from the TypeScript
 * sources (tsx, ts-jest) and from the compiled dist/ tree.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The first `<ancestor>/<relative>` that exists, searching upwards from `from`; throws naming `what` if none. */
export function findUpwards(relative: string, what: string, from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${what} (${relative}) is missing above ${from}`);
  }
}

/** The project's root: the nearest folder above this module holding package.json. */
export function projectRoot(): string {
  return dirname(findUpwards('package.json', 'the project root'));
}
