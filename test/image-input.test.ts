/** Bad uploads must fail with a typed, readable error; a picture without faces is not an error. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { analyzeImage, decodeImage, ImageError } from '../functions/core';
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
