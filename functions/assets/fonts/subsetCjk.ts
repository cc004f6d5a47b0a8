/**
 * `npm run fonts:subset`: writes the bundled CJK font, Noto Sans SC Bold cut down to the
 * characters memegen can be asked to draw in Simplified Chinese.
 *
 * Why a subset: the full font is 10.5 MB and would be loaded by every cold start of the
 * render function. GB2312 (6,763 hanzi plus punctuation, the set Simplified Chinese text
 * overwhelmingly stays within) comes to about 2.4 MB. Characters of the Chinese caption
 * library are added explicitly so a library caption can never show a missing glyph.
 *
 * The output is committed; a test rebuilds it and compares bytes, so it stays reproducible.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cjkSubsetCharacters, CJK_SUBSET_FILE, CJK_SOURCE_FONT } from './cjkSubset';

// subset-font ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const subsetFont = require('subset-font') as (
  font: Buffer,
  text: string,
  options: { targetFormat: 'truetype' },
) => Promise<Buffer>;

export async function buildCjkSubset(): Promise<Buffer> {
  const source = readFileSync(require.resolve(CJK_SOURCE_FONT));
  return subsetFont(source, cjkSubsetCharacters(), { targetFormat: 'truetype' });
}

async function main(): Promise<void> {
  const subset = await buildCjkSubset();
  const out = join(__dirname, CJK_SUBSET_FILE);
  writeFileSync(out, subset);
  console.log(`wrote ${out} (${(subset.length / 1e6).toFixed(2)} MB)`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
