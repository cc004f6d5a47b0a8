/** Locates the read-only shared data sets beside the repository (../shared/data). */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SHARED_DATA = resolve(__dirname, '..', '..', '..', 'shared', 'data');

/** Absolute path of a shared data set; throws a clear error when it is missing. */
export function sharedData(...parts: string[]): string {
  const path = join(SHARED_DATA, ...parts);
  if (!existsSync(path)) {
    throw new Error(
      `shared data not found: ${path}\n` +
        'These tests need the data sets in ../shared/data next to the repository (fer2013/, faces-boxes/, photos/).',
    );
  }
  return path;
}

export const PHOTOS = resolve(__dirname, '..', 'photos');
