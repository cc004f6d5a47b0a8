/**
 * The whole pipeline on one machine, with no cloud account: the local Cloud Storage
 * server, Pub/Sub (the Cloud SDK emulator, or an in-process dispatcher without it) and the
 * three functions under the functions framework, wired as on GCP: an upload to the inbox
 * notifies the uploads topic, whose push subscription calls `analyze`; `analyze` publishes to
 * the render topic, whose push subscription calls `render`; both retry and dead-letter.
 *
 * The handlers are the production ones; only the clients they are given point here.
 */
import { mkdirSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Storage } from '@google-cloud/storage';
import { Analyzer, projectRoot } from '../functions/core';
import { createAnalyzeHandler } from '../functions/cloud/analyzeHandler';
import { Config, loadConfig } from '../functions/cloud/config';
import { gcsBlobStore } from '../functions/cloud/gcs';
import { jsonLogger } from '../functions/cloud/log';
import { loadPageAssets } from '../functions/cloud/page';
import { Publisher } from '../functions/cloud/ports';
import { createRenderHandler } from '../functions/cloud/renderHandler';
import { createUploadHandler } from '../functions/cloud/uploadHandler';
import { EmulatorPubSub, findPubSubEmulator, InProcessPubSub, LocalPubSub } from './pubsub';
import { createLocalCredentials, startStorageServer, StorageServer } from './storage';

export const LOCAL_PROJECT = 'memegen-local';
export const LOCAL_BUCKETS = { inbox: 'memegen-inbox', public: 'memegen-public' } as const;
const TOPICS = {
  uploads: 'memegen-uploads',
  render: 'memegen-render',
  deadLetter: 'memegen-dead-letter',
} as const;

export interface LocalStackOptions {
  /** Where buckets and the local signing key live (default .cache/local-stack in the project). */
  dataDir?: string;
  /** Port of the upload page (default 8080; 0 = any free port). */
  port?: number;
  /** Port of the storage server (default 0 = any). */
  storagePort?: number;
  pubsub?: 'auto' | 'emulator' | 'in-process';
  /** Extra settings, as environment variables would give them (MAX_UPLOAD_BYTES, …). */
  settings?: Record<string, string>;
  /** Where the stack's own messages and the functions' JSON logs go. */
  log?: (line: string) => void;
}

export interface LocalStack {
  pageUrl: string;
  storageUrl: string;
  publicBaseUrl: string;
  projectId: string;
  inboxBucket: string;
  publicBucket: string;
  keyFile: string;
  pubsub: 'emulator' | 'in-process';
  pubsubDescription: string;
  emulatorHost?: string;
  close(): Promise<void>;
}

let instances = 0;

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const dataDir = resolve(options.dataDir ?? join(projectRoot(), '.cache', 'local-stack'));
  mkdirSync(dataDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };

  try {
    const pubsub = await startPubSub(options.pubsub ?? 'auto', log);
    cleanups.push(() => pubsub.close());
    const topic = (name: string): string => `projects/${LOCAL_PROJECT}/topics/${name}`;

    const credentials = createLocalCredentials(join(dataDir, 'credentials'), LOCAL_PROJECT);
    const storageServer: StorageServer = await startStorageServer({
      root: join(dataDir, 'storage'),
      port: options.storagePort ?? 0,
      signers: { [credentials.clientEmail]: credentials.publicKeyPem },
      publicBuckets: [LOCAL_BUCKETS.public],
      notifications: { publish: async (name, message) => void (await pubsub.publish(name, message)) },
      log,
    });
    cleanups.push(() => storageServer.close());
    const storage = new Storage({
      apiEndpoint: storageServer.url,
      keyFilename: credentials.keyFile,
      projectId: LOCAL_PROJECT,
    });

    for (const name of Object.values(TOPICS)) await pubsub.createTopic(topic(name));
    for (const name of Object.values(LOCAL_BUCKETS)) {
      const bucket = storage.bucket(name);
      if (!(await bucket.exists())[0]) await storage.createBucket(name);
    }
    const inbox = storage.bucket(LOCAL_BUCKETS.inbox);
    const [notifications] = await inbox.getNotifications();
    if (!notifications.some((n) => n.metadata.topic?.endsWith(`/topics/${TOPICS.uploads}`))) {
      await inbox.createNotification(topic(TOPICS.uploads), {
        eventTypes: ['OBJECT_FINALIZE'],
        payloadFormat: 'JSON_API_V1',
      });
    }

    const config: Config = loadConfig({
      INBOX_BUCKET: LOCAL_BUCKETS.inbox,
      PUBLIC_BUCKET: LOCAL_BUCKETS.public,
      RENDER_TOPIC: topic(TOPICS.render),
      PUBLIC_BASE_URL: `${storageServer.url}/${LOCAL_BUCKETS.public}`,
      ...options.settings,
    });
    const blobs = gcsBlobStore(storage);
    const publisher: Publisher = {
      publishJson: (name, data, attributes = {}) =>
        pubsub.publish(name, { data: Buffer.from(JSON.stringify(data)), attributes }),
    };
    const functionLog = jsonLogger({ service: 'memegen' }, log);
    const analyzer = Analyzer.create();

    // Registered under names unique to this stack, so several stacks can share a process (tests).
    const id = ++instances;
    const names = { analyze: `analyze_${id}`, render: `render_${id}`, upload: `upload_${id}` };
    functions.cloudEvent(
      names.analyze,
      createAnalyzeHandler({
        config,
        blobs,
        publisher,
        analyze: async (bytes) => (await analyzer).analyze(bytes),
        log: functionLog,
      }),
    );
    functions.cloudEvent(names.render, createRenderHandler({ config, blobs, log: functionLog }));
    functions.http(
      names.upload,
      createUploadHandler({ config, blobs, page: loadPageAssets(), log: functionLog }),
    );
    const analyzeServer = await listen(getTestServer(names.analyze), 0);
    const renderServer = await listen(getTestServer(names.render), 0);
    const uploadServer = await listen(getTestServer(names.upload), options.port ?? 8080);
    const deadLetterServer = await listen(
      createServer((req, res) => {
        req.resume();
        log(`dead-lettered message on ${req.url}: see the functions' ERROR lines above for why`);
        res.writeHead(204).end();
      }),
      0,
    );
    for (const server of [analyzeServer, renderServer, uploadServer, deadLetterServer])
      cleanups.push(() => closeServer(server));

    const endpoint = (server: Server, topicName: string): string =>
      `http://127.0.0.1:${port(server)}/projects/${LOCAL_PROJECT}/topics/${topicName}`;
    const retries = {
      deadLetterTopic: topic(TOPICS.deadLetter),
      maxDeliveryAttempts: config.maxDeliveryAttempts,
    };
    await pubsub.createPushSubscription({
      name: `projects/${LOCAL_PROJECT}/subscriptions/memegen-analyze`,
      topic: topic(TOPICS.uploads),
      endpoint: endpoint(analyzeServer, TOPICS.uploads),
      ...retries,
    });
    await pubsub.createPushSubscription({
      name: `projects/${LOCAL_PROJECT}/subscriptions/memegen-render`,
      topic: topic(TOPICS.render),
      endpoint: endpoint(renderServer, TOPICS.render),
      ...retries,
    });
    await pubsub.createPushSubscription({
      name: `projects/${LOCAL_PROJECT}/subscriptions/memegen-dead-letter`,
      topic: topic(TOPICS.deadLetter),
      endpoint: endpoint(deadLetterServer, TOPICS.deadLetter),
      maxDeliveryAttempts: 5,
    });
    await analyzer; // models loaded before the first upload can arrive

    return {
      pageUrl: `http://127.0.0.1:${port(uploadServer)}/`,
      storageUrl: storageServer.url,
      publicBaseUrl: config.publicBaseUrl,
      projectId: LOCAL_PROJECT,
      inboxBucket: LOCAL_BUCKETS.inbox,
      publicBucket: LOCAL_BUCKETS.public,
      keyFile: credentials.keyFile,
      pubsub: pubsub instanceof EmulatorPubSub ? 'emulator' : 'in-process',
      pubsubDescription: pubsub.description,
      emulatorHost: pubsub.emulatorHost,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function startPubSub(
  mode: 'auto' | 'emulator' | 'in-process',
  log: (line: string) => void,
): Promise<LocalPubSub> {
  if (mode === 'in-process') return new InProcessPubSub(log);
  const bin = findPubSubEmulator();
  if (!bin) {
    if (mode === 'emulator')
      throw new Error(
        'the Cloud SDK Pub/Sub emulator is not installed (set PUBSUB_EMULATOR_BIN to its launcher)',
      );
    log('Pub/Sub emulator not found: using the in-process dispatcher instead');
    return new InProcessPubSub(log);
  }
  return EmulatorPubSub.start(bin, await freePort(), LOCAL_PROJECT, log);
}

function listen(server: Server, portNumber: number): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(portNumber, '127.0.0.1', () => resolvePromise(server));
  });
}

function port(server: Server): number {
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolvePromise) => {
    server.closeAllConnections?.();
    server.close(() => resolvePromise());
  });
}

async function freePort(): Promise<number> {
  const server = await listen(createServer(), 0);
  const free = port(server);
  await closeServer(server);
  return free;
}
