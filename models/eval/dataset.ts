/**
 * Labelled face-crop datasets laid out as `<dir>/<class>/<image>`, class folder
 * names being emotions (FER2013's, or aliases like "fearful").
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { canonicalEmotion, Emotion, EMOTIONS, PICTURE_FILE } from '../../functions/core';
import { EvalInputError } from './inputError';

export interface LabelledImage {
  path: string;
  /** Path relative to the dataset root, with forward slashes. */
  name: string;
  label: Emotion;
  labelIndex: number;
}

export function listLabelledImages(dir: string): LabelledImage[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new EvalInputError(`dataset folder not found: ${dir} (expected <dir>/<emotion>/<image> folders)`);
  }
  const items: LabelledImage[] = [];
  for (const folder of readdirSync(dir).sort()) {
    if (!statSync(join(dir, folder)).isDirectory()) continue;
    let label: Emotion;
    try {
      label = canonicalEmotion(folder);
    } catch {
      throw new EvalInputError(
        `dataset folder "${folder}" is not an emotion; expected one of ${EMOTIONS.join(', ')}`,
      );
    }
    for (const file of readdirSync(join(dir, folder)).sort()) {
      if (!PICTURE_FILE.test(file)) continue;
      items.push({
        path: join(dir, folder, file),
        name: `${folder}/${file}`,
        label,
        labelIndex: EMOTIONS.indexOf(label),
      });
    }
  }
  if (items.length === 0) throw new EvalInputError(`no labelled images under ${dir}`);
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

/** Digest of an image's decoded pixels: equal for byte-different files showing the same picture. */
export async function pixelDigest(path: string): Promise<string> {
  const { data, info } = await sharp(readFileSync(path))
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return createHash('sha256').update(`${info.width}x${info.height}:`).update(data).digest('hex');
}

function imageFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return imageFilesUnder(path);
    return PICTURE_FILE.test(entry.name) ? [path] : [];
  });
}

/**
 * Splits `items` into those whose pixels appear nowhere under `referenceDir` and
 * those that do (e.g. validation crops that are also in a model's training data).
 */
export async function withoutDuplicatesOf(
  items: LabelledImage[],
  referenceDir: string,
): Promise<{ kept: LabelledImage[]; duplicates: LabelledImage[] }> {
  if (!existsSync(referenceDir))
    throw new EvalInputError(`folder to de-duplicate against not found: ${referenceDir}`);
  const reference = new Set<string>();
  for (const file of imageFilesUnder(referenceDir)) reference.add(await pixelDigest(file));
  const kept: LabelledImage[] = [];
  const duplicates: LabelledImage[] = [];
  for (const item of items) (reference.has(await pixelDigest(item.path)) ? duplicates : kept).push(item);
  return { kept, duplicates };
}
