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
