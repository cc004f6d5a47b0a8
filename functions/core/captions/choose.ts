/**
 * Picking a caption for an analysed photo from every face in it, weighted by size and
 * confidence. Deterministic for a given seed (the job id), so the same upload always gets
 * the same meme, yet spread evenly across seeds.
 *
 * The rule:
 * - People are the faces at least SUBJECT_SIZE as tall as the tallest; smaller ones are the
 *   background and do not count. A person weighs their face's height relative to the
 *   tallest, times the detector's confidence.
 * - The picture reads clearly when the people read with confidence (≥ LOW_CONFIDENCE) carry at
 *   least CLEAR_SHARE of the people's weight; otherwise it gets an "unsure" caption (for one
 *   person or for a group). So one doubtful face, however large, cannot outvote four sure ones.
 * - Confident people vote for their expression with weight × confidence; the most voted is the
 *   majority. One person, or one confident person: a caption for that expression. Several:
 *   when the people who differ carry under DISSENT_SHARE of the votes, a group caption worded
 *   for two, three to six, or a crowd; otherwise a contrast naming the majority and the odd one
 *   out (two people; a group where one differs; a group split several ways).
 */
import { createHash } from 'node:crypto';
import { Emotion, EMOTIONS, EmotionScores } from '../emotions';
import { Box } from '../geometry';
import { CaptionKind, Language } from '../vocabulary';
import { captionLibrary, CaptionPair, Contrast, GroupSize } from './library';

/** Below this probability the dominant expression is a guess. */
export const LOW_CONFIDENCE = 0.5;
/** Faces at least this share of the tallest face's height are people; smaller ones, background. */
export const SUBJECT_SIZE = 0.4;
/** The confident people must carry this share of the people's weight for a clear reading. */
export const CLEAR_SHARE = 0.5;
/** People disagreeing with the majority carry less than this share of the votes: still together. */
export const DISSENT_SHARE = 0.2;
/** From this many people a group is a crowd. */
export const CROWD_SIZE = 7;

export interface CaptionChoice extends CaptionPair {
  kind: CaptionKind;
  /** The expression the caption speaks of: the one face's, or the majority's. */
  emotion?: Emotion;
  /** Contrasts: the odd one out's expression (or the largest minority's). */
  other?: Emotion;
  /** How many people (not background faces) the caption speaks of. */
  people?: number;
}

export interface FaceReading {
  box: Box;
  emotions: EmotionScores;
  dominant: Emotion;
  /** Detector confidence, 0..1 (default 1). */
  score?: number;
}

export function chooseCaption(faces: readonly FaceReading[], lang: Language, seed: string): CaptionChoice {
  const library = captionLibrary(lang);
  const pick = (pool: readonly CaptionPair[], set: string): CaptionPair =>
    pool[seededIndex(`${seed}\u0000${lang}\u0000${set}`, pool.length)]!;
  if (faces.length === 0) return { kind: 'noFace', ...pick(library.noFace, 'noFace') };

  const tallest = Math.max(...faces.map((face) => face.box.height));
  const weight = (face: FaceReading): number => (face.box.height / tallest) * (face.score ?? 1);
  const confidence = (face: FaceReading): number => face.emotions[face.dominant];
  const sure = (face: FaceReading): boolean => confidence(face) >= LOW_CONFIDENCE;
  const people = faces.filter((face) => face.box.height >= SUBJECT_SIZE * tallest);
  const n = people.length;
  const sum = (list: readonly FaceReading[], value: (face: FaceReading) => number): number =>
    list.reduce((total, face) => total + value(face), 0);

  if (sum(people.filter(sure), weight) < CLEAR_SHARE * sum(people, weight)) {
    return n === 1
      ? { kind: 'unsure', people: n, ...pick(library.unsure, 'unsure') }
      : { kind: 'unsure', people: n, ...fill(pick(library.group.unsure, 'group.unsure'), { n: String(n) }) };
  }

  const surePeople = people.filter(sure);
  const vote = (face: FaceReading): number => weight(face) * confidence(face);
  const majority = leader(tally(surePeople, vote))!;
  if (surePeople.length === 1) {
    const emotion = surePeople[0]!.dominant;
    return {
      kind: 'expression',
      emotion,
      people: n,
      ...pick(library.expressions[emotion], `expression.${emotion}`),
    };
  }

  const { adjectives } = library.group;
  const dissenters = surePeople.filter((face) => face.dominant !== majority);
  if (sum(dissenters, vote) < DISSENT_SHARE * sum(surePeople, vote)) {
    const size: GroupSize = n === 2 ? 'pair' : n < CROWD_SIZE ? 'small' : 'crowd';
    const template = pick(library.group.together[size], `together.${size}.${majority}`);
    return {
      kind: 'together',
      emotion: majority,
      people: n,
      ...fill(template, { a: adjectives[majority], n: String(n) }),
    };
  }
  const other = leader(tally(dissenters, vote))!;
  const contrast: Contrast = n === 2 ? 'pair' : dissenters.length === 1 ? 'oddOneOut' : 'split';
  const template = pick(library.group.contrast[contrast], `contrast.${contrast}.${majority}.${other}`);
  return {
    kind: 'contrast',
    emotion: majority,
    other,
    people: n,
    ...fill(template, { a: adjectives[majority], b: adjectives[other], n: String(n) }),
  };
}

function tally(faces: readonly FaceReading[], value: (face: FaceReading) => number): Map<Emotion, number> {
  const votes = new Map<Emotion, number>();
  for (const face of faces) votes.set(face.dominant, (votes.get(face.dominant) ?? 0) + value(face));
  return votes;
}

/** The expression with the most votes; ties go to the earlier one in EMOTIONS, so the pick is stable. */
function leader(votes: Map<Emotion, number>): Emotion | undefined {
  let best: Emotion | undefined;
  for (const emotion of EMOTIONS) {
    const count = votes.get(emotion);
    if (count !== undefined && (best === undefined || count > votes.get(best)!)) best = emotion;
  }
  return best;
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
