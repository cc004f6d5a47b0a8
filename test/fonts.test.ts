/** The bundled fonts: reproducible CJK subset, and every font registers from the project itself. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';
import { buildCjkSubset } from '../functions/assets/fonts/subsetCjk';
import { CJK_SUBSET_FILE } from '../functions/assets/fonts/cjkSubset';
import { FAMILY, registerBundledFonts } from '../functions/core';

describe('bundled fonts', () => {
  it('the committed CJK font is exactly `npm run fonts:subset` of the current caption library', async () => {
    // The subset includes every character of zh.json, so this also fails when a caption gains
    // a character the committed font lacks.
    const committed = readFileSync(join(__dirname, '..', 'functions', 'assets', 'fonts', CJK_SUBSET_FILE));
    const rebuilt = await buildCjkSubset();
    expect(rebuilt.equals(committed)).toBe(true);
  });

  it('registers every family memegen draws with', () => {
    registerBundledFonts();
    const families = GlobalFonts.families.map((f) => f.family);
    for (const family of Object.values(FAMILY)) expect(families).toContain(family);
  });
});
