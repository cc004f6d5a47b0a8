/**
 * Cold starts, each in a fresh process:
 * - the CLI: `node bin/memegen.js make <photo> -o <file>` from spawn to exit, i.e. module
 *   load, ONNX sessions, fonts, analysis, rendering and the meme written;
 * - the `analyze` function under the functions framework (dist/functions/index.js, as
 *   deployed): from launching the framework to the answer to its first event, a Cloud
 *   Storage notification pushed as Pub/Sub does, for a photo in a local storage server, with
 *   the render request published to the Pub/Sub emulator.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { EmulatorPubSub, findPubSubEmulator } from '../local/pubsub';
import { createLocalCredentials, startStorageServer } from '../local/storage';
import { PHOTOS_DIR } from './photos';
import { Figure, figure } from './stats';

const ROOT = join(__dirname, '..');

export interface ColdStarts {
  cli: Figure;
  analyzeFunction?: Figure;
  analyzeFunctionSkipped?: string;
}

export async function benchColdStarts(processes: number): Promise<ColdStarts> {
  const dir = mkdtempSync(join(tmpdir(), 'memegen-cold-'));
  const photo = join(PHOTOS_DIR, 'faceapi_sample1.jpg');
  const cli: number[] = [];
  for (let i = 0; i < processes; i++) {
    const start = performance.now();
    await exited(
      spawn(
        process.execPath,
        [join(ROOT, 'bin', 'memegen.js'), 'make', photo, '-o', join(dir, `cold-${i}.jpg`)],
        { stdio: 'ignore' },
      ),
    );
    cli.push(performance.now() - start);
  }
  const emulator = findPubSubEmulator();
  if (!emulator) return { cli: figure(cli), analyzeFunctionSkipped: 'the Pub/Sub emulator is not installed' };
  return {
    cli: figure(cli),
    analyzeFunction: figure(await analyzeFunctionColdStarts(processes, dir, photo, emulator)),
  };
}

async function analyzeFunctionColdStarts(
  processes: number,
  dir: string,
  photo: string,
  emulatorBin: string,
): Promise<number[]> {
  const project = 'memegen-bench';
  const credentials = createLocalCredentials(join(dir, 'credentials'), project);
  const server = await startStorageServer({
    root: join(dir, 'storage'),
    signers: { [credentials.clientEmail]: credentials.publicKeyPem },
    // The deployed entry point builds a plain new Storage(), which sends no credentials to
    // STORAGE_EMULATOR_HOST; this server lets it in.
    openAccess: true,
    log: () => undefined,
  });
  const pubsub = await EmulatorPubSub.start({
    bin: emulatorBin,
    port: 18000 + Math.floor(Math.random() * 2000),
    projectId: project,
    log: () => undefined,
  });
  const times: number[] = [];
  try {
    await pubsub.createTopic(`projects/${project}/topics/render`);
    const storage = new Storage({
      apiEndpoint: server.url,
      keyFilename: credentials.keyFile,
      projectId: project,
    });
    await storage.createBucket('bench-inbox');
    await storage.createBucket('bench-public');
    const env = {
      ...process.env,
      INBOX_BUCKET: 'bench-inbox',
      PUBLIC_BUCKET: 'bench-public',
      RENDER_TOPIC: `projects/${project}/topics/render`,
      PUBLIC_BASE_URL: `${server.url}/bench-public`,
      STORAGE_EMULATOR_HOST: server.url,
      GOOGLE_APPLICATION_CREDENTIALS: credentials.keyFile,
      GOOGLE_CLOUD_PROJECT: project,
      PUBSUB_EMULATOR_HOST: pubsub.emulatorHost,
      METADATA_SERVER_DETECTION: 'none',
    };
    for (let i = 0; i < processes; i++) {
      const name = `cold-${i}.jpg`;
      const [file] = await storage.bucket('bench-inbox').upload(photo, { destination: name });
      const port = 19000 + Math.floor(Math.random() * 3000);
      const body = JSON.stringify({
        message: {
          data: Buffer.from(JSON.stringify(file.metadata)).toString('base64'),
          attributes: {
            eventType: 'OBJECT_FINALIZE',
            payloadFormat: 'JSON_API_V1',
            bucketId: 'bench-inbox',
            objectId: name,
            objectGeneration: String(file.metadata.generation),
          },
          messageId: String(i + 1),
          publishTime: new Date().toISOString(),
        },
        subscription: `projects/${project}/subscriptions/analyze`,
      });
      const start = performance.now();
      const child = spawn(
        process.execPath,
        [
          join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js'),
          '--target=analyze',
          '--signature-type=cloudevent',
          `--port=${port}`,
          `--source=${join(ROOT, 'dist', 'functions', 'index.js')}`,
        ],
        { env, stdio: 'ignore' },
      );
      try {
        const status = await postWhenListening(
          `http://127.0.0.1:${port}/projects/${project}/topics/uploads`,
          body,
        );
        times.push(performance.now() - start);
        if (status >= 300) throw new Error(`analyze answered ${status} to its first event`);
      } finally {
        child.kill('SIGTERM');
        await exited(child);
      }
    }
    return times;
  } finally {
    await pubsub.close();
    await server.close();
  }
}

/** POSTs as soon as the port accepts connections (polling every 5 ms), returns the status. */
async function postWhenListening(url: string, body: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await response.arrayBuffer();
      return response.status;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve),
  );
}
