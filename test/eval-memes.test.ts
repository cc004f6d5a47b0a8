/** `npm run eval:memes`: which photos it scores, how it measures hidden faces, and the report and sheet it writes. */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { MemeLayout, TextBlock } from '../functions/core/render/layout';
import { AnnotatedImage } from '../models/eval/detection';
import { hiddenFaces, MemeReport, selectAnnotated, textCover } from '../models/eval/memes';

const ROOT = join(__dirname, '..');

/** `npm run eval:memes -- ARGS --json` as a process, its report parsed. */
async function evalMemes(...args: string[]): Promise<MemeReport> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(ROOT, 'models', 'eval', 'memesMain.ts'),
      ...args,
      '--json',
    ],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as MemeReport;
}

function annotated(file: string, heights: number[], invalid: number[] = []): AnnotatedImage {
  return {
    file,
    faces: heights.map((height, i) => ({ x: i * 50, y: 0, width: height, height, invalid: invalid[i] ?? 0 })),
  };
}

function layoutWith(boxes: TextBlock['box'][], photo = { x: 0, y: 0, width: 1000, height: 800 }): MemeLayout {
  const block = (box: TextBlock['box']): TextBlock => ({
    role: 'top',
    family: 'f',
    size: 10,
    lines: ['x'],
    origins: [{ x: 0, y: 0 }],
    box,
    lineHeight: 1,
    look: 'outlined',
    strokeWidth: 1,
    truncated: false,
  });
  return { width: photo.width, height: photo.y + photo.height, photo, blocks: boxes.map(block) };
}

describe('which photos are scored', () => {
  it('keeps photos with 1 to 8 valid annotated faces at least 40 px high', () => {
    const images = [
      annotated('none.jpg', []),
      annotated('one.jpg', [40]),
      annotated('small.jpg', [39, 20]),
      annotated('eight.jpg', Array(8).fill(60)),
      annotated('nine.jpg', Array(9).fill(60)),
      annotated('eight-and-a-crowd.jpg', [...Array(8).fill(60), ...Array(30).fill(20)]),
      annotated('invalid.jpg', [80, 80], [1, 1]),
    ];
    expect(selectAnnotated(images).map((image) => image.file)).toEqual([
      'one.jpg',
      'eight.jpg',
      'eight-and-a-crowd.jpg',
    ]);
  });
});

describe('how much of a face the text hides', () => {
  const face = { x: 100, y: 100, width: 100, height: 100 };

  it('is the share of the face under the text blocks, and hides it above 15 %', () => {
    expect(textCover(layoutWith([{ x: 0, y: 0, width: 1000, height: 110 }]), face, 1000)).toBeCloseTo(0.1);
    expect(hiddenFaces(layoutWith([{ x: 0, y: 0, width: 1000, height: 110 }]), [face], 1000)).toEqual([]);
    expect(hiddenFaces(layoutWith([{ x: 0, y: 0, width: 1000, height: 120 }]), [face], 1000)).toEqual([face]);
    expect(textCover(layoutWith([{ x: 150, y: 0, width: 10, height: 1000 }]), face, 1000)).toBeCloseTo(0.1);
  });

  it('maps the face from photo pixels to the meme: scaled, and below a label band', () => {
    // The photo was 2000 px wide, drawn 1000 px wide under a 200 px band.
    const layout = layoutWith([{ x: 0, y: 0, width: 1000, height: 200 }], {
      x: 0,
      y: 200,
      width: 1000,
      height: 800,
    });
    expect(textCover(layout, { x: 200, y: 0, width: 200, height: 200 }, 2000)).toBe(0);
    const under = layoutWith([{ x: 0, y: 200, width: 1000, height: 50 }], {
      x: 0,
      y: 200,
      width: 1000,
      height: 800,
    });
    expect(textCover(under, { x: 200, y: 0, width: 200, height: 200 }, 2000)).toBeCloseTo(0.5);
  });

  it('ignores faces under 32 px', () => {
    const small = { x: 0, y: 0, width: 31, height: 31 };
    expect(hiddenFaces(layoutWith([{ x: 0, y: 0, width: 1000, height: 800 }]), [small], 1000)).toEqual([]);
  });
});

describe('npm run eval:memes', () => {
  it('renders every style, scores annotated and detected faces, and draws the contact sheet', async () => {
    // Two plain pictures the detector finds nothing in: the library's no-face caption goes at
    // the top and bottom, so an "annotated face" at the top is hidden and one in the middle is not.
    const dir = mkdtempSync(join(tmpdir(), 'memegen-eval-memes-'));
    mkdirSync(join(dir, 'photos'));
    for (const name of ['top.png', 'middle.png']) {
      const grey = sharp({ create: { width: 600, height: 400, channels: 3, background: '#808080' } });
      writeFileSync(join(dir, 'photos', name), await grey.png().toBuffer());
    }
    const annotations = [
      { file: 'photos/top.png', faces: [{ x: 250, y: 10, w: 80, h: 80 }] },
      { file: 'photos/middle.png', faces: [{ x: 250, y: 160, w: 80, h: 80 }] },
      { file: 'photos/none.png', faces: [] },
    ];
    writeFileSync(join(dir, 'annotations.json'), JSON.stringify(annotations));
    const sheet = join(dir, 'sheet.png');
    const report = await evalMemes(
      dir,
      '--annotations',
      join(dir, 'annotations.json'),
      '--contact-sheet',
      sheet,
    );
    expect(report).toMatchObject({
      photos: 2,
      annotated: true,
      placedAround: 'detected',
      skipped: 1,
      unreadable: [],
    });
    const byStyle = Object.fromEntries(report.styles.map((style) => [style.style, style]));
    expect(byStyle.classic!.hideAnnotated).toEqual({ memes: 1, share: 0.5, files: ['photos/top.png'] });
    expect(byStyle.label!.hideAnnotated).toEqual({ memes: 0, share: 0, files: [] });
    for (const style of report.styles) expect(style.hideDetected.memes).toBe(0);
    // Told where the faces are, the layout keeps the text off both.
    const placed = await evalMemes(
      dir,
      '--annotations',
      join(dir, 'annotations.json'),
      '--annotated-as-detected',
      '--style',
      'classic',
    );
    expect(placed.placedAround).toBe('annotated');
    expect(placed.styles.map((style) => [style.style, style.hideAnnotated?.memes])).toEqual([['classic', 0]]);
    const meta = await sharp(sheet).metadata();
    expect(meta.format).toBe('png');
    // Three styles side by side, two photos one under the other.
    expect(meta.width).toBeGreaterThan(3 * 300);
    expect(meta.height).toBeGreaterThan(2 * 200);
  }, 120_000);
});
