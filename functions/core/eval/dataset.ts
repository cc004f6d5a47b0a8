/**
 * Labelled face-crop datasets laid out as `<dir>/<class>/<image>`, class folder
 * names being emotions (FER2013's, or aliases like "fearful").
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalEmotion, Emotion, EMOTIONS } from '../emotions';

export interface LabelledImage {
  path: string;
  /** Path relative to the dataset root, with forward slashes. */
  name: string;
  label: Emotion;
  labelIndex: number;
}

const IMAGE_FILE = /\.(jpe?g|png|webp|gif|bmp|tiff?)$/i;

export function listLabelledImages(dir: string): LabelledImage[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`dataset folder not found: ${dir} (expected <dir>/<emotion>/<image> folders)`);
  }
  const items: LabelledImage[] = [];
  for (const folder of readdirSync(dir).sort()) {
    if (!statSync(join(dir, folder)).isDirectory()) continue;
    let label: Emotion;
    try {
      label = canonicalEmotion(folder);
    } catch {
      throw new Error(`dataset folder "${folder}" is not an emotion; expected one of ${EMOTIONS.join(', ')}`);
    }
    for (const file of readdirSync(join(dir, folder)).sort()) {
      if (!IMAGE_FILE.test(file)) continue;
      items.push({ path: join(dir, folder, file), name: `${folder}/${file}`, label, labelIndex: EMOTIONS.indexOf(label) });
    }
  }
  if (items.length === 0) throw new Error(`no labelled images under ${dir}`);
  return items;
}

/** sha256 over every (name, bytes) pair in order: identifies exactly the data a fit used. */
export function datasetSha256(items: LabelledImage[]): string {
  const hash = createHash('sha256');
  for (const item of items) {
    hash.update(item.name);
    hash.update('\0');
    hash.update(createHash('sha256').update(readFileSync(item.path)).digest());
  }
  return hash.digest('hex');
}
