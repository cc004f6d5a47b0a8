/** Bad uploads must fail with a typed, readable error; a picture without faces is not an error. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { analyzeImage, decodeImage, ImageError, renderMeme } from '../functions/core';
import { PHOTOS } from './support/sharedData';

const jpeg = readFileSync(join(PHOTOS, 'faceapi_sample1.jpg'));
const png = readFileSync(join(PHOTOS, 'skimage_astronaut.png'));

async function expectImageError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageError);
  expect((err as ImageError).code).toBe(code);
  expect((err as ImageError).message).toMatch(message);
}

describe('analyzeImage on bad input', () => {
  it('rejects 0 bytes', () => expectImageError(analyzeImage(new Uint8Array(0)), 'EMPTY_INPUT', /empty/));

  it('rejects bytes that are not an image', () =>
    expectImageError(
      analyzeImage(Buffer.from('%PDF-1.7 definitely not a photo')),
      'NOT_AN_IMAGE',
      /not an image/,
    ));

  it('rejects a truncated JPEG', () =>
    expectImageError(
      analyzeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))),
      'TRUNCATED_IMAGE',
      /truncated/,
    ));

  it('rejects a truncated PNG', () =>
    expectImageError(
      analyzeImage(png.subarray(0, Math.floor(png.length / 2))),
      'TRUNCATED_IMAGE',
      /truncated/,
    ));

  it('rejects a picture over the pixel limit before decoding it', () =>
    expectImageError(
      decodeImage(jpeg, { limitInputPixels: 1920 * 1280 - 1 }),
      'TOO_MANY_PIXELS',
      /pixel limit/,
    ));

  it('accepts a picture exactly at the pixel limit', async () => {
    const img = await decodeImage(jpeg, { limitInputPixels: 1920 * 1280 });
    expect([img.width, img.height]).toEqual([1920, 1280]);
  });

  it('returns no faces, not an error, for a picture without people', async () => {
    const landscape = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#7aa3c8' } })
      .composite([
        {
          input: Buffer.from(
            '<svg width="640" height="480"><rect y="300" width="640" height="180" fill="#4a7a3a"/></svg>',
          ),
        },
      ])
      .jpeg()
      .toBuffer();
    const analysis = await analyzeImage(landscape);
    expect(analysis).toEqual({ width: 640, height: 480, faces: [] });
  });
});

describe('picture formats memegen does not read', () => {
  /** The start of an iPhone HEIC: an ftyp box with the heic brand, then (here) a truncated meta box. */
  const heic = Buffer.concat([
    Buffer.from([0, 0, 0, 0x18]),
    Buffer.from('ftypheic'),
    Buffer.from([0, 0, 0, 0]),
    Buffer.from('mif1heic'),
    Buffer.from([0, 0, 0x0b, 0xb8]),
    Buffer.from('meta'),
    Buffer.alloc(3000, 7),
  ]);
  const svg = Buffer.from(
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><circle cx="200" cy="150" r="80"/></svg>',
  );

  it('refuses HEIC with UNSUPPORTED_FORMAT and says what to do, before the decoder sees it', () =>
    expectImageError(
      analyzeImage(heic),
      'UNSUPPORTED_FORMAT',
      /HEIC photos .* not supported: share the photo as JPEG/,
    ));

  it('refuses SVG with UNSUPPORTED_FORMAT, though sharp could rasterise it', async () => {
    expect((await sharp(svg).metadata()).format).toBe('svg');
    await expectImageError(analyzeImage(svg), 'UNSUPPORTED_FORMAT', /SVG drawings are not supported/);
    await expectImageError(
      renderMeme(svg, { width: 400, height: 300, faces: [] }),
      'UNSUPPORTED_FORMAT',
      /SVG/,
    );
  });

  it('still reads AVIF, the other HEIF format', async () => {
    const avif = await sharp(jpeg).resize(320).avif().toBuffer();
    const img = await decodeImage(avif);
    expect(img.width).toBe(320);
  });
});
