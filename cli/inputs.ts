/** The pictures named on a command line: files as given, folders expanded. */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { PICTURE_FILE } from '../functions/core';
import { FileError, isFileError } from './fileErrors';

export interface InputPicture {
  /** The path to read, as the user wrote it (joined with the names found in folders). */
  path: string;
  /** Where its output goes below the output folder, without extension: the file's name, or
   * with --recursive its path below the folder named on the command line. */
  outputStem: string;
}

export interface Inputs {
  pictures: InputPicture[];
  /** Paths given that could not be read (missing, unreadable), each with why. */
  unreadable: { path: string; error: FileError }[];
  /** Folders whose subfolders were left out because --recursive was not given. */
  skippedSubfolders: string[];
}

/**
 * Expands folders to the pictures in them (sorted by name; with `recursive`, those in
 * subfolders too, hidden ones excepted). A path that cannot be read is reported, not thrown,
 * so one typo does not stop a batch.
 */
export function expandInputs(paths: readonly string[], recursive: boolean): Inputs {
  const inputs: Inputs = { pictures: [], unreadable: [], skippedSubfolders: [] };
  for (const path of paths) {
    try {
      if (!statSync(path).isDirectory()) {
        inputs.pictures.push({ path, outputStem: stem(basename(path)) });
        continue;
      }
      walk(path, '', recursive, new Set([realpathSync(path)]), inputs);
    } catch (error) {
      if (!isFileError(error)) throw error;
      inputs.unreadable.push({ path, error });
    }
  }
  return inputs;
}

function walk(dir: string, below: string, recursive: boolean, seen: Set<string>, inputs: Inputs): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  let skipped = false;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    // Symbolic links are followed; stat says what they point at.
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && isDirectoryPath(path));
    if (isDirectory) {
      if (entry.name.startsWith('.')) continue;
      if (!recursive) {
        skipped = true;
        continue;
      }
      const real = realpathSync(path);
      if (seen.has(real)) continue; // a link back up the tree
      seen.add(real);
      walk(path, join(below, entry.name), recursive, seen, inputs);
    } else if (PICTURE_FILE.test(entry.name)) {
      inputs.pictures.push({ path, outputStem: join(below, stem(entry.name)) });
    }
  }
  if (skipped) inputs.skippedSubfolders.push(dir);
}

function isDirectoryPath(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a dangling link: not a folder, and not a picture either
  }
}

const stem = (name: string): string => basename(name, extname(name));
