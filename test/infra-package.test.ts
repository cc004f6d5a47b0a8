/**
 * infra/package-functions.ts: the source zip the Cloud Functions buildpack receives holds
 * what `npm ci` needs and what the functions run (prebuilt dist/functions, the models, the
 * font, the page) and nothing else: no TypeScript, CLI, local stack, tests or tooling. The
 * same tree gives the same bytes. (test/function-loading.test.ts runs every function from
 * the unpacked zip.)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  functionSources,
  packageFunctions,
  PackageResult,
  readZip,
  shippedModels,
  writeZip,
  ZIP_GROUPS,
  zipGroup,
} from '../infra/package-functions';

const ROOT = join(__dirname, '..');
let dir: string;
let first: PackageResult;
let second: PackageResult;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memegen-package-test-'));
  first = packageFunctions({ root: ROOT, out: join(dir, 'a.zip') });
  second = packageFunctions({ root: ROOT, out: join(dir, 'b.zip') });
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('packaging the same tree twice gives identical bytes (so the md5-named object only changes with the code)', () => {
  const a = readFileSync(first.out);
  const b = readFileSync(second.out);
  expect(a.equals(b)).toBe(true);
  expect(first.md5).toBe(createHash('md5').update(a).digest('hex'));
  expect(first.md5).toBe(second.md5);
});

test('the zip holds exactly what the functions run, group by group, and nothing of the development tree', () => {
  const entries = readZip(readFileSync(first.out));
  const names = entries.map((entry) => entry.name);
  expect(names).toEqual([...names].sort());
  const byGroup = (group: string): string[] => names.filter((name) => zipGroup(name) === group);
  // Every file belongs to one group.
  expect(names.filter((name) => zipGroup(name) === undefined)).toEqual([]);
  expect(byGroup('deploy manifests')).toEqual(['.npmrc', 'package-lock.json', 'package.json']);
  // Every module of functions/ compiled, one file each: no source maps, declarations or sources.
  expect(byGroup('compiled functions')).toEqual(
    functionSources(ROOT)
      .map((file) => `dist/${file.replace(/\.ts$/, '.js')}`)
      .sort(),
  );
  // Each function's own module, which index.ts loads on the function's first call.
  const index = readFileSync(join(ROOT, 'functions', 'index.ts'), 'utf8');
  const lazy = [...index.matchAll(/import\('\.\/entries\/(\w+)'\)/g)].map((m) => m[1]);
  expect(lazy.sort()).toEqual(['analyze', 'deadLetter', 'render', 'sweep', 'upload']);
  for (const name of lazy) expect(names).toContain(`dist/functions/entries/${name}.js`);
  expect(byGroup('caption library')).toEqual([
    'dist/functions/core/captions/en.json',
    'dist/functions/core/captions/zh.json',
  ]);
  // The page and everything it links to (not its type-checking tsconfig.json).
  const page = byGroup('upload page');
  expect(page).toEqual(
    ['app.js', 'icon.svg', 'index.html', 'style.css'].map((file) => `functions/cloud/page/${file}`),
  );
  const html = readFileSync(join(ROOT, 'functions', 'cloud', 'page', 'index.html'), 'utf8');
  for (const [, link] of html.matchAll(/(?:src|href)="([\w.-]+\.\w+)"/g))
    expect(page).toContain(`functions/cloud/page/${link}`);
  // The CJK subset bundled with the code (the other fonts come from npm packages).
  expect(byGroup('fonts')).toEqual(['functions/assets/fonts/NotoSansSC-Bold-GB2312.ttf']);
  expect(byGroup('model manifests')).toEqual([
    'models/detector.json',
    'models/ensemble.json',
    'models/models.json',
  ]);
  // Exactly the models the runtime loads: the detector and the ensemble's members (candidates
  // that models:fit left out, and comparison-only exports, stay home).
  const models = (name: string) => JSON.parse(readFileSync(join(ROOT, 'models', name), 'utf8'));
  const manifest = models('models.json') as { models: { id: string; file: string }[] };
  const fileOf = (id: string) => manifest.models.find((m) => m.id === id)!.file;
  expect(shippedModels(ROOT)).toEqual(
    [
      fileOf((models('detector.json') as { options: { model: string } }).options.model),
      ...(models('ensemble.json') as { members: { model: string }[] }).members.map((m) => fileOf(m.model)),
    ].sort(),
  );
  expect(byGroup('models')).toEqual(
    shippedModels(ROOT)
      .map((model) => `models/${model}`)
      .sort(),
  );
  for (const name of names) {
    expect(name).not.toMatch(/^(bin|cli|local|test|docs|bench|infra|node_modules|\.cache|out|coverage)\//);
    expect(name).not.toMatch(/\.(ts|map)$/);
    expect(name).not.toMatch(/^models\/(export|fit|report|training|eval)\//);
  }
  // No install scripts in the buildpack's npm ci: onnxruntime-node's would download CUDA.
  expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toMatch(/^ignore-scripts=true$/m);
});

test('the zip measured: the models and the font are nearly all of it; the code is a few hundred KiB', () => {
  const entries = readZip(readFileSync(first.out));
  const bytes = (group: string): number =>
    entries
      .filter((entry) => zipGroup(entry.name) === group)
      .reduce((sum, entry) => sum + entry.data.length, 0);
  const total = entries.reduce((sum, entry) => sum + entry.data.length, 0);
  // What the packager reports is what the zip holds.
  for (const group of ZIP_GROUPS)
    expect({ group: group.name, bytes: bytes(group.name) }).toEqual({
      group: group.name,
      bytes: first.groups[group.name].bytes,
    });
  expect(bytes('models') + bytes('fonts')).toBeGreaterThan(0.85 * total);
  expect(bytes('compiled functions') + bytes('caption library')).toBeLessThan(400 * 1024);
  expect(first.bytes).toBeLessThan(8 * 1024 * 1024);
});

test('the deployed package.json builds nothing in the cloud and keeps the lock file in sync', () => {
  const entries = new Map(readZip(readFileSync(first.out)).map((entry) => [entry.name, entry]));
  const deployed = JSON.parse(entries.get('package.json')!.data.toString('utf8'));
  const project = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  expect(deployed.scripts).toEqual({ 'gcp-build': '' });
  expect(deployed.bin).toBeUndefined(); // the CLI is not shipped
  expect(deployed.main).toBe(project.main);
  expect(entries.has(deployed.main)).toBe(true);
  expect(deployed.dependencies).toEqual(project.dependencies);
  expect(deployed.devDependencies).toEqual(project.devDependencies);
  expect(entries.get('package-lock.json')!.data.equals(readFileSync(join(ROOT, 'package-lock.json')))).toBe(
    true,
  );
  expect(deployed.dependencies['@google-cloud/functions-framework']).toBeDefined();
});

test('the zip is readable by unzip too, where it is installed', () => {
  const unzip = spawnSync('unzip', ['-tq', first.out], { encoding: 'utf8' });
  if (unzip.error) {
    console.warn('SKIPPED: unzip is not installed; the zip was checked with our own reader only');
    return;
  }
  expect(unzip.status).toBe(0);
});

test('writeZip and readZip round-trip stored and deflated entries', () => {
  const entries = [
    { name: 'b/random.bin', data: createHash('sha512').update('x').digest(), mode: 0o644 },
    { name: 'a/text.txt', data: Buffer.from('memegen '.repeat(100)), mode: 0o755 },
    { name: 'empty', data: Buffer.alloc(0), mode: 0o644 },
  ];
  const back = readZip(writeZip(entries));
  expect(back.map((entry) => entry.name)).toEqual(['a/text.txt', 'b/random.bin', 'empty']);
  for (const entry of back) {
    const original = entries.find((e) => e.name === entry.name)!;
    expect(entry.data.equals(original.data)).toBe(true);
    expect(entry.mode).toBe(original.mode);
  }
});
