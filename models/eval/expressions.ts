/**
 * Runs expression models over a labelled crop dataset, each crop taken whole
 * (the images are already faces), in batches.
 */
import { readFileSync } from 'node:fs';
import { decodeImage, ExpressionModel, RgbImage, wholeImageFrame } from '../../functions/core';
import { LabelledImage } from './dataset';

export interface ModelPredictions {
  plain: Float32Array[];
  flipped: Float32Array[];
}

const BATCH = 64;

export async function decodeDataset(items: LabelledImage[]): Promise<RgbImage[]> {
  const images: RgbImage[] = [];
  for (const item of items) images.push(await decodeImage(readFileSync(item.path)));
  return images;
}

/** Plain and mirrored probabilities of one model for every image. */
export async function predictDataset(model: ExpressionModel, images: RgbImage[]): Promise<ModelPredictions> {
  const plain: Float32Array[] = [];
  const flipped: Float32Array[] = [];
  for (let start = 0; start < images.length; start += BATCH) {
    const inputs = images
      .slice(start, start + BATCH)
      .map((image) => ({ image, frame: wholeImageFrame(image) }));
    plain.push(...(await model.predict(inputs)));
    flipped.push(...(await model.predict(inputs, true)));
  }
  return { plain, flipped };
}

export const averaged = (p: ModelPredictions): Float32Array[] =>
  p.plain.map((row, i) => row.map((v, k) => (v + p.flipped[i][k]) / 2));

export const chosen = (p: ModelPredictions, flip: boolean): Float32Array[] => (flip ? averaged(p) : p.plain);
