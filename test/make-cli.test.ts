/** `memegen make`, run as a user runs it: a separate process of the built CLI. */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { PHOTOS } from './support/sharedData';

const BIN = join(__dirname, '..', 'bin', 'memegen.js');

async function memegen(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const scratch = (): string => mkdtempSync(join(tmpdir(), 'memegen-make-'));

describe('memegen make', () => {
  it('with no argument makes memes of the bundled sample photos into ./out and says where', async () => {
    const cwd = scratch();
    const { code, stdout, stderr } = await memegen(['make'], cwd);
    expect(code).toBe(0);
    const photos = readdirSync(PHOTOS).filter((f) => /\.(jpe?g|png)$/i.test(f));
    expect(readdirSync(join(cwd, 'out')).sort()).toEqual(
      photos.map((f) => f.replace(/\.\w+$/, '.jpg')).sort(),
    );
    expect(stdout).toMatch(new RegExp(`${photos.length} meme\\(s\\) written to out .*bundled sample photos`));
    // Not a terminal: one progress line per photo on stderr.
    expect(stderr.trim().split('\n')).toHaveLength(photos.length);
    const meta = await sharp(join(cwd, 'out', 'faceapi_sample1.jpg')).metadata();
    expect([meta.format, meta.width]).toEqual(['jpeg', 1600]);
  }, 120_000);

  it('--json prints the analysis and caption of each file; style, format and caption options apply', async () => {
    const cwd = scratch();
    const photo = join(PHOTOS, 'matplotlib_grace_hopper.jpg');
    const { code, stdout } = await memegen(
      [
        'make',
        photo,
        '-o',
        'memes',
        '--style',
        'label',
        '--format',
        'webp',
        '--top',
        'nobody:',
        '--bottom',
        'me:',
        '--json',
      ],
      cwd,
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout)[photo];
    expect(result.output).toBe(join('memes', 'matplotlib_grace_hopper.webp'));
    expect(result.caption).toEqual({ source: 'user', top: 'nobody:', bottom: 'me:' });
    expect(result.analysis.faces).toHaveLength(1);
    expect(result.height).toBeGreaterThan(600); // the label band sits above the 512×600 photo
    expect((await sharp(join(cwd, result.output)).metadata()).format).toBe('webp');
    // Where the text went: the label block on the band, the photo below it, in canvas pixels.
    const { layout } = result;
    expect([layout.width, layout.height]).toEqual([result.width, result.height]);
    expect(layout.photo).toEqual({ x: 0, y: result.height - 600, width: 512, height: 600 });
    expect(layout.blocks).toEqual([
      { role: 'label', lines: ['nobody:', 'me:'], box: expect.objectContaining({ x: expect.any(Number) }) },
    ]);
    const label = layout.blocks[0].box;
    expect(label.y + label.height).toBeLessThanOrEqual(layout.photo.y);
  }, 60_000);

  it('--json gives the layout of classic and faces memes: text blocks and tags clear of the faces found', async () => {
    const cwd = scratch();
    const photo = join(PHOTOS, 'faceapi_sample5.jpg');
    for (const style of ['classic', 'faces']) {
      const { code, stdout } = await memegen(['make', photo, '--style', style, '--json'], cwd);
      expect(code).toBe(0);
      const { layout, analysis, width } = JSON.parse(stdout)[photo];
      const roles = layout.blocks.map((block: { role: string }) => block.role);
      if (style === 'classic') expect(roles.sort()).toEqual(['bottom', 'top']);
      else expect(roles).toEqual(analysis.faces.map(() => 'tag'));
      const scale = width / analysis.width;
      for (const block of layout.blocks)
        for (const face of analysis.faces) {
          const b = block.box;
          const f = {
            x: face.box.x * scale,
            y: face.box.y * scale,
            w: face.box.width * scale,
            h: face.box.height * scale,
          };
          const w = Math.min(b.x + b.width, f.x + f.w) - Math.max(b.x, f.x);
          const h = Math.min(b.y + b.height, f.y + f.h) - Math.max(b.y, f.y);
          expect(w > 0 && h > 0).toBe(false);
        }
    }
  }, 60_000);

  it('-o with a file name writes that file, in the format its extension names', async () => {
    const cwd = scratch();
    const { code } = await memegen(
      ['make', join(PHOTOS, 'skimage_camera.png'), '-o', 'camera-meme.png', '--lang', 'zh'],
      cwd,
    );
    expect(code).toBe(0);
    expect((await sharp(join(cwd, 'camera-meme.png')).metadata()).format).toBe('png');
  }, 60_000);

  it('a folder with a broken file makes the other memes, reports the broken one and exits 1', async () => {
    const cwd = scratch();
    const input = join(cwd, 'in');
    mkdirSync(input);
    copyFileSync(join(PHOTOS, 'skimage_astronaut.png'), join(input, 'astronaut.png'));
    writeFileSync(join(input, 'broken.jpg'), 'not a jpeg at all');
    const { code, stdout } = await memegen(['make', input, '--json'], cwd);
    expect(code).toBe(1);
    const results = JSON.parse(stdout);
    expect(results[join(input, 'broken.jpg')]).toMatchObject({ code: 'NOT_AN_IMAGE' });
    expect(readdirSync(join(cwd, 'out'))).toEqual(['astronaut.jpg']);
  }, 60_000);

  it.each([
    [['--style', 'comic'], /--style must be one of classic, label, faces/],
    [['--lang', 'fr'], /--lang must be one of en, zh/],
    [['--format', 'gif'], /--format must be one of jpg, webp, png/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const { code, stderr } = await memegen(['make', PHOTOS, ...args], scratch());
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
