/** `memegen make` and the CLI's manners, run as a user runs them: a separate process of the built CLI. */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
    // Killed before the test's time (jest.testTimeout, 120 s) runs out: a child left running
    // would keep Jest from exiting.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd,
      maxBuffer: 32 * 1024 * 1024,
      timeout: 110_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const scratches: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'memegen-make-'));
  scratches.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});
const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

describe('memegen make', () => {
  it('with no argument makes memes of the bundled sample photos into ./out, printing each caption', async () => {
    const cwd = scratch();
    const { code, stdout, stderr } = await memegen(['make'], cwd);
    expect(code).toBe(0);
    const photos = readdirSync(PHOTOS).filter((f) => /\.(jpe?g|png)$/i.test(f));
    expect(readdirSync(join(cwd, 'out')).sort()).toEqual(
      photos.map((f) => f.replace(/\.\w+$/, '.jpg')).sort(),
    );
    // One line per meme: photo → meme, and the caption written on it; then the summary.
    const results = lines(stdout);
    expect(results).toHaveLength(photos.length + 1);
    for (const photo of photos) {
      const line = results.find((l) => l.includes(`${photo} → out/${photo.replace(/\.\w+$/, '.jpg')}`));
      expect(line).toMatch(/ {2}".+"$/);
    }
    expect(results.at(-1)).toMatch(
      new RegExp(`${photos.length} meme\\(s\\) written to out .*bundled sample photos`),
    );
    expect(stderr).toBe(''); // not a terminal: no progress bar
    const meta = await sharp(join(cwd, 'out', 'faceapi_sample1.jpg')).metadata();
    expect([meta.format, meta.width]).toEqual(['jpeg', 1600]);
  });

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
  });

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
  });

  it('-o with a file name writes that file, in the format its extension names', async () => {
    const cwd = scratch();
    const { code } = await memegen(
      ['make', join(PHOTOS, 'skimage_camera.png'), '-o', 'camera-meme.png', '--lang', 'zh'],
      cwd,
    );
    expect(code).toBe(0);
    expect((await sharp(join(cwd, 'camera-meme.png')).metadata()).format).toBe('png');
  });

  describe('a folder with a broken file, two photos of one name and a subfolder', () => {
    let cwd: string;
    let input: string;
    beforeAll(() => {
      cwd = scratch();
      input = join(cwd, 'in');
      mkdirSync(join(input, 'sub'), { recursive: true });
      copyFileSync(join(PHOTOS, 'matplotlib_grace_hopper.jpg'), join(input, 'hopper.jpg'));
      copyFileSync(join(PHOTOS, 'skimage_camera.png'), join(input, 'hopper.png'));
      copyFileSync(join(PHOTOS, 'skimage_camera.png'), join(input, 'sub', 'camera.png'));
      writeFileSync(join(input, 'broken.jpg'), 'not a jpeg at all');
    });

    it('makes the others without overwriting one with another, reports the broken one in one line and exits 1', async () => {
      const { code, stdout, stderr } = await memegen(['make', 'in', '-o', 'flat'], cwd);
      expect(code).toBe(1);
      expect(readdirSync(join(cwd, 'flat')).sort()).toEqual(['hopper-1.jpg', 'hopper.jpg']);
      expect(stdout).toContain(`${join('in', 'hopper.jpg')} → ${join('flat', 'hopper.jpg')}`);
      expect(stdout).toContain(`${join('in', 'hopper.png')} → ${join('flat', 'hopper-1.jpg')}`);
      expect(lines(stdout).at(-1)).toMatch(/^2 meme\(s\) written to flat, 1 failed in /);
      // The subfolder is left out, and the user is told how to include it.
      expect(lines(stderr)).toEqual([
        'memegen make: left out the subfolders of in (add --recursive to include them)',
        expect.stringMatching(/^memegen make: in\/broken\.jpg: .*not .*(image|picture)/i),
      ]);
    });

    it('--recursive descends into subfolders and keeps them in the output; --json has every entry', async () => {
      const { code, stdout, stderr } = await memegen(['make', 'in', '--recursive', '--json'], cwd);
      expect(code).toBe(1);
      expect(stderr).toBe('');
      const results = JSON.parse(stdout);
      expect(Object.keys(results).sort()).toEqual(
        ['broken.jpg', 'hopper.jpg', 'hopper.png', join('sub', 'camera.png')].map((f) => join('in', f)),
      );
      expect(results[join('in', 'broken.jpg')]).toMatchObject({ code: 'NOT_AN_IMAGE' });
      expect(results[join('in', 'sub', 'camera.png')].output).toBe(join('out', 'sub', 'camera.jpg'));
      expect(readdirSync(join(cwd, 'out', 'sub'))).toEqual(['camera.jpg']);
    });
  });

  it('a missing file is one line on stderr, not a stack trace, and exit 1', async () => {
    const cwd = scratch();
    const { code, stdout, stderr } = await memegen(['make', 'missing.jpg'], cwd);
    expect(code).toBe(1);
    expect(lines(stderr)).toEqual(['memegen make: missing.jpg: no such file or folder']);
    expect(stdout).toMatch(/^0 meme\(s\) written to out, 1 failed/);
  });

  it.each([
    [['--style', 'comic'], /--style must be one of classic, label, faces, got "comic"/],
    [['--lang', 'fr'], /--lang must be one of en, zh/],
    [['--format', 'gif'], /--format must be one of jpg, webp, png/],
    [['--nope'], /^memegen make: unknown option --nope \(see `memegen help make`\)\n$/],
    [['--annotations', 'a.json'], /--annotations is an option of eval-faces, not of make/],
    [['--style'], /--style needs a value/],
    [['--json=yes'], /--json takes no value/],
  ])('make %j is a usage error: one line naming it and the help, exit 2', async (args, message) => {
    const { code, stdout, stderr } = await memegen(['make', PHOTOS, ...args], scratch());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('memegen help make');
  });
});

describe('the memegen command line', () => {
  it('refuses options of other commands: analyze --style nope --top hi exits 2', async () => {
    const { code, stderr } = await memegen(['analyze', PHOTOS, '--style', 'nope', '--top', 'hi'], scratch());
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'memegen analyze: --style is an option of make, not of analyze (see `memegen help analyze`)',
    );
  });

  it('an unknown command is one line pointing at the overview', async () => {
    const { code, stderr } = await memegen(['mkae'], scratch());
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('memegen: unknown command "mkae" (see `memegen help`)');
  });

  it('help <command> and <command> --help print that command’s option table', async () => {
    const cwd = scratch();
    const help = await memegen(['help', 'make'], cwd);
    expect(help.code).toBe(0);
    for (const option of [
      '-o, --out <dir|file>',
      '--style <classic|label|faces>',
      '-r, --recursive',
      '--json',
    ])
      expect(help.stdout).toContain(option);
    expect(help.stdout).not.toContain('--annotations');
    expect(await memegen(['make', '--help'], cwd)).toEqual(help);
    const overview = await memegen(['help'], cwd);
    for (const command of ['make', 'analyze', 'eval', 'eval-faces', 'job-id'])
      expect(overview.stdout).toContain(`memegen ${command} `);
  });

  it('eval on a folder that does not exist says so in one line (exit 1)', async () => {
    const { code, stderr } = await memegen(['eval', 'no-such-folder'], scratch());
    expect(code).toBe(1);
    expect(lines(stderr)).toEqual([
      'memegen: dataset folder not found: no-such-folder (expected <dir>/<emotion>/<image> folders)',
    ]);
  });
});
