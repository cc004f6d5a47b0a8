/**
 * Layout geometry with the real bundled fonts: text stays inside the picture and off the
 * main face whenever a clear placement exists.
 */
import { Box, MEME_STYLES } from '../functions/core';
import {
  CaptionText,
  layoutMeme,
  LayoutFace,
  MemeLayout,
  overlapArea,
} from '../functions/core/render/layout';
import { canvasMeasurer } from '../functions/core/render/measure';

const measure = canvasMeasurer();

const CAPTIONS: Record<string, CaptionText> = {
  short: { top: 'me', bottom: 'also me' },
  'one character': { top: 'a' },
  wrapped: {
    top: 'when the meeting could have been an email and then it becomes two meetings',
    bottom: 'and a follow-up',
  },
  '2,000 characters': { top: 'word '.repeat(400), bottom: 'W'.repeat(2000) },
  chinese: { top: '周一早上的闹钟', bottom: '我跟它有仇' },
  emoji: { top: 'mood 😂🎉👍🏽', bottom: '👨‍👩‍👧 family' },
  'right-to-left and combining': { top: 'مرحبا بالعالم', bottom: 'Z̵̢a̶l̷g̴o ñ é' },
};

const PICTURES: Record<string, [number, number]> = {
  landscape: [1600, 1067],
  portrait: [900, 1600],
  square: [400, 400],
  'tiny 32 px': [32, 32],
  'thin strip': [1600, 90],
};

function faceAt(x: number, y: number, size: number, tag = '😄 happy 92%'): LayoutFace {
  return { box: { x, y, width: size, height: size }, tag };
}

function inside(box: Box, layout: MemeLayout): boolean {
  const eps = 1e-6;
  return (
    box.x >= -eps &&
    box.y >= -eps &&
    box.x + box.width <= layout.width + eps &&
    box.y + box.height <= layout.height + eps
  );
}

describe('text stays inside the picture', () => {
  const cases = MEME_STYLES.flatMap((style) =>
    Object.entries(PICTURES).flatMap(([picture, [width, height]]) =>
      Object.keys(CAPTIONS).map((caption) => [style, picture, caption, width, height] as const),
    ),
  );
  it.each(cases)('%s, %s, %s caption', (style, _picture, caption, width, height) => {
    const faces = [
      faceAt(width * 0.4, height * 0.3, Math.min(width, height) * 0.25),
      faceAt(width * 0.1, height * 0.5, Math.min(width, height) * 0.1, '😢 sad 61%'),
    ];
    const layout = layoutMeme({ style, width, height, faces, caption: CAPTIONS[caption]!, measure });
    expect(layout.blocks.length).toBeGreaterThan(0);
    for (const block of layout.blocks) {
      expect(inside(block.box, layout)).toBe(true);
      expect(block.lines.length).toBeLessThanOrEqual(block.role === 'label' ? 6 : 3);
      expect(block.size).toBeGreaterThan(0);
    }
  });
});

describe('classic text keeps off the main face when it can', () => {
  const [width, height] = [1200, 900];
  const caption = { top: 'when the wifi comes back', bottom: 'after five whole minutes' };
  const clear = (layout: MemeLayout): boolean =>
    layout.blocks.every((block) => overlapArea(block.box, layout.mainFace) === 0);

  it.each([
    ['in the middle', faceAt(480, 330, 240)],
    ['near the top', faceAt(500, 60, 260)],
    ['near the bottom', faceAt(450, 560, 280)],
  ])('face %s: no block covers it, top text stays above bottom text', (_where, main) => {
    const layout = layoutMeme({
      style: 'classic',
      width,
      height,
      faces: [faceAt(50, 50, 80), main],
      caption,
      measure,
    });
    expect(layout.blocks.map((block) => block.role)).toEqual(['top', 'bottom']);
    expect(clear(layout)).toBe(true);
    expect(layout.blocks[0]!.box.y + layout.blocks[0]!.box.height).toBeLessThanOrEqual(
      layout.blocks[1]!.box.y,
    );
    expect(layout.blocks.every((block) => !block.truncated)).toBe(true);
  });

  it('the main face is the largest one, not the first one listed', () => {
    const layout = layoutMeme({
      style: 'classic',
      width,
      height,
      faces: [faceAt(40, 700, 60), faceAt(500, 60, 260)],
      caption,
      measure,
    });
    expect(layout.mainFace!.y).toBeLessThan(100);
    expect(clear(layout)).toBe(true);
  });

  it('a face filling the frame leaves no clear band: text goes top and bottom over it', () => {
    const layout = layoutMeme({
      style: 'classic',
      width,
      height,
      faces: [faceAt(100, 40, 1000)],
      caption,
      measure,
    });
    expect(layout.blocks[0]!.box.y).toBeLessThan(height * 0.1);
    expect(layout.blocks[1]!.box.y + layout.blocks[1]!.box.height).toBeGreaterThan(height * 0.9);
  });
});

describe('label style', () => {
  it('puts the text on a white band above the photo, never on it', () => {
    const layout = layoutMeme({
      style: 'label',
      width: 800,
      height: 600,
      faces: [faceAt(300, 10, 200)],
      caption: { top: 'nobody:', bottom: 'me at 3 am:' },
      measure,
    });
    expect(layout.band).toBeDefined();
    expect(layout.photo.y).toBe(layout.band!.height);
    expect(layout.height).toBe(600 + layout.band!.height);
    const label = layout.blocks[0]!;
    expect(label.lines).toEqual(['nobody:', 'me at 3 am:']);
    expect(label.box.y + label.box.height).toBeLessThanOrEqual(layout.photo.y);
  });
});

describe('faces style', () => {
  it('tags each face of a crowd of 25, inside the picture, the main face uncovered', () => {
    const main = { x: 640, y: 440, width: 180, height: 180 };
    const faces: LayoutFace[] = [{ box: main, tag: '😄 happy 99%' }];
    for (let row = 0; faces.length < 25; row++) {
      for (let col = 0; col < 6 && faces.length < 25; col++) {
        const crowd = faceAt(40 + col * 260, 60 + row * 210, 90, '😐 neutral 55%');
        if (overlapArea(crowd.box, { x: main.x - 100, y: main.y - 100, width: 380, height: 380 }) === 0)
          faces.push(crowd);
      }
    }
    const layout = layoutMeme({ style: 'faces', width: 1600, height: 1300, faces, caption: {}, measure });
    expect(layout.blocks.filter((block) => block.role === 'tag')).toHaveLength(25);
    for (const block of layout.blocks) expect(inside(block.box, layout)).toBe(true);
    expect(layout.blocks.every((block) => overlapArea(block.box, main) === 0)).toBe(true);
  });

  it('anchors a tag to its face: just above the box when there is room', () => {
    const layout = layoutMeme({
      style: 'faces',
      width: 800,
      height: 600,
      faces: [faceAt(300, 200, 200)],
      caption: {},
      measure,
    });
    const tag = layout.blocks[0]!;
    expect(tag.box.y + tag.box.height).toBeLessThanOrEqual(200);
    expect(tag.box.y + tag.box.height).toBeGreaterThan(170);
    expect(Math.abs(tag.box.x + tag.box.width / 2 - 400)).toBeLessThan(1);
  });
});
