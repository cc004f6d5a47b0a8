/**
 * infra/package-functions.ts: the source zip the Cloud Functions buildpack receives holds
 * what `npm ci` and the runtime need (lock file, .npmrc, prebuilt dist/, models, fonts,
 * the page) and nothing of the development tree; the same tree gives the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  packageFunctions,
  PackageResult,
  readZip,
  shippedModels,
  writeZip,
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

test('the zip holds what the buildpack and the runtime need', () => {
  const names = readZip(readFileSync(first.out)).map((entry) => entry.name);
  expect(names).toEqual([...names].sort());
  for (const file of [
    'package.json',
    'package-lock.json',
    '.npmrc',
    'tsconfig.json',
    'tsconfig.build.json',
    'bin/memegen.js',
    'functions/index.ts',
    'dist/functions/index.js',
    'models/models.json',
    'models/ensemble.json',
    'models/detector.json',
    'functions/assets/fonts/NotoSansSC-Bold-GB2312.ttf',
    'functions/cloud/page/index.html',
    'functions/core/captions/en.json',
    'functions/core/captions/zh.json',
  ]) {
    expect(names).toContain(file);
  }
  for (const model of ['blazeface-back.onnx', 'mini-xception.onnx', 'faceapi-expression.onnx'])
    expect(shippedModels(ROOT)).toContain(model);
  for (const model of shippedModels(ROOT)) expect(names).toContain(`models/${model}`);
  // Comparison-only exports are not shipped.
  expect(names.filter((name) => name.endsWith('.onnx')).sort()).toEqual(
    shippedModels(ROOT)
      .map((model) => `models/${model}`)
      .sort(),
  );
  for (const name of names) {
    expect(name).not.toMatch(/^(test|docs|bench|node_modules|\.cache|out|coverage|infra)\//);
    expect(name).not.toMatch(/(^|\/)node_modules\//);
    expect(name).not.toMatch(/^models\/(export|fit|report|training)\//);
  }
  // No install scripts in the buildpack's npm ci: onnxruntime-node's would download CUDA.
  expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toMatch(/^ignore-scripts=true$/m);
});

test('the deployed package.json builds nothing in the cloud and keeps the lock file in sync', () => {
  const entries = new Map(readZip(readFileSync(first.out)).map((entry) => [entry.name, entry]));
  const deployed = JSON.parse(entries.get('package.json')!.data.toString('utf8'));
  const project = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  expect(deployed.scripts).toEqual({ 'gcp-build': '' });
  expect(deployed.main).toBe(project.main);
  expect(entries.has(deployed.main)).toBe(true);
  expect(deployed.dependencies).toEqual(project.dependencies);
  expect(deployed.devDependencies).toEqual(project.devDependencies);
  expect(entries.get('package-lock.json')!.data.equals(readFileSync(join(ROOT, 'package-lock.json')))).toBe(
    true,
  );
  expect(deployed.dependencies['@google-cloud/functions-framework']).toBeDefined();
  expect(entries.get('bin/memegen.js')!.mode).toBe(0o755);
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
