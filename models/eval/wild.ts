/**
 * `expressions-wild` (LFW news photos, crowd-labelled happy / neutral / surprise):
 * its labels, and the split by person into people we may train on and people held
 * apart for validation. The split is a pure function of the person's name, so the
 * training script, `models:fit` and the face-api baseline all see the same people.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalEmotion, Emotion, EMOTIONS } from '../../functions/core';
import { LabelledImage } from './dataset';

export interface WildImage extends LabelledImage {
  /** The LFW person: every picture of one person falls on the same side of the split. */
  identity: string;
}

export type WildSplit = 'train' | 'validation';

/** About this share of the people (and of the people with a surprise picture) is held apart. */
export const WILD_VALIDATION_SHARE = 1 / 3;
const SALT = 'memegen expressions-wild split v1';

/** A person's place in [0, 1): a hash, so adding people never moves anyone else. */
export function identityRank(identity: string): number {
  return createHash('sha256').update(`${SALT}\0${identity}`).digest().readUInt32BE(0) / 2 ** 32;
}

export function readWildImages(dir: string): WildImage[] {
  const csv = join(dir, 'labels.csv');
  if (!existsSync(csv)) throw new Error(`expressions-wild labels not found: ${csv}`);
  const [header, ...rows] = readFileSync(csv, 'utf8').trim().split(/\r?\n/);
  const columns = header.split(',');
  const at = (name: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`${csv}: no "${name}" column`);
    return i;
  };
  const [file, cls, identity] = [at('file'), at('class'), at('identity')];
  return rows
    .map((row) => row.split(','))
    .map((cells) => {
      const label: Emotion = canonicalEmotion(cells[cls]);
      return {
        path: join(dir, cells[file]),
        name: cells[file],
        label,
        labelIndex: EMOTIONS.indexOf(label),
        identity: cells[identity],
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Which side of the split each person is on. People with a surprise picture (the rare
 * class, 31 pictures) are split on their own, every third in rank order held apart,
 * so that validation gets its share of them; everyone else by rank < share.
 */
export function wildSplit(images: WildImage[]): Map<string, WildSplit> {
  const surprised = new Set(images.filter((i) => i.label === 'surprise').map((i) => i.identity));
  const split = new Map<string, WildSplit>();
  [...surprised]
    .sort((a, b) => identityRank(a) - identityRank(b))
    .forEach((person, i) => split.set(person, i % 3 === 1 ? 'validation' : 'train'));
  for (const { identity } of images) {
    if (!split.has(identity))
      split.set(identity, identityRank(identity) < WILD_VALIDATION_SHARE ? 'validation' : 'train');
  }
  return split;
}

export function wildImagesOf(images: WildImage[], side: WildSplit): WildImage[] {
  const split = wildSplit(images);
  return images.filter((i) => split.get(i.identity) === side);
}
