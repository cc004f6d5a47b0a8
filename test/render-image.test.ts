/** renderMeme / makeMeme on real images: picture handling, formats, options and bad input. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  Analysis,
  captionLibrary,
  ImageError,
  makeMeme,
  renderMeme,
  RenderOptionError,
  RenderOptions,
} from '../functions/core';
import { syntheticFace } from './support/analysis';
import { PHOTOS } from './support/sharedData';

const photo = (name: string): Buffer => readFileSync(join(PHOTOS, name));
const noFaces = (width: number, height: number): Analysis => ({ width, height, faces: [] });

async function solid(
  width: number,
  height: number,
  colour: string,
  format: 'jpeg' | 'png' = 'jpeg',
): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background: colour } });
  return format === 'jpeg' ? image.jpeg().toBuffer() : image.png().toBuffer();
}

async function pixel(bytes: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return Array.from(data.subarray(at, at + 3));
}

describe('output formats', () => {
  it.each([
    ['jpeg', 'image/jpeg', [0xff, 0xd8, 0xff]],
    ['webp', 'image/webp', [0x52, 0x49, 0x46, 0x46]],
    ['png', 'image/png', [0x89, 0x50, 0x4e, 0x47]],
  ] as const)('%s: right content type and bytes, the size it reports', async (format, contentType, magic) => {
    const bytes = photo('skimage_astronaut.png');
    const meme = await renderMeme(bytes, noFaces(512, 512), { format, caption: { top: 'format test' } });
    expect(meme.contentType).toBe(contentType);
    expect(Array.from(meme.bytes.subarray(0, magic.length))).toEqual(magic);
    const meta = await sharp(meme.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([meme.width, meme.height]);
    expect(meta.format).toBe(format);
  });
});

describe('picture handling', () => {
  it('caps the long side at 1,600 px by default and at maxSide when asked, keeping the aspect ratio', async () => {
    const big = await solid(4000, 3000, '#336699');
    const analysis = noFaces(4000, 3000);
    expect(await renderMeme(big, analysis)).toMatchObject({ width: 1600, height: 1200 });
    expect(await renderMeme(big, analysis, { maxSide: 500 })).toMatchObject({ width: 500, height: 375 });
  });

  it('keeps the label band inside the cap too', async () => {
    const meme = await renderMeme(await solid(2000, 2000, '#336699'), noFaces(2000, 2000), {
      style: 'label',
      caption: { top: 'a band on top' },
    });
    expect(Math.max(meme.width, meme.height)).toBeLessThanOrEqual(1600);
    expect(Math.max(meme.width, meme.height)).toBeGreaterThan(1590);
    expect(meme.layout.band!.height).toBeGreaterThan(0);
  });

  it('never enlarges a small photo (32 px)', async () => {
    const meme = await renderMeme(await solid(32, 32, '#808080'), noFaces(32, 32), {
      caption: { top: 'tiny', bottom: 'photo' },
    });
    expect([meme.width, meme.height]).toEqual([32, 32]);
    for (const block of meme.layout.blocks) {
      expect(block.box.x).toBeGreaterThanOrEqual(0);
      expect(block.box.y + block.box.height).toBeLessThanOrEqual(32);
    }
  });

  it('applies EXIF orientation and strips all metadata from the meme', async () => {
    // Stored 300×200, left half red, right half blue, tagged "rotate 90° clockwise to view".
    const left = await sharp({ create: { width: 150, height: 200, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    const stored = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#0000ff' } })
      .composite([{ input: left, left: 0, top: 0 }])
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const meme = await renderMeme(stored, noFaces(200, 300), { caption: { bottom: 'x' } });
    expect([meme.width, meme.height]).toEqual([200, 300]);
    const [top, bottom] = [await pixel(meme.bytes, 10, 40), await pixel(meme.bytes, 10, 200)];
    expect(top[0]).toBeGreaterThan(200); // red now on top
    expect(bottom[2]).toBeGreaterThan(200);
    const meta = await sharp(meme.bytes).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.iptc).toBeUndefined();
  });

  it('flattens transparency onto white', async () => {
    const transparent = await sharp({
      create: { width: 120, height: 120, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const meme = await renderMeme(transparent, noFaces(120, 120), { caption: { bottom: 'x' } });
    expect(Math.min(...(await pixel(meme.bytes, 5, 5)))).toBeGreaterThan(245);
  });

  it('uses the first frame of an animated GIF', async () => {
    const frame = (colour: string) =>
      sharp({ create: { width: 64, height: 48, channels: 3, background: colour } })
        .png()
        .toBuffer();
    const gif = await sharp([await frame('#ff0000'), await frame('#0000ff')], { join: { animated: true } })
      .gif()
      .toBuffer();
    const meme = await renderMeme(gif, noFaces(64, 48), { format: 'png', caption: { bottom: '.' } });
    expect([meme.width, meme.height]).toEqual([64, 48]);
    const [r, , b] = await pixel(meme.bytes, 2, 2);
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(60);
  });
});

describe('captions', () => {
  const bytes = photo('matplotlib_grace_hopper.jpg');
  const analysis: Analysis = {
    width: 512,
    height: 600,
    faces: [syntheticFace({ x: 170, y: 100, width: 180, height: 180 }, 'happy')],
  };

  it('picks a library caption for the face, the same one for the same seed', async () => {
    const a = await renderMeme(bytes, analysis, { seed: 'job-42' });
    const b = await renderMeme(bytes, analysis, { seed: 'job-42' });
    expect(a.caption).toMatchObject({ source: 'library', kind: 'expression' });
    expect(captionLibrary('en').expressions.happy).toContainEqual({
      top: a.caption.top,
      bottom: a.caption.bottom,
    });
    expect(b.caption).toEqual(a.caption);
    expect(b.bytes.equals(a.bytes)).toBe(true);
  });

  it('writes the Chinese library with lang zh', async () => {
    const meme = await renderMeme(bytes, analysis, { lang: 'zh', seed: 'job-42' });
    expect(captionLibrary('zh').expressions.happy).toContainEqual({
      top: meme.caption.top,
      bottom: meme.caption.bottom,
    });
  });

  it("uses the user's caption, cleaned of control characters", async () => {
    const meme = await renderMeme(bytes, analysis, {
      caption: { top: 'hello\u0000\u0007 world', bottom: '\n' },
    });
    expect(meme.caption).toEqual({ source: 'user', top: 'hello world' });
    expect(meme.layout.blocks.map((block) => block.lines.join(' '))).toEqual(['HELLO WORLD']);
  });

  it('draws a 1-character caption big and a 2,000-character one shortened, both inside the picture', async () => {
    const one = await renderMeme(bytes, analysis, { caption: { top: 'a' } });
    const long = await renderMeme(bytes, analysis, { caption: { top: 'blah '.repeat(400) } });
    expect(one.layout.blocks[0]!.size).toBeGreaterThan(long.layout.blocks[0]!.size * 2);
    expect(long.layout.blocks[0]!.truncated).toBe(true);
    for (const block of [...one.layout.blocks, ...long.layout.blocks]) {
      expect(block.box.x).toBeGreaterThanOrEqual(0);
      expect(block.box.x + block.box.width).toBeLessThanOrEqual(512);
    }
  });

  it('a photo without faces gets a no-face caption in every style', async () => {
    for (const style of ['classic', 'label', 'faces'] as const) {
      const meme = await renderMeme(bytes, noFaces(512, 600), { style, seed: 's' });
      expect(meme.caption.kind).toBe('noFace');
      expect(meme.layout.blocks.length).toBeGreaterThan(0);
    }
  });

  it('the faces style tags faces and writes no library caption over them', async () => {
    const meme = await renderMeme(bytes, analysis, { style: 'faces' });
    expect(meme.caption).toEqual({ source: 'library' });
    expect(meme.layout.blocks.map((block) => [block.role, block.lines[0]])).toEqual([
      ['tag', '😄 happy 90%'],
    ]);
  });
});

describe('bad input', () => {
  it.each([
    ['empty', 'EMPTY_INPUT', Buffer.alloc(0)],
    ['not an image', 'NOT_AN_IMAGE', Buffer.from('%PDF-1.4 definitely not a picture')],
  ])('%s → ImageError %s', async (_name, code, bytes) => {
    await expect(renderMeme(bytes, noFaces(10, 10))).rejects.toMatchObject({ name: 'ImageError', code });
  });

  it('a truncated JPEG → ImageError, not a crash', async () => {
    const whole = photo('faceapi_sample2.jpg');
    await expect(renderMeme(whole.subarray(0, whole.length / 3), noFaces(1920, 1366))).rejects.toBeInstanceOf(
      ImageError,
    );
  });

  it('a photo over the pixel limit is refused before decoding', async () => {
    await expect(
      renderMeme(await solid(2000, 2000, '#000000'), noFaces(2000, 2000), { limitInputPixels: 1_000_000 }),
    ).rejects.toMatchObject({
      code: 'TOO_MANY_PIXELS',
    });
  });

  it.each([
    [{ style: 'comic' }, /unknown style "comic"/],
    [{ lang: 'fr' }, /unknown language "fr"/],
    [{ format: 'gif' }, /unknown format "gif"/],
    [{ quality: 0 }, /quality/],
    [{ maxSide: 10.5 }, /maxSide/],
  ])('option %j → RenderOptionError', async (options, message) => {
    const attempt = renderMeme(
      photo('skimage_camera.png'),
      noFaces(512, 512),
      options as unknown as RenderOptions,
    );
    await expect(attempt).rejects.toBeInstanceOf(RenderOptionError);
    await expect(attempt).rejects.toThrow(message);
  });
});

describe('makeMeme', () => {
  it('analyses a real photo with the ONNX models and captions its faces', async () => {
    const meme = await makeMeme(photo('faceapi_sample1.jpg'), { seed: 'upload-1', style: 'faces' });
    expect(meme.analysis.faces.length).toBeGreaterThanOrEqual(3);
    const tags = meme.layout.blocks.filter((block) => block.role === 'tag');
    expect(tags).toHaveLength(meme.analysis.faces.length);
    expect((await sharp(meme.bytes).metadata()).width).toBe(1600);
  });

  it('rejects a bad option before running the models', async () => {
    await expect(makeMeme(Buffer.alloc(0), { style: 'nope' as never })).rejects.toBeInstanceOf(
      RenderOptionError,
    );
  });
});

describe('the canvas kept from one meme to the next', () => {
  const astronaut = photo('skimage_astronaut.png');
  const analysis: Analysis = {
    width: 512,
    height: 512,
    faces: [syntheticFace({ x: 180, y: 60, width: 140, height: 170 }, 'happy')],
  };
  // The bytes' digest: comparing 300 KB buffers element by element takes jest seconds.
  const digest = (meme: { bytes: Buffer }) => createHash('sha256').update(meme.bytes).digest('hex');
  const classic = () => renderMeme(astronaut, analysis, { format: 'png' });
  const label = () => renderMeme(astronaut, analysis, { style: 'label', format: 'png' });
  const ownCaption = () =>
    renderMeme(astronaut, analysis, {
      style: 'faces',
      format: 'png',
      caption: { top: 'WHEN THE 🎉 STARTS' },
    });

  it('draws each meme exactly as on a new canvas, whatever was drawn before and while another is drawn', async () => {
    // A label meme is taller than the classic one: the canvas is resized for each, which
    // gives it a new bitmap. The same-size memes in between reuse it as it is.
    await label();
    const alone = digest(await classic());
    const sameSize = await ownCaption();
    expect(sameSize.width).toBe(512);
    expect(digest(await classic())).toBe(alone);
    const labelMeme = await label();
    expect(labelMeme.height).toBeGreaterThan(512);
    expect(digest(await classic())).toBe(alone);
    const together = await Promise.all([classic(), ownCaption(), classic()]);
    expect(together.map(digest)).toEqual([alone, digest(sameSize), alone]);
  });
});
