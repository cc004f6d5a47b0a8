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

export interface CaptionLibrary {
  lang: Language;
  /** Captions for one face (or the main face) showing each expression. */
  expressions: Record<Emotion, CaptionPair[]>;
  /** Captions that suit any face, for expressions read with low confidence. */
  unsure: CaptionPair[];
  /** Photos without a face. */
  noFace: CaptionPair[];
  /** 2+ faces sharing one expression; `{n}` = number of faces, `{a}` = the shared adjective. */
  crowd: CaptionPair[];
  group: {
    /** Predicative adjective per expression, substituted for `{a}` and `{b}`. */
    adjectives: Record<Emotion, string>;
    /** 2+ faces with different expressions: `{a}` = the main face's, `{b}` = another face's. */
    templates: CaptionPair[];
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

function checkLibrary(data: unknown, lang: Language): CaptionLibrary {
  const fail = (what: string): never => {
    throw new Error(`caption library "${lang}": ${what}`);
  };
  const record = (value: unknown, where: string): Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : fail(`${where} is not an object`);
  const pairs = (value: unknown, where: string): CaptionPair[] => {
    if (!Array.isArray(value) || value.length === 0) return fail(`${where} is not a non-empty list`);
    return value.map((item, i) => {
      const pair = record(item, `${where}[${i}]`);
      const top = pair.top;
      const bottom = pair.bottom;
      const valid = (text: unknown): boolean =>
        text === undefined || (typeof text === 'string' && text.trim() !== '');
      if (!valid(top) || !valid(bottom) || (top === undefined && bottom === undefined))
        fail(`${where}[${i}] needs a non-empty top or bottom`);
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
  return {
    lang,
    expressions: Object.fromEntries(
      EMOTIONS.map((emotion) => [emotion, pairs(expressions[emotion], `expressions.${emotion}`)]),
    ) as Record<Emotion, CaptionPair[]>,
    unsure: pairs(root.unsure, 'unsure'),
    noFace: pairs(root.noFace, 'noFace'),
    crowd: pairs(root.crowd, 'crowd'),
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
      templates: pairs(group.templates, 'group.templates'),
    },
  };
}
