/**
 * The world the deployed functions run in locally, for running them one process each
 * (functionProcess.ts) as Cloud Run does: the local storage server with an inbox and a
 * public bucket, the Pub/Sub emulator with the render and uploads topics, and a collector that receives
 * what analyze publishes by push, so that render can be given the render requests analyze
 * really made. Used by the functions benchmark (bench/functions.ts) and the test of what
 * each function loads (test/function-loading.test.ts).
 */
import { createServer, IncomingMessage, Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { EmulatorPubSub, findPubSubEmulator } from './pubsub';
import { createLocalCredentials, startStorageServer, StorageServer } from './storage';

const PROJECT = 'memegen-bench';

/** Every deployed function, with the kind of trigger the framework serves it with. */
export const FUNCTIONS = {
  analyze: 'cloudevent',
  render: 'cloudevent',
  upload: 'http',
  deadLetter: 'cloudevent',
  sweep: 'cloudevent',
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

export interface FunctionRequest {
  path: string;
  init: RequestInit;
}

export class FunctionHarness {
  private readonly renderRequests = new Map<string, string[]>();
  private uploads = 0;
  private ticks = 0;

  private constructor(
    private readonly dir: string,
    private readonly server: StorageServer,
    private readonly pubsub: EmulatorPubSub,
    private readonly collector: Server,
    private readonly storage: Storage,
    readonly env: Record<string, string | undefined>,
  ) {}

  static async start(): Promise<FunctionHarness> {
    const emulatorBin = findPubSubEmulator();
    if (!emulatorBin) throw new Error('the Pub/Sub emulator is not installed (see docs/pipeline.md)');
    const dir = mkdtempSync(join(tmpdir(), 'memegen-functions-bench-'));
    const credentials = createLocalCredentials(join(dir, 'credentials'), PROJECT);
    const server = await startStorageServer({
      root: join(dir, 'storage'),
      signers: { [credentials.clientEmail]: credentials.publicKeyPem },
      // The deployed entry points build a plain new Storage(), which sends no credentials to
      // STORAGE_EMULATOR_HOST; this server lets them in.
      openAccess: true,
      log: () => undefined,
    });
    const pubsub = await EmulatorPubSub.start({
      bin: emulatorBin,
      port: 18000 + Math.floor(Math.random() * 2000),
      projectId: PROJECT,
      log: () => undefined,
    });
    const storage = new Storage({
      apiEndpoint: server.url,
      keyFilename: credentials.keyFile,
      projectId: PROJECT,
    });
    await storage.createBucket('bench-inbox');
    await storage.createBucket('bench-public');
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      INBOX_BUCKET: 'bench-inbox',
      PUBLIC_BUCKET: 'bench-public',
      RENDER_TOPIC: `projects/${PROJECT}/topics/render`,
      // Where the sweep redelivers stalled jobs (only the sweep reads it).
      UPLOADS_TOPIC: `projects/${PROJECT}/topics/uploads`,
      PUBLIC_BASE_URL: `${server.url}/bench-public`,
      STORAGE_EMULATOR_HOST: server.url,
      GOOGLE_APPLICATION_CREDENTIALS: credentials.keyFile,
      GOOGLE_CLOUD_PROJECT: PROJECT,
      PUBSUB_EMULATOR_HOST: pubsub.emulatorHost,
      METADATA_SERVER_DETECTION: 'none',
    };
    const collector = createServer();
    const harness = new FunctionHarness(dir, server, pubsub, collector, storage, env);
    collector.on('request', (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        harness.keepRenderRequest(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const address = collector.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await pubsub.createTopic(env.RENDER_TOPIC);
    await pubsub.createTopic(env.UPLOADS_TOPIC);
    await pubsub.createPushSubscription({
      name: `projects/${PROJECT}/subscriptions/bench-render`,
      topic: env.RENDER_TOPIC,
      endpoint: `http://127.0.0.1:${port}/`,
      maxDeliveryAttempts: 5,
    });
    return harness;
  }

  /** A render request (the push body Pub/Sub sends), filed under the photo it is for. */
  private keepRenderRequest(body: string): void {
    const push = JSON.parse(body) as { message: { data: string } };
    const request = JSON.parse(Buffer.from(push.message.data, 'base64').toString('utf8')) as {
      source: { object: string };
    };
    const photo = request.source.object.replace(/^\d+-/, '');
    this.renderRequests.set(photo, [...(this.renderRequests.get(photo) ?? []), body]);
  }

  /** An inbox notification for a fresh copy of the photo, as Pub/Sub pushes it to analyze. */
  async analyzeRequest(photo: string, bytes: Buffer): Promise<FunctionRequest> {
    return this.push('uploads', await this.inboxNotification(photo, bytes, 'analyze', {}));
  }

  /**
   * The same notification after analyze's subscription gave up on it, as Pub/Sub forwards it
   * to the dead-letter topic and pushes it to deadLetter. Its upload is no job's (it was not
   * asked for through upload), so deadLetter reads for a status, finds none and ignores it.
   */
  async deadLetterRequest(photo: string, bytes: Buffer): Promise<FunctionRequest> {
    const body = await this.inboxNotification(photo, bytes, 'dead-letter-handler', {
      CloudPubSubDeadLetterSourceSubscription: `projects/${PROJECT}/subscriptions/analyze`,
      CloudPubSubDeadLetterSourceDeliveryCount: '5',
    });
    return this.push('dead-letter', body);
  }

  /** A tick, as Cloud Scheduler publishes it ("{}") and Pub/Sub pushes it to the sweep. */
  sweepRequest(): FunctionRequest {
    const body = JSON.stringify({
      message: {
        data: Buffer.from('{}').toString('base64'),
        attributes: {},
        messageId: `tick-${++this.ticks}`,
        publishTime: new Date().toISOString(),
      },
      subscription: `projects/${PROJECT}/subscriptions/sweep`,
    });
    return this.push('sweep', body);
  }

  /** The push body of the notification for a fresh copy of the photo in the inbox. */
  private async inboxNotification(
    photo: string,
    bytes: Buffer,
    subscription: string,
    extraAttributes: Record<string, string>,
  ): Promise<string> {
    const name = `${++this.uploads}-${photo}`;
    const file = this.storage.bucket('bench-inbox').file(name);
    await file.save(bytes, { resumable: false, contentType: 'image/jpeg' });
    const [metadata] = await file.getMetadata();
    return JSON.stringify({
      message: {
        data: Buffer.from(JSON.stringify(metadata)).toString('base64'),
        attributes: {
          eventType: 'OBJECT_FINALIZE',
          payloadFormat: 'JSON_API_V1',
          bucketId: 'bench-inbox',
          objectId: name,
          objectGeneration: String(metadata.generation),
          ...extraAttributes,
        },
        messageId: String(this.uploads),
        publishTime: new Date().toISOString(),
      },
      subscription: `projects/${PROJECT}/subscriptions/${subscription}`,
    });
  }

  /** How many render requests for the photo are waiting to be used. */
  renderRequestsFor(photo: string): number {
    return this.renderRequests.get(photo)?.length ?? 0;
  }

  /** One of the render requests analyze published for the photo (each is used once: render deletes the upload). */
  async renderRequest(photo: string): Promise<FunctionRequest> {
    const deadline = Date.now() + 30_000;
    while (!this.renderRequests.get(photo)?.length) {
      if (Date.now() > deadline) throw new Error(`no render request for ${photo} arrived`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.push('render', this.renderRequests.get(photo)!.shift()!);
  }

  uploadRequest(): FunctionRequest {
    return {
      path: '/api/uploads',
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contentType: 'image/jpeg', size: 250_000, style: 'classic' }),
      },
    };
  }

  private push(topic: string, body: string): FunctionRequest {
    return {
      path: `/projects/${PROJECT}/topics/${topic}`,
      init: { method: 'POST', headers: { 'content-type': 'application/json' }, body },
    };
  }

  /** Names of the objects in the public bucket (memes and status documents). */
  async publicObjects(): Promise<string[]> {
    const [files] = await this.storage.bucket('bench-public').getFiles();
    return files.map((file) => file.name);
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.collector.close(resolve));
    await this.pubsub.close();
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
