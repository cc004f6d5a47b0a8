/**
 * Golden images: each style, a CJK caption, an emoji caption, a 3-line wrap, a portrait and a
 * landscape photo, rendered and compared with approved pictures under a pixel tolerance (font
 * rasterisation may differ by a shade at glyph edges; a layout or font change moves far more).
 *
 * Approve new pictures after a deliberate change with
 *   UPDATE_GOLDEN=1 npx jest test/render-golden.test.ts
 * and look at them in test/fixtures/golden/ before committing.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Analysis, analyzeImage, overlapArea, renderMeme, RenderOptions } from '../functions/core';
import { faceRegion } from '../functions/core/render/faceRegions';
import { PHOTOS } from './support/sharedData';

const GOLDEN = join(__dirname, 'fixtures', 'golden');
const ANALYSES = join(GOLDEN, 'analyses.json');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
/** A picture that does not match is written here to look at, never into the fixtures. */
let mismatches: string | undefined;
const mismatchDir = (): string => (mismatches ??= mkdtempSync(join(tmpdir(), 'memegen-golden-')));
/** Small pictures keep the fixtures small; layout rules are relative to the size. */
const SIDE = 400;

interface GoldenCase {
  name: string;
  photo: string;
  options: RenderOptions;
  /** What the picture must show besides matching: checked on the meme and the analysis it was drawn for. */
  check?: (meme: Awaited<ReturnType<typeof renderMeme>>, analysis: Analysis) => void;
}

const CASES: GoldenCase[] = [
  {
    name: 'classic-landscape',
    photo: 'faceapi_sample1.jpg',
    options: {
      style: 'classic',
      caption: { top: 'when the group photo', bottom: 'finally has everyone in it' },
    },
  },
  {
    name: 'classic-portrait',
    photo: 'matplotlib_grace_hopper.jpg',
    options: { style: 'classic', caption: { top: 'me explaining the bug', bottom: 'that I wrote myself' } },
  },
  {
    name: 'label-portrait',
    photo: 'matplotlib_grace_hopper.jpg',
    options: {
      style: 'label',
      caption: { top: 'nobody:', bottom: 'me at 3 am reading the compiler source' },
    },
  },
  { name: 'faces-landscape', photo: 'faceapi_sample4.jpg', options: { style: 'faces' } },
  {
    name: 'cjk-caption',
    photo: 'skimage_camera.png',
    options: { style: 'classic', lang: 'zh', caption: { top: '周一早上的闹钟', bottom: '我跟它有仇' } },
  },
  {
    name: 'emoji-caption',
    photo: 'skimage_astronaut.png',
    options: { style: 'classic', caption: { top: 'mission accomplished 🚀🎉', bottom: 'snack time 😋👍🏽' } },
  },
  {
    name: 'three-line-wrap',
    photo: 'faceapi_sample2.jpg',
    options: {
      style: 'classic',
      caption: {
        top: 'when the meeting that could have been an email turns into a second meeting about the first one',
      },
    },
    check: (meme) => expect(meme.layout.blocks[0]!.lines).toHaveLength(3),
  },
  {
    // The library's own caption for a group of five, placed clear of every face.
    name: 'classic-group',
    photo: 'faceapi_sample5.jpg',
    options: { style: 'classic' },
    check: (meme, analysis) => {
      expect(meme.caption.kind).toMatch(/together|contrast/);
      const scale = meme.layout.photo.width / analysis.width;
      for (const face of analysis.faces) {
        const box = {
          x: face.box.x * scale,
          y: face.box.y * scale,
          width: face.box.width * scale,
          height: face.box.height * scale,
        };
        const region = faceRegion(box, meme.layout.width, meme.layout.height);
        for (const block of meme.layout.blocks) expect(overlapArea(block.box, region)).toBe(0);
      }
    },
  },
];

async function analyses(): Promise<Record<string, Analysis>> {
  // Recorded once, so a retrained model changes no golden picture: these test drawing, not vision.
  const stored: Record<string, Analysis> = existsSync(ANALYSES)
    ? JSON.parse(readFileSync(ANALYSES, 'utf8'))
    : {};
  if (!UPDATE) return stored;
  for (const { photo } of CASES) stored[photo] ??= await analyzeImage(readFileSync(join(PHOTOS, photo)));
  mkdirSync(GOLDEN, { recursive: true });
  writeFileSync(ANALYSES, JSON.stringify(stored, null, 1) + '\n');
  return stored;
}

async function rgb(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('golden memes', () => {
  let recorded: Record<string, Analysis>;
  beforeAll(async () => {
    recorded = await analyses();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (name, { photo, options, check }) => {
    const analysis = recorded[photo];
    if (!analysis)
      throw new Error(
        `no recorded analysis for ${photo}: run UPDATE_GOLDEN=1 npx jest test/render-golden.test.ts`,
      );
    const meme = await renderMeme(readFileSync(join(PHOTOS, photo)), analysis, {
      ...options,
      format: 'png',
      maxSide: SIDE,
      seed: name,
    });
    check?.(meme, analysis);
    const file = join(GOLDEN, `${name}.webp`);
    if (UPDATE) writeFileSync(file, await sharp(meme.bytes).webp({ lossless: true }).toBuffer());
    if (!existsSync(file))
      throw new Error(
        `golden picture ${file} is missing: run UPDATE_GOLDEN=1 npx jest test/render-golden.test.ts`,
      );

    const [actual, expected] = [await rgb(meme.bytes), await rgb(readFileSync(file))];
    expect([actual.width, actual.height]).toEqual([expected.width, expected.height]);
    let different = 0;
    let totalDifference = 0;
    for (let i = 0; i < actual.data.length; i += 3) {
      const d = Math.max(
        Math.abs(actual.data[i]! - expected.data[i]!),
        Math.abs(actual.data[i + 1]! - expected.data[i + 1]!),
        Math.abs(actual.data[i + 2]! - expected.data[i + 2]!),
      );
      totalDifference += d;
      if (d > 64) different++;
    }
    const pixels = actual.width * actual.height;
    if (different / pixels > 0.002) {
      const diffFile = join(mismatchDir(), `${name}.actual.png`);
      writeFileSync(diffFile, meme.bytes);
      throw new Error(
        `${name}: ${different} of ${pixels} pixels differ by more than 64 levels; rendered picture written to ${diffFile}`,
      );
    }
    expect(totalDifference / pixels).toBeLessThan(1.5);
  });
});

describe('no ink outside the picture', () => {
  const captions = { top: 'ÉÅÑ QUIZ ÇA GÖ jy', bottom: '周一 👍🏽 مرحبا ÉÅ Qgjpy' };

  it.each(['classic', 'label', 'faces'] as const)(
    '%s: a 3 px frame around the meme stays untouched',
    async (style) => {
      const grey = await sharp({ create: { width: 360, height: 240, channels: 3, background: '#7f7f7f' } })
        .png()
        .toBuffer();
      const analysis: Analysis = { width: 360, height: 240, faces: [] };
      const meme = await renderMeme(grey, analysis, { style, caption: captions, format: 'png' });
      const { data, width, height } = await rgb(meme.bytes);
      const band = meme.layout.band?.height ?? 0;
      const touched: string[] = [];
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          if (x >= 3 && y >= 3 && x < width - 3 && y < height - 3) continue;
          const expected = y < band ? 255 : 0x7f;
          const at = (y * width + x) * 3;
          if ([0, 1, 2].some((c) => Math.abs(data[at + c]! - expected) > 2)) touched.push(`${x},${y}`);
        }
      }
      expect(touched).toEqual([]);
    },
  );
});
