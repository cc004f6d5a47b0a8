/**
 * Layout alone, no pixels: layoutMeme on made-up group photos (1600×1067) with 8 and 50
 * faces, once per caption of the English library (classic) and once per photo (face tags),
 * after a warm-up pass so word widths are measured already, as in a running server; and
 * "cold", with a new measurer for each layout, so every word is measured with canvas, as
 * for a caption the user typed.
 *
 * `npm run bench:layout` runs it alone; `npm run bench` includes it with its budgets.
 */
import {
  canvasMeasurer,
  captionLibrary,
  layoutMeme,
  LayoutFace,
  MemeStyle,
  sharedMeasurer,
} from '../functions/core';
import { Figure, Samples } from './stats';

const [WIDTH, HEIGHT] = [1600, 1067];

/** Faces in rows across the picture, sizes varying, as in a group photo. */
function groupFaces(count: number): LayoutFace[] {
  const perRow = Math.min(count, 10);
  const size = count > 10 ? 90 : 150;
  return Array.from({ length: count }, (_, i) => {
    const row = Math.floor(i / perRow);
    const column = i % perRow;
    const scaled = size * (0.8 + 0.1 * (i % 3));
    return {
      box: {
        x: 40 + column * ((WIDTH - 80) / perRow),
        y: 180 + row * (size * 1.6) + (column % 2) * 25,
        width: scaled,
        height: scaled,
      },
      tag: '😄 happy 92%',
      shortTag: '😄 92%',
      score: 0.7 + 0.05 * (i % 6),
    };
  });
}

export async function benchLayout(runs = 3): Promise<Record<string, Figure>> {
  const measure = sharedMeasurer();
  const captions = Object.values(captionLibrary('en').expressions).flat();
  const samples = new Samples();
  const cases: [string, MemeStyle, number][] = [
    ['classic, 8 faces, cold', 'classic', 8],
    ['classic, 8 faces', 'classic', 8],
    ['classic, 50 faces', 'classic', 50],
    ['faces, 8 faces', 'faces', 8],
    ['faces, 50 faces', 'faces', 50],
  ];
  for (let run = -1; run < runs; run++) {
    for (const [name, style, count] of cases) {
      const faces = groupFaces(count);
      const pool = style === 'classic' ? captions : captions.slice(0, 40).map(() => ({}));
      for (const caption of pool) {
        const measurer = name.endsWith('cold') ? canvasMeasurer() : measure;
        const started = performance.now();
        layoutMeme({ style, width: WIDTH, height: HEIGHT, faces, caption, measure: measurer });
        if (run >= 0) samples.add(name, performance.now() - started); // run -1 warms up
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return samples.figures();
}

if (require.main === module) {
  benchLayout().then(
    (figures) => {
      console.log('layoutMeme, 1600×1067, ms (median / p90 / layouts)');
      for (const [name, f] of Object.entries(figures))
        console.log(`  ${name.padEnd(24)} ${f.median.toFixed(2)} / ${f.p90.toFixed(2)} / ${f.runs}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
