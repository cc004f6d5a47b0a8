/**
 * Each deployed function runs from the deploy zip alone and loads only what it uses. All
 * of them ship in one zip with one entry module, so nothing but that module's structure
 * keeps `upload` (a page and signed URLs), `deadLetter` and `sweep` (statuses) from paying,
 * in cold-start time and memory, for onnxruntime, the models, sharp, the canvas and the fonts. Each function runs here as on
 * Cloud Run: the functions framework in a process of its own, from the unpacked zip (with
 * the project's node_modules, as `npm ci` would install them), serving a real first request
 * (local storage server, Pub/Sub emulator); the process reports every module it loaded
 * when it exits.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageFunctions, readZip } from '../infra/package-functions';
import { FunctionHarness, FunctionName, FUNCTIONS } from '../local/functionHarness';
import { FunctionProcess } from '../local/functionProcess';
import { emulatorAvailable } from './support/localStack';
import { PHOTOS } from './support/sharedData';

// The functions' clients and this file's harness talk to local servers only.
process.env.METADATA_SERVER_DETECTION ??= 'none';

const ROOT = join(__dirname, '..');
const REPORTER = join(__dirname, 'support', 'reportLoadedModules.js');
const PHOTO = 'faceapi_sample1.jpg';

/** npm packages (package-lock.json keys) and our own compiled modules among the loaded files. */
interface Loaded {
  packages: Set<string>;
  ours: Set<string>;
}

/** "…/node_modules/a/node_modules/@b/c/x.js" → "node_modules/a/node_modules/@b/c" (its package-lock.json key). */
function lockKey(file: string): string | undefined {
  const at = file.indexOf('/node_modules/');
  if (at < 0) return undefined;
  const parts = file.slice(at + 1).split('/');
  const key: string[] = [];
  for (let i = 0; parts[i] === 'node_modules';) {
    const length = parts[i + 1].startsWith('@') ? 2 : 1;
    key.push('node_modules', ...parts.slice(i + 1, i + 1 + length));
    i += 1 + length;
  }
  return key.join('/');
}
const packageName = (key: string): string => key.replace(/^.*node_modules\//, '');

const describeWithEmulator = emulatorAvailable('what each function loads') ? describe : describe.skip;

describeWithEmulator('each deployed function loads only what it uses', () => {
  let harness: FunctionHarness;
  let dir: string;
  /** The unpacked zip's entry module. */
  let source: string;
  const loaded = {} as Record<FunctionName, Loaded>;

  /** Runs one function in its own process through the given requests; returns the statuses. */
  async function serve(
    name: FunctionName,
    requests: () => Promise<{ path: string; init: RequestInit }[]>,
  ): Promise<number[]> {
    const file = join(dir, `${name}.json`);
    const fn = await FunctionProcess.start({
      target: name,
      signatureType: FUNCTIONS[name],
      source,
      env: { ...harness.env, MEMEGEN_LOADED_MODULES_FILE: file },
      preload: [REPORTER],
    });
    const statuses: number[] = [];
    try {
      for (const request of await requests())
        statuses.push((await fn.request(request.path, request.init)).status);
    } finally {
      await fn.stop();
    }
    const files = JSON.parse(readFileSync(file, 'utf8')) as string[];
    loaded[name] = {
      packages: new Set(files.map(lockKey).filter((key): key is string => !!key)),
      ours: new Set(
        files.map((f) => /\/dist\/functions\/(.+)\.js$/.exec(f)?.[1]).filter((m): m is string => !!m),
      ),
    };
    return statuses;
  }
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'memegen-loading-'));
    const zip = packageFunctions({ root: ROOT, out: join(dir, 'functions.zip') });
    const unpacked = join(dir, 'unpacked');
    for (const entry of readZip(readFileSync(zip.out))) {
      mkdirSync(dirname(join(unpacked, entry.name)), { recursive: true });
      writeFileSync(join(unpacked, entry.name), entry.data);
    }
    symlinkSync(join(ROOT, 'node_modules'), join(unpacked, 'node_modules'), 'dir');
    source = join(unpacked, 'dist', 'functions', 'index.js');
    harness = await FunctionHarness.start();
  }, 180_000);

  afterAll(async () => {
    await harness?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('analyze handles an upload with onnxruntime and sharp, without the canvas, the fonts or the captions', async () => {
    const photo = readFileSync(join(PHOTOS, PHOTO));
    expect(await serve('analyze', async () => [await harness.analyzeRequest(PHOTO, photo)])).toEqual([204]);
    const { ours } = loaded.analyze;
    const packages = [...loaded.analyze.packages].map(packageName);
    expect(packages).toContain('onnxruntime-node');
    expect(packages).toContain('sharp');
    expect(packages).toContain('@google-cloud/pubsub');
    expect(packages).not.toContain('@napi-rs/canvas');
    for (const module of [
      'core/render/fonts',
      'core/render/renderMeme',
      'core/captions/library',
      'cloud/page',
    ])
      expect(ours).not.toContain(module);
  }, 120_000);

  // Render's request is the one analyze published in the test above.
  test("render draws analyze's request with the canvas, sharp and the fonts, without onnxruntime or Pub/Sub", async () => {
    expect(await serve('render', async () => [await harness.renderRequest(PHOTO)])).toEqual([204]);
    expect((await harness.publicObjects()).some((name) => name.endsWith('.jpg'))).toBe(true);
    const { ours } = loaded.render;
    const packages = [...loaded.render.packages].map(packageName);
    expect(packages).toContain('@napi-rs/canvas');
    expect(packages).toContain('sharp');
    expect(ours).toContain('core/render/fonts');
    for (const pkg of ['onnxruntime-node', 'onnxruntime-common', '@google-cloud/pubsub'])
      expect(packages).not.toContain(pkg);
    for (const module of ['core/analyze', 'core/sessions', 'cloud/page']) expect(ours).not.toContain(module);
  }, 120_000);

  test('upload serves the page and signs an upload without onnxruntime, sharp, the canvas, the fonts or Pub/Sub', async () => {
    const statuses = await serve('upload', async () => [{ path: '/', init: {} }, harness.uploadRequest()]);
    expect(statuses).toEqual([200, 201]);
    const { ours } = loaded.upload;
    const packages = [...loaded.upload.packages].map(packageName);
    expect(packages).toContain('@google-cloud/storage');
    for (const pkg of [
      'onnxruntime-node',
      'onnxruntime-common',
      'sharp',
      '@napi-rs/canvas',
      '@google-cloud/pubsub',
      '@grpc/grpc-js',
    ])
      expect(packages).not.toContain(pkg);
    for (const module of [
      'core/analyze',
      'core/image',
      'core/render/fonts',
      'core/render/renderMeme',
      'core/captions/library',
    ])
      expect(ours).not.toContain(module);
  }, 120_000);

  /** What neither deadLetter nor sweep may load: they only read and write statuses. */
  const notForLifecycle = {
    packages: ['onnxruntime-node', 'onnxruntime-common', 'sharp', '@napi-rs/canvas'],
    ours: [
      'core/analyze',
      'core/image',
      'core/render/fonts',
      'core/render/renderMeme',
      'core/captions/library',
      'cloud/page',
    ],
  };

  test("deadLetter reads the status of a dead letter's job without onnxruntime, sharp, the canvas, the fonts or Pub/Sub", async () => {
    const photo = readFileSync(join(PHOTOS, PHOTO));
    expect(await serve('deadLetter', async () => [await harness.deadLetterRequest(PHOTO, photo)])).toEqual([
      204,
    ]);
    const { ours } = loaded.deadLetter;
    const packages = [...loaded.deadLetter.packages].map(packageName);
    expect(packages).toContain('@google-cloud/storage');
    expect(ours).toContain('cloud/deadLetterHandler');
    for (const pkg of [...notForLifecycle.packages, '@google-cloud/pubsub'])
      expect(packages).not.toContain(pkg);
    for (const module of notForLifecycle.ours) expect(ours).not.toContain(module);
  }, 120_000);

  test('sweep lists the open jobs on a tick with Storage and Pub/Sub, without onnxruntime, sharp, the canvas or the fonts', async () => {
    // upload's test above opened a job, so the sweep has an index entry and a status to read.
    expect(await serve('sweep', async () => [harness.sweepRequest()])).toEqual([204]);
    const { ours } = loaded.sweep;
    const packages = [...loaded.sweep.packages].map(packageName);
    expect(packages).toContain('@google-cloud/storage');
    expect(packages).toContain('@google-cloud/pubsub');
    expect(ours).toContain('cloud/sweep');
    for (const pkg of notForLifecycle.packages) expect(packages).not.toContain(pkg);
    for (const module of notForLifecycle.ours) expect(ours).not.toContain(module);
  }, 120_000);

  test('every package a function loads is a production dependency (what the buildpack installs)', () => {
    type LockEntry = {
      dev?: boolean;
      dependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    const lock = (
      JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, LockEntry>;
      }
    ).packages;
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      expect(loaded[name]).toBeDefined();
      const keys = [...loaded[name].packages];
      // A package may use an optional peer when it happens to be installed (debug uses
      // supports-color); production installs lack it, and the package does without.
      const optional = new Set<string>();
      const addWithDependencies = (pkg: string): void => {
        const key = `node_modules/${pkg}`;
        if (optional.has(key)) return;
        optional.add(key);
        for (const dependency of Object.keys(lock[key]?.dependencies ?? {})) addWithDependencies(dependency);
      };
      for (const key of keys)
        if (lock[key] && !lock[key].dev)
          for (const [peer, meta] of Object.entries(lock[key].peerDependenciesMeta ?? {}))
            if (meta.optional) addWithDependencies(peer);
      const devOrUnknown = keys.filter((key) => !optional.has(key) && (!lock[key] || lock[key].dev));
      expect({ name, devOrUnknown }).toEqual({ name, devOrUnknown: [] });
    }
  });
});
