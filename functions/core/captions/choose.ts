/**
 * Picking a caption for an analysed photo. Deterministic for a given seed (the job id),
 * so the same upload always gets the same meme, yet spread evenly across seeds.
 */
import { createHash } from 'node:crypto';
import { Emotion, EmotionScores } from '../emotions';
import { Box } from '../geometry';
import { CaptionKind, Language } from '../vocabulary';
import { captionLibrary, CaptionPair } from './library';

/** Below this probability the dominant expression is a guess; a caption that suits any face is safer. */
export const LOW_CONFIDENCE = 0.5;

export interface CaptionChoice extends CaptionPair {
  kind: CaptionKind;
  /** The expression the caption was chosen for (the main face's), when there is one. */
  emotion?: Emotion;
}

export interface FaceReading {
  box: Box;
  emotions: EmotionScores;
  dominant: Emotion;
}

export function chooseCaption(faces: readonly FaceReading[], lang: Language, seed: string): CaptionChoice {
  const library = captionLibrary(lang);
  const pick = (pool: readonly CaptionPair[], kind: CaptionKind, emotion?: Emotion): CaptionPair =>
    pool[seededIndex(`${seed}\u0000${lang}\u0000${kind}\u0000${emotion ?? ''}`, pool.length)]!;
  if (faces.length === 0) return { kind: 'noFace', ...pick(library.noFace, 'noFace') };

  const bySize = [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  const main = bySize[0]!;
  const confident = (face: FaceReading): boolean => face.emotions[face.dominant] >= LOW_CONFIDENCE;
  if (!confident(main)) return { kind: 'unsure', ...pick(library.unsure, 'unsure') };

  const { adjectives } = library.group;
  const others = bySize.slice(1).filter(confident);
  const contrast = others.find((face) => face.dominant !== main.dominant);
  if (contrast) {
    const template = pick(library.group.templates, 'group', main.dominant);
    return {
      kind: 'group',
      emotion: main.dominant,
      ...fill(template, { a: adjectives[main.dominant], b: adjectives[contrast.dominant] }),
    };
  }
  if (others.length > 0) {
    const template = pick(library.crowd, 'crowd', main.dominant);
    return {
      kind: 'crowd',
      emotion: main.dominant,
      ...fill(template, { a: adjectives[main.dominant], n: String(faces.length) }),
    };
  }
  return {
    kind: 'expression',
    emotion: main.dominant,
    ...pick(library.expressions[main.dominant], 'expression', main.dominant),
  };
}

/** Uniform index in [0, count) from a string, stable across processes and platforms. */
export function seededIndex(seed: string, count: number): number {
  const digest = createHash('sha256').update(seed).digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(count));
}

/** Substitutes `{name}` placeholders in a template's top and bottom text. */
export function fill(template: CaptionPair, values: Record<string, string>): CaptionPair {
  const apply = (text: string): string =>
    text.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
  return {
    ...(template.top !== undefined && { top: apply(template.top) }),
    ...(template.bottom !== undefined && { bottom: apply(template.bottom) }),
  };
}
