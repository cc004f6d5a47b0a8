/** The views the detector looks through and the crops the expression models see. */
import { RgbImage, tileRegions, wholeImageFrame } from '../functions/core';
import { letterbox, tileLetterboxes } from '../functions/core/detect/letterbox';
import { warpFrame } from '../functions/core/expression/crop';

/** A picture whose every pixel encodes its own position. */
function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([x % 256, y % 256, (x * 7 + y * 3) % 256], (y * width + x) * 3);
  return { width, height, data };
}

describe('tiles', () => {
  it.each([
    [1920, 1280, 3],
    [1024, 768, 3],
    [4000, 3000, 2],
  ])(
    'cover a %i×%i picture with a %i-per-side grid, neighbours overlapping by at least a quarter',
    (w, h, grid) => {
      const tiles = tileRegions(w, h, grid);
      for (const t of tiles) {
        expect(t.left + t.width).toBeLessThanOrEqual(w);
        expect(t.top + t.height).toBeLessThanOrEqual(h);
      }
      // Every pixel (sampled) lies in some tile, and a face up to a quarter of a tile fits whole in one.
      const side = Math.max(tiles[0].width, tiles[0].height);
      const face = Math.floor(side / 4);
      for (let y = 0; y + face <= h; y += 37)
        for (let x = 0; x + face <= w; x += 41) {
          const whole = tiles.some(
            (t) => x >= t.left && y >= t.top && x + face <= t.left + t.width && y + face <= t.top + t.height,
          );
          expect(whole).toBe(true);
        }
    },
  );
});

describe('letterbox', () => {
  it('pads instead of stretching, and maps input pixels back to picture pixels', async () => {
    const img = gradient(400, 200);
    const view = await letterbox(img, 256);
    expect(view.scale).toBeCloseTo(256 / 400, 6);
    expect(view.padX).toBe(0);
    expect(view.padY).toBe(64);
    // Top padding is black; the picture starts right below it.
    expect(Array.from(view.pixels.subarray(0, 3))).toEqual([0, 0, 0]);
    const picX = (128 - view.padX) / view.scale + view.region.left;
    expect(picX).toBeCloseTo(200, 6);
  });

  it('cuts tiles from one downscaled copy at the same scale a direct letterbox would use', async () => {
    const img = gradient(1200, 900);
    const regions = tileRegions(img.width, img.height, 2);
    const tiles = await tileLetterboxes(img, 256, regions);
    expect(tiles).toHaveLength(regions.length);
    for (const [i, t] of tiles.entries()) {
      const direct = await letterbox(img, 256, regions[i]);
      expect(t.scale).toBeCloseTo(direct.scale, 2);
      expect(Math.abs(t.region.left - regions[i].left)).toBeLessThan(3);
      expect(Math.abs(t.region.top - regions[i].top)).toBeLessThan(3);
    }
  });
});

describe('warpFrame', () => {
  it('returns the picture itself for a whole-picture frame at its own size', () => {
    const img = gradient(48, 48);
    expect(Buffer.from(warpFrame(img, wholeImageFrame(img), 48))).toEqual(Buffer.from(img.data));
  });

  it('mirrors the crop when asked', () => {
    const img = gradient(48, 48);
    const flipped = warpFrame(img, wholeImageFrame(img), 48, true);
    for (const [x, y] of [
      [0, 0],
      [10, 5],
      [47, 47],
    ]) {
      const mirrored = (y * 48 + (47 - x)) * 3;
      expect(Array.from(flipped.subarray((y * 48 + x) * 3, (y * 48 + x) * 3 + 3))).toEqual(
        Array.from(img.data.subarray(mirrored, mirrored + 3)),
      );
    }
  });

  it('levels a line at the frame angle: at a quarter turn the crop runs down the picture', () => {
    const img = gradient(48, 48);
    // An eye line pointing straight down the picture (angle 90°) becomes the crop's x axis,
    // so the crop's top row is the picture's right-hand column, read top to bottom.
    const rotated = warpFrame(img, { ...wholeImageFrame(img), angle: Math.PI / 2 }, 48);
    for (const x of [0, 20, 47]) {
      const src = (x * 48 + 47) * 3; // picture (47, x)
      expect(Array.from(rotated.subarray(x * 3, x * 3 + 3))).toEqual(
        Array.from(img.data.subarray(src, src + 3)),
      );
    }
  });
});
