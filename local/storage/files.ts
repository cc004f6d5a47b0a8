import { open, readFile, rename, rm } from 'node:fs/promises';

// Crash safety: everything visible is published by rename(2) of a fully written temp file,
// so a crashed server leaves either the old state or the new one. No fsync: this is a
// development server, surviving a power cut is not its job, and an fsync per write made
// every object write ~8 ms slower, a third of the pipeline's storage time per meme.

export async function writeFileAtomic(path: string, data: string, tempPath: string): Promise<void> {
  const handle = await open(tempPath, 'w', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
  } finally {
    await handle.close();
  }
  await rename(tempPath, path);
}

export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => undefined);
}
