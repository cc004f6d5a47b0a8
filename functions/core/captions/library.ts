/**
 * The caption library: captions written for this project, per language, in JSON next to
 * this file. Loaded and checked once; a malformed library fails loudly at start-up, not
 * halfway through a meme.
 */
import { Emotion, EMOTIONS } from '../emotions';
import { Language } from '../vocabulary';
import en from './en.json';
import zh from './zh.json';

/** Top and/or bottom text; at least one is present. */
export interface CaptionPair {
  top?: string;
  bottom?: string;
}

/** How many people a group caption speaks of: two, a small group (3–6) or a crowd (7 or more). */
export const GROUP_SIZES = ['pair', 'small', 'crowd'] as const;
export type GroupSize = (typeof GROUP_SIZES)[number];

/** Group captions that set two expressions against each other: two people, one odd one out, a split group. */
export const CONTRASTS = ['pair', 'oddOneOut', 'split'] as const;
export type Contrast = (typeof CONTRASTS)[number];

export interface CaptionLibrary {
  lang: Language;
  /** Captions for one person showing each expression. */
  expressions: Record<Emotion, CaptionPair[]>;
  /** Captions that suit any one face, for an expression read with low confidence. */
  unsure: CaptionPair[];
  /** Photos without a face. */
  noFace: CaptionPair[];
  group: {
    /** Predicative adjective per expression, substituted for `{a}` and `{b}`. */
    adjectives: Record<Emotion, string>;
    /** Everyone (or nearly) shows one expression: `{a}` its adjective, `{n}` the number of people. */
    together: Record<GroupSize, CaptionPair[]>;
    /** `{a}` the majority's adjective, `{b}` the odd one out's (or the minority's), `{n}` the number of people. */
    contrast: Record<Contrast, CaptionPair[]>;
    /** Several people and no clear reading of the picture as a whole; `{n}` the number of people. */
    unsure: CaptionPair[];
  };
}

const SOURCES: Record<Language, unknown> = { en, zh };
const loaded = new Map<Language, CaptionLibrary>();

export function captionLibrary(lang: Language): CaptionLibrary {
  let library = loaded.get(lang);
  if (!library) {
    library = checkLibrary(SOURCES[lang], lang);
    loaded.set(lang, library);
  }
  return library;
}

/** Checks a library's shape and placeholders; throws naming the first fault. Exported for tests. */
export function checkLibrary(data: unknown, lang: Language): CaptionLibrary {
  const fail = (what: string): never => {
    throw new Error(`caption library "${lang}": ${what}`);
  };
  const record = (value: unknown, where: string): Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : fail(`${where} is not an object`);
  /** A non-empty list of captions using only `allowed` placeholders and every one of `required`. */
  const pairs = (
    value: unknown,
    where: string,
    allowed: readonly string[] = [],
    required: readonly string[] = [],
  ): CaptionPair[] => {
    if (!Array.isArray(value) || value.length === 0) return fail(`${where} is not a non-empty list`);
    return value.map((item, i) => {
      const pair = record(item, `${where}[${i}]`);
      const top = pair.top;
      const bottom = pair.bottom;
      const valid = (text: unknown): boolean =>
        text === undefined || (typeof text === 'string' && text.trim() !== '');
      if (!valid(top) || !valid(bottom) || (top === undefined && bottom === undefined))
        fail(`${where}[${i}] needs a non-empty top or bottom`);
      const text = `${(top as string | undefined) ?? ''} ${(bottom as string | undefined) ?? ''}`;
      const used = new Set(Array.from(text.matchAll(/\{(\w*)\}/g), (match) => match[1]!));
      for (const name of used)
        if (!allowed.includes(name)) fail(`${where}[${i}] uses an unknown placeholder {${name}}`);
      for (const name of required)
        if (!used.has(name)) fail(`${where}[${i}] needs the placeholder {${name}}`);
      if (/[{}]/.test(text.replace(/\{\w+\}/g, ''))) fail(`${where}[${i}] has a stray brace`);
      return {
        ...(top !== undefined && { top: top as string }),
        ...(bottom !== undefined && { bottom: bottom as string }),
      };
    });
  };
  const root = record(data, 'library');
  if (root.lang !== lang) fail(`declares lang ${String(root.lang)}`);
  const expressions = record(root.expressions, 'expressions');
  const group = record(root.group, 'group');
  const adjectives = record(group.adjectives, 'group.adjectives');
  const together = record(group.together, 'group.together');
  const contrast = record(group.contrast, 'group.contrast');
  return {
    lang,
    expressions: Object.fromEntries(
      EMOTIONS.map((emotion) => [emotion, pairs(expressions[emotion], `expressions.${emotion}`)]),
    ) as Record<Emotion, CaptionPair[]>,
    unsure: pairs(root.unsure, 'unsure'),
    noFace: pairs(root.noFace, 'noFace'),
    group: {
      adjectives: Object.fromEntries(
        EMOTIONS.map((emotion) => {
          const adjective = adjectives[emotion];
          return [
            emotion,
            typeof adjective === 'string' && adjective !== ''
              ? adjective
              : fail(`group.adjectives.${emotion} missing`),
          ];
        }),
      ) as Record<Emotion, string>,
      together: Object.fromEntries(
        GROUP_SIZES.map((size) => [size, pairs(together[size], `group.together.${size}`, ['n', 'a'])]),
      ) as Record<GroupSize, CaptionPair[]>,
      contrast: Object.fromEntries(
        CONTRASTS.map((kind) => [
          kind,
          pairs(contrast[kind], `group.contrast.${kind}`, ['a', 'b', 'n'], ['a', 'b']),
        ]),
      ) as Record<Contrast, CaptionPair[]>,
      unsure: pairs(group.unsure, 'group.unsure', ['n']),
    },
  };
}
