/**
 * Layout geometry with the real bundled fonts, on made-up face boxes (no detector): text stays
 * inside the picture and off every face whenever a readable placement exists; tags stay joined
 * to their faces and off the others.
 */
import { Box, captionLibrary, FAMILY, MEME_STYLES, MemeStyle } from '../functions/core';
import { fill } from '../functions/core/captions/choose';
import { classicBlockHeight, padding, strokeOf } from '../functions/core/render/blocks';
import { faceRegion } from '../functions/core/render/faceRegions';
import {
  CaptionText,
  layoutMeme,
  LayoutFace,
  MemeLayout,
  overlapArea,
} from '../functions/core/render/layout';
import { canvasMeasurer } from '../functions/core/render/measure';
import { MAX_TAGS, segmentCrosses } from '../functions/core/render/tagPlacement';
import { memeCase } from '../functions/core/render/text';
import { wrapLines } from '../functions/core/render/wrap';

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

/** A small seeded generator, so the scenes are the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Scene {
  width: number;
  height: number;
  faces: LayoutFace[];
  caption: CaptionText;
}

const SHAPES: [number, number][] = [
  [1600, 1067],
  [1067, 1600],
  [1200, 1200],
  [1600, 800],
];

/**
 * Group photos as the layout sees them, made up so the tests do not depend on a detector:
 * one to eight faces, 6–22 % of the short side, anywhere, not overlapping one another,
 * with captions from the library.
 */
function scenes(count: number, seed: number): Scene[] {
  const next = random(seed);
  const library = captionLibrary('en');
  const pool: CaptionText[] = [
    ...Object.values(library.expressions).flat(),
    ...library.unsure,
    ...library.group.together.small.map((c) => fill(c, { n: '5', a: 'thrilled' })),
    ...library.group.contrast.oddOneOut.map((c) => fill(c, { n: '5', a: 'thrilled', b: 'heartbroken' })),
  ];
  return Array.from({ length: count }, (_, index) => {
    const [width, height] = SHAPES[index % SHAPES.length]!;
    const wanted = 1 + Math.floor(next() * 8);
    const faces: LayoutFace[] = [];
    for (let attempt = 0; faces.length < wanted && attempt < 200; attempt++) {
      const size = (0.06 + next() * 0.16) * Math.min(width, height);
      const box = { x: next() * (width - size), y: next() * (height - size), width: size, height: size };
      const region = faceRegion(box, width, height);
      if (faces.some((face) => overlapArea(faceRegion(face.box, width, height), region) > 0)) continue;
      faces.push({ box, tag: '😄 happy 92%', score: 0.7 + next() * 0.3 });
    }
    return { width, height, faces, caption: pool[Math.floor(next() * pool.length)]! };
  });
}

/**
 * Whether some placement keeps the whole caption clear of every face at a readable size,
 * worked out independently of the layout code: text as wide as the picture, in the horizontal
 * bands no face region reaches (a margin away from faces and edges), each block at 4 % of the
 * height (or the fitter's minimum size), top text above bottom text.
 */
function clearPlacementExists(scene: Scene): boolean {
  const { width, height } = scene;
  const pad = padding(width, height);
  const size = Math.max(0.04 * height, Math.min(24, Math.max(6, 0.035 * width)));
  const maxWidth = width - 2 * pad - strokeOf(Math.min(width * 0.11, height * 0.16));
  const heights = (['top', 'bottom'] as const)
    .filter((role) => (scene.caption[role] ?? '') !== '')
    .map((role) => {
      const lines = wrapLines(memeCase(scene.caption[role]!), maxWidth, (t) =>
        measure(t, FAMILY.impact, size),
      );
      return lines.length <= 3 ? classicBlockHeight(lines.length, size, 1.12) : Infinity;
    });
  const blocked = scene.faces
    .map((face) => faceRegion(face.box, width, height))
    .map((r) => [r.y - pad, r.y + r.height + pad] as const)
    .sort((a, b) => a[0] - b[0]);
  const bands: number[] = [];
  let y = pad;
  for (const [y0, y1] of blocked) {
    if (y0 > y) bands.push(Math.min(y0, height - pad) - y);
    y = Math.max(y, y1);
  }
  if (y < height - pad) bands.push(height - pad - y);
  if (heights.length === 1) return bands.some((band) => band >= heights[0]!);
  return bands.some(
    (band, i) =>
      band >= heights[0]! + heights[1]! ||
      (band >= heights[0]! && bands.slice(i + 1).some((later) => later >= heights[1]!)),
  );
}

const classicBlocks = (layout: MemeLayout): MemeLayout['blocks'] =>
  layout.blocks.filter((block) => block.role === 'top' || block.role === 'bottom');

describe('classic text never covers a face when a readable placement avoids them all', () => {
  const all = scenes(240, 13);
  const clearable = all.filter(clearPlacementExists);

  it('the made-up scenes include many with a clear placement and some without', () => {
    expect(clearable.length).toBeGreaterThan(all.length / 3);
    expect(clearable.length).toBeLessThan(all.length);
  });

  it('in every scene that has one, no text touches a face region, all of it whole and ≥ 4 % of the height', () => {
    const problems: string[] = [];
    clearable.forEach((scene, i) => {
      const layout = layoutMeme({ style: 'classic', ...scene, measure });
      const regions = scene.faces.map((face) => faceRegion(face.box, scene.width, scene.height));
      for (const block of classicBlocks(layout)) {
        const covered = regions.reduce((sum, region) => sum + overlapArea(block.box, region), 0);
        if (covered > 0 || block.truncated || block.size < 0.04 * scene.height - 1e-6)
          problems.push(`scene ${i} ${block.role}: covers ${covered.toFixed(0)} px², size ${block.size}`);
      }
    });
    expect(problems).toEqual([]);
  });

  it('keeps top text above bottom text and everything inside the picture', () => {
    for (const scene of all) {
      const layout = layoutMeme({ style: 'classic', ...scene, measure });
      const [top, bottom] = [
        layout.blocks.find((b) => b.role === 'top'),
        layout.blocks.find((b) => b.role === 'bottom'),
      ];
      if (top && bottom) expect(top.box.y + top.box.height).toBeLessThanOrEqual(bottom.box.y + 1e-6);
      for (const block of layout.blocks) expect(inside(block.box, layout)).toBe(true);
    }
  });

  it("puts a couple's caption in the empty sky above them (the issue's example)", () => {
    const [width, height] = [1024, 768];
    const faces = [faceAt(330, 380, 150), faceAt(560, 420, 140)];
    const layout = layoutMeme({
      style: 'classic',
      width,
      height,
      faces,
      caption: { top: '2 people, one mood:', bottom: 'thrilled' },
      measure,
    });
    const regions = faces.map((face) => faceRegion(face.box, width, height));
    for (const block of layout.blocks) {
      expect(regions.every((region) => overlapArea(block.box, region) === 0)).toBe(true);
    }
    // Top text at the top; the bottom text under the faces or, stacked, above them.
    expect(layout.blocks[0]!.box.y).toBeLessThan(0.05 * height);
  });
});

describe('when every placement covers a face, the least of them is covered', () => {
  const [width, height] = [1200, 900];
  const caption = { top: 'when the group photo finally has everyone in it' };
  const face = (x: number, y: number, size: number, score = 0.9): LayoutFace => ({
    box: { x, y, width: size, height: size },
    tag: '',
    score,
  });
  /** Which faces (indexes) the caption covers. */
  const covered = (faces: LayoutFace[]): number[] => {
    const layout = layoutMeme({ style: 'classic', width, height, faces, caption, measure });
    return faces.flatMap((f, i) =>
      layout.blocks.some((block) => overlapArea(block.box, faceRegion(f.box, width, height)) > 0) ? [i] : [],
    );
  };
  // A face at the top and one as far from the bottom edge: no band is free, so the caption
  // (alone, it may go at either edge) covers one of them.
  const rows = (topScore: number, bottomScore: number): LayoutFace[] => [
    face(450, 60, 300, topScore),
    face(450, 540, 300, bottomScore),
  ];

  it('no band is free in these pictures', () => {
    expect(clearPlacementExists({ width, height, faces: rows(1, 1), caption })).toBe(false);
  });

  it('slides a short caption to a side of the picture when that keeps it off every face', () => {
    const faces = rows(0.9, 0.9);
    const layout = layoutMeme({
      style: 'classic',
      width,
      height,
      faces,
      caption: { top: 'me too' },
      measure,
    });
    const [block] = layout.blocks;
    for (const face of faces) expect(overlapArea(block!.box, faceRegion(face.box, width, height))).toBe(0);
    expect(Math.abs(block!.box.x + block!.box.width / 2 - width / 2)).toBeGreaterThan(100);
    expect(block!.size).toBeGreaterThanOrEqual(0.04 * height);
  });

  it('covers the doubtful detection rather than the sure one', () => {
    expect(covered(rows(0.95, 0.3))).toEqual([1]);
    expect(covered(rows(0.3, 0.95))).toEqual([0]);
  });

  it('covers a small face rather than a large one', () => {
    expect(covered([face(450, 60, 300), face(525, 440, 150), face(515, 670, 170)])).toEqual([2]);
    expect(covered([face(450, 540, 300), face(515, 60, 170), face(525, 280, 150)])).toEqual([1]);
  });

  it('covers the face off to the side rather than the one in the middle', () => {
    const faces: LayoutFace[] = [
      { box: { x: 360, y: 60, width: 480, height: 300 }, tag: '', score: 0.9 },
      { box: { x: 20, y: 540, width: 480, height: 300 }, tag: '', score: 0.9 },
    ];
    expect(covered(faces)).toEqual([1]);
  });

  it('a face filling the frame: readable text at the top and bottom edges, off the face itself where it can', () => {
    const face = faceAt(150, 120, 900);
    const layout = layoutMeme({
      style: 'classic',
      width,
      height,
      faces: [face],
      caption: { top: 'when the wifi comes back', bottom: 'after five whole minutes' },
      measure,
    });
    expect(layout.blocks[0]!.box.y).toBeLessThan(height * 0.1);
    expect(layout.blocks[1]!.box.y + layout.blocks[1]!.box.height).toBeGreaterThan(height * 0.9);
    for (const block of layout.blocks) expect(block.size).toBeGreaterThanOrEqual(0.04 * height - 1e-6);
  });
});

describe('crowds cost little more than small groups', () => {
  const [width, height] = [1600, 1067];
  const crowd = (count: number): LayoutFace[] =>
    Array.from({ length: count }, (_, i) =>
      faceAt(20 + (i % 10) * 158, 120 + Math.floor(i / 10) * 170, 70 + (i % 3) * 20),
    );
  const measured = (style: MemeStyle, faces: LayoutFace[]): { calls: number; layout: MemeLayout } => {
    let calls = 0;
    const counting = (text: string, family: string, size: number): number => {
      calls++;
      return measure(text, family, size);
    };
    const caption = { top: 'when the meeting could have been an email', bottom: 'and it ran for two hours' };
    const layout = layoutMeme({ style, width, height, faces, caption, measure: counting });
    return { calls, layout };
  };

  it('50 faces measure text no more than 8 faces do (the bands weighed are capped)', () => {
    const eight = measured('classic', crowd(8)).calls;
    const fifty = measured('classic', crowd(50)).calls;
    expect(fifty).toBeLessThanOrEqual(eight * 1.25);
  });

  it(`50 faces get at most ${MAX_TAGS} tags, the largest faces' ones, at a bounded cost`, () => {
    const faces = crowd(50);
    const { calls, layout } = measured('faces', faces);
    const tags = layout.blocks.filter((block) => block.role === 'tag');
    expect(tags.length).toBeLessThanOrEqual(MAX_TAGS);
    expect(tags.length).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(measured('classic', faces).calls + 3 * MAX_TAGS);
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
  /** Checks one faces-style layout; returns what is wrong with it. */
  function tagProblems(scene: Scene, layout: MemeLayout): string[] {
    const problems: string[] = [];
    const tags = layout.blocks.filter((block) => block.role === 'tag');
    const near = (a: number, b: number): boolean => Math.abs(a - b) < 0.01;
    const onEdge = (p: { x: number; y: number }, box: Box): boolean =>
      (near(p.x, box.x) ||
        near(p.x, box.x + box.width) ||
        near(p.y, box.y) ||
        near(p.y, box.y + box.height)) &&
      p.x >= box.x - 0.01 &&
      p.x <= box.x + box.width + 0.01 &&
      p.y >= box.y - 0.01 &&
      p.y <= box.y + box.height + 0.01;
    tags.forEach((tag, i) => {
      const own = scene.faces.find(
        (face) =>
          overlapArea(faceRegion(face.box, scene.width, scene.height), tag.face!) > 0 &&
          near(faceRegion(face.box, scene.width, scene.height).x, tag.face!.x) &&
          near(faceRegion(face.box, scene.width, scene.height).y, tag.face!.y),
      );
      if (!own) return problems.push(`tag ${i} has no face outline`);
      if (!inside(tag.box, layout)) problems.push(`tag ${i} leaves the picture`);
      if (tag.size < 0.028 * scene.width - 1e-6)
        problems.push(`tag ${i} is ${tag.size} px, too small for a phone`);
      if (overlapArea(tag.box, own.box) > 0) problems.push(`tag ${i} covers its own face`);
      for (const other of scene.faces)
        if (other !== own && overlapArea(tag.box, other.box) > 0)
          problems.push(`tag ${i} covers another face`);
      tags.forEach((another, j) => {
        if (j > i && overlapArea(tag.box, another.box) > 0) problems.push(`tags ${i} and ${j} overlap`);
      });
      // Joined: the pointer runs from the tag's edge to the outline's edge, or the tag touches the outline.
      const p = tag.pointer!;
      const joined =
        (near(p.from.x, p.to.x) && near(p.from.y, p.to.y)) ||
        (onEdge(p.from, tag.box) && onEdge(p.to, tag.face!));
      if (!joined) problems.push(`tag ${i} is not joined to its face`);
      for (const other of scene.faces)
        if (other !== own && segmentCrosses(p.from, p.to, other.box))
          problems.push(`tag ${i}'s pointer crosses a face`);
    });
    return problems;
  }

  it('in made-up group photos every face gets a readable tag, joined to it, over no other face or tag', () => {
    const problems: string[] = [];
    let tagged = 0;
    let faces = 0;
    scenes(120, 29).forEach((scene, i) => {
      const layout = layoutMeme({ style: 'faces', ...scene, caption: {}, measure });
      problems.push(...tagProblems(scene, layout).map((problem) => `scene ${i}: ${problem}`));
      tagged += layout.blocks.filter((block) => block.role === 'tag').length;
      faces += scene.faces.length;
    });
    expect(problems).toEqual([]);
    expect(tagged).toBe(faces);
  });

  it('a caption written in this style keeps off the faces and the tags', () => {
    const scene: Scene = {
      width: 1200,
      height: 900,
      faces: [faceAt(200, 300, 200), faceAt(700, 320, 220, '😢 sad 61%')],
      caption: { top: 'me explaining the plan', bottom: 'them pretending to listen' },
    };
    const layout = layoutMeme({ style: 'faces', ...scene, measure });
    const tags = layout.blocks.filter((block) => block.role === 'tag');
    expect(tags).toHaveLength(2);
    for (const block of classicBlocks(layout)) {
      for (const obstacle of [
        ...tags.map((tag) => tag.box),
        ...scene.faces.map((f) => faceRegion(f.box, 1200, 900)),
      ])
        expect(overlapArea(block.box, obstacle)).toBe(0);
    }
  });

  it('tags the 20 largest faces of a crowd of 25, inside the picture, none over another face or tag', () => {
    const faces: LayoutFace[] = [];
    for (let row = 0; faces.length < 25; row++)
      for (let col = 0; col < 6 && faces.length < 25; col++)
        faces.push(faceAt(40 + col * 260, 60 + row * 250, 90 - ((row * 6 + col) % 5) * 4, '😐 neutral 55%'));
    const scene: Scene = { width: 1600, height: 1300, faces, caption: {} };
    const layout = layoutMeme({ style: 'faces', ...scene, measure });
    const tags = layout.blocks.filter((block) => block.role === 'tag');
    expect(tags.length).toBeLessThanOrEqual(MAX_TAGS);
    expect(tags.length).toBeGreaterThanOrEqual(15);
    expect(tagProblems(scene, layout)).toEqual([]);
  });

  it("puts a tag just above its face's forehead when there is room, centred on it", () => {
    const layout = layoutMeme({
      style: 'faces',
      width: 800,
      height: 600,
      faces: [faceAt(300, 250, 200)],
      caption: {},
      measure,
    });
    const tag = layout.blocks[0]!;
    const region = faceRegion({ x: 300, y: 250, width: 200, height: 200 }, 800, 600);
    expect(tag.face).toEqual(region);
    expect(tag.box.y + tag.box.height).toBeLessThanOrEqual(region.y);
    expect(tag.box.y + tag.box.height).toBeGreaterThan(region.y - 0.6 * tag.size);
    expect(Math.abs(tag.box.x + tag.box.width / 2 - 400)).toBeLessThan(1);
  });

  it('shortens a tag to emoji and percentage where the whole tag has no room near its face', () => {
    // Three faces in a strip, with room between them for a short tag only.
    const faces = [0, 1, 2].map((i) => faceAt(30 + i * 400, 70, 150, `😄 happy 9${i}%`));
    const scene: Scene = { width: 1050, height: 300, faces, caption: {} };
    const layout = layoutMeme({ style: 'faces', ...scene, measure });
    expect(layout.blocks.map((block) => block.lines[0])).toEqual(['😄 90%', '😄 91%', '😄 92%']);
    expect(tagProblems(scene, layout)).toEqual([]);
  });
});
