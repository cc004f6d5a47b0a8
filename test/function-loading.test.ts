/**
 * Each deployed function loads only what it uses. All of them ship in one zip with one
 * entry module, so nothing but that module's structure keeps `upload` (a page and signed
 * URLs) from paying, in cold-start time and memory, for onnxruntime, the models, sharp,
 * the canvas and the fonts. Each function runs here as on Cloud Run: the functions
 * framework in a process of its own, serving a real first request (local storage server,
 * Pub/Sub emulator); the process reports every module it loaded when it exits.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FunctionHarness, FunctionName, FUNCTIONS } from '../local/functionHarness';
import { FunctionProcess } from '../local/functionProcess';
import { emulatorAvailable } from './support/localStack';
import { PHOTOS } from './support/sharedData';

// The functions' clients and this file's harness talk to local servers only.
process.env.METADATA_SERVER_DETECTION ??= 'none';

const REPORTER = join(__dirname, 'support', 'reportLoadedModules.js');
const PHOTO = 'faceapi_sample1.jpg';

/** npm packages and our own compiled modules among the loaded files. */
interface Loaded {
  packages: Set<string>;
  ours: Set<string>;
}

const describeWithEmulator = emulatorAvailable('what each function loads') ? describe : describe.skip;

describeWithEmulator('each deployed function loads only what it uses', () => {
  let harness: FunctionHarness;
  let dir: string;
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
      packages: new Set(
        files.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]).filter((p): p is string => !!p),
      ),
      ours: new Set(
        files.map((f) => /\/dist\/functions\/(.+)\.js$/.exec(f)?.[1]).filter((m): m is string => !!m),
      ),
    };
    return statuses;
  }
  beforeAll(async () => {
    harness = await FunctionHarness.start();
    dir = mkdtempSync(join(tmpdir(), 'memegen-loading-'));
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('analyze handles an upload with onnxruntime and sharp, without the canvas, the fonts or the captions', async () => {
    const photo = readFileSync(join(PHOTOS, PHOTO));
    expect(await serve('analyze', async () => [await harness.analyzeRequest(PHOTO, photo)])).toEqual([204]);
    const { packages, ours } = loaded.analyze;
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
    const { packages, ours } = loaded.render;
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
    const { packages, ours } = loaded.upload;
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
});
