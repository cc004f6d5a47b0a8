/** The caption library and how a caption is chosen for a photo. */
import {
  captionLibrary,
  CaptionPair,
  Emotion,
  EMOTIONS,
  EmotionScores,
  FAMILY,
  Language,
  LANGUAGES,
  MemeStyle,
} from '../functions/core';
import { chooseCaption, FaceReading, fill, LOW_CONFIDENCE } from '../functions/core/captions/choose';
import { layoutMeme } from '../functions/core/render/layout';
import { canvasMeasurer } from '../functions/core/render/measure';

const measure = canvasMeasurer();

/** Every caption a library can produce, templates filled with their widest adjectives and a two-digit count. */
function everyCaption(lang: Language): { where: string; caption: CaptionPair }[] {
  const library = captionLibrary(lang);
  const adjectives = Object.values(library.group.adjectives);
  const widest = adjectives.reduce((a, b) =>
    measure(b.toUpperCase(), FAMILY.impact, 10) > measure(a.toUpperCase(), FAMILY.impact, 10) ? b : a,
  );
  const values = { a: widest, b: widest, n: '20' };
  return [
    ...EMOTIONS.flatMap((emotion) =>
      library.expressions[emotion].map((caption, i) => ({ where: `expressions.${emotion}[${i}]`, caption })),
    ),
    ...library.unsure.map((caption, i) => ({ where: `unsure[${i}]`, caption })),
    ...library.noFace.map((caption, i) => ({ where: `noFace[${i}]`, caption })),
    ...library.crowd.map((caption, i) => ({ where: `crowd[${i}]`, caption: fill(caption, values) })),
    ...library.group.templates.map((caption, i) => ({
      where: `group.templates[${i}]`,
      caption: fill(caption, values),
    })),
  ];
}

function scores(dominant: Emotion, probability: number): EmotionScores {
  const rest = (1 - probability) / (EMOTIONS.length - 1);
  return Object.fromEntries(EMOTIONS.map((e) => [e, e === dominant ? probability : rest])) as EmotionScores;
}

function face(dominant: Emotion, probability = 0.9, size = 100, x = 0): FaceReading {
  return { box: { x, y: 50, width: size, height: size }, emotions: scores(dominant, probability), dominant };
}

describe.each(LANGUAGES)('caption library "%s"', (lang) => {
  const library = captionLibrary(lang);
  const minimum = lang === 'en' ? 40 : 20;

  it(`has at least ${minimum} captions for every expression, plus no-face, unsure, crowd and group sets`, () => {
    for (const emotion of EMOTIONS)
      expect(library.expressions[emotion].length).toBeGreaterThanOrEqual(minimum);
    expect(library.noFace.length).toBeGreaterThanOrEqual(10);
    expect(library.unsure.length).toBeGreaterThanOrEqual(10);
    expect(library.crowd.length).toBeGreaterThanOrEqual(5);
    expect(library.group.templates.length).toBeGreaterThanOrEqual(5);
  });

  it('has no duplicate captions and only known placeholders', () => {
    const texts = everyCaption(lang).map(({ caption }) => `${caption.top ?? ''}|${caption.bottom ?? ''}`);
    expect(new Set(texts).size).toBe(texts.length);
    const unfilled = everyCaption(lang).filter(({ caption }) =>
      /[{}]/.test(`${caption.top ?? ''} ${caption.bottom ?? ''}`),
    );
    expect(unfilled).toEqual([]);
    for (const template of library.group.templates)
      expect(`${template.top ?? ''} ${template.bottom ?? ''}`).toMatch(/\{a\}[^]*\{b\}|\{b\}[^]*\{a\}/);
  });

  it.each([
    ['classic', 400, 400],
    ['classic', 400, 267],
    ['label', 400, 267],
  ] as [MemeStyle, number, number][])(
    'every caption fits a %s meme %i×%i px: whole, within the line limit, inside the picture',
    (style, width, height) => {
      const problems: string[] = [];
      for (const { where, caption } of everyCaption(lang)) {
        const layout = layoutMeme({ style, width, height, faces: [], caption, measure });
        for (const block of layout.blocks) {
          const inside =
            block.box.x >= 0 &&
            block.box.y >= 0 &&
            block.box.x + block.box.width <= layout.width &&
            block.box.y + block.box.height <= layout.height;
          const maxLines = style === 'classic' ? 3 : 6;
          if (block.truncated || block.lines.length > maxLines || !inside)
            problems.push(`${where}: ${JSON.stringify(block.lines)} at ${block.size.toFixed(1)} px`);
        }
      }
      expect(problems).toEqual([]);
    },
  );
});

describe('chooseCaption', () => {
  it('gives the same caption for the same job id, and varied captions across ids', () => {
    const faces = [face('happy')];
    expect(chooseCaption(faces, 'en', 'job-1')).toEqual(chooseCaption(faces, 'en', 'job-1'));
    const distinct = new Set(
      Array.from({ length: 200 }, (_, i) => JSON.stringify(chooseCaption(faces, 'en', `job-${i}`))),
    );
    // 200 draws from 40+ captions: a uniform pick sees nearly all of them.
    expect(distinct.size).toBeGreaterThanOrEqual(30);
  });

  it('captions one confident face with its expression', () => {
    for (const emotion of EMOTIONS) {
      const choice = chooseCaption([face(emotion)], 'en', 'seed');
      expect(choice.kind).toBe('expression');
      expect(choice.emotion).toBe(emotion);
      expect(captionLibrary('en').expressions[emotion]).toContainEqual({
        top: choice.top,
        bottom: choice.bottom,
      });
    }
  });

  it('prefers a caption that suits any face when the expression is a low-confidence guess', () => {
    const choice = chooseCaption([face('angry', LOW_CONFIDENCE - 0.1)], 'en', 'seed');
    expect(choice.kind).toBe('unsure');
  });

  it('has a set for photos without faces', () => {
    expect(chooseCaption([], 'zh', 'seed').kind).toBe('noFace');
  });

  it('contrasts the main face with another face showing a different expression', () => {
    const choice = chooseCaption([face('sad', 0.9, 60, 0), face('happy', 0.9, 120, 200)], 'en', 'seed');
    expect(choice.kind).toBe('group');
    expect(choice.emotion).toBe('happy');
    const text = `${choice.top ?? ''} ${choice.bottom ?? ''}`;
    const { adjectives } = captionLibrary('en').group;
    expect(text).toContain(adjectives.happy);
    expect(text).toContain(adjectives.sad);
  });

  it('uses the crowd set when every confident face agrees', () => {
    const choice = chooseCaption(
      [face('surprise'), face('surprise', 0.8, 90, 200), face('fear', 0.3, 80, 400)],
      'en',
      'seed',
    );
    expect(choice.kind).toBe('crowd');
    expect(choice.emotion).toBe('surprise');
    expect(`${choice.top ?? ''} ${choice.bottom ?? ''}`).not.toMatch(/[{}]/);
  });
});
