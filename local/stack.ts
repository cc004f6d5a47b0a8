/**
 * The whole pipeline on one machine, with no cloud account: the local Cloud Storage
 * server, Pub/Sub (the Cloud SDK emulator, or an in-process dispatcher without it) and the
 * functions under the functions framework, wired as on GCP: an upload to the inbox
 * notifies the uploads topic, whose push subscription calls `analyze`; `analyze` publishes to
 * the render topic, whose push subscription calls `render`; both retry and dead-letter to
 * `deadLetter`; a timer runs the `sweep`.
 *
 * The handlers are the production ones; only the clients they are given point here.
 *
 * It survives crashes: the data directory keeps the storage port and the signing key (URLs
 * handed out before a restart still work), the emulator a killed run left behind is
 * stopped, uploads left in the inbox are redelivered, uploads a crash cut off are settled,
 * and an emulator that dies is restarted, with uploads refused until it is back.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, RequestListener, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Analyzer, projectRoot } from '../functions/core';
import { createAnalyzeHandler } from '../functions/cloud/analyzeHandler';
import { Config, loadConfig } from '../functions/cloud/config';
import { createDeadLetterHandler } from '../functions/cloud/deadLetterHandler';
import { gcsBlobStore } from '../functions/cloud/gcs';
import { jsonLogger } from '../functions/cloud/log';
import { loadPageAssets } from '../functions/cloud/page';
import { Publisher } from '../functions/cloud/ports';
import { createRenderHandler } from '../functions/cloud/renderHandler';
import { StatusStore } from '../functions/cloud/status';
import { createSweeper } from '../functions/cloud/sweep';
import { createUploadHandler } from '../functions/cloud/uploadHandler';
import { lockDataDir, readState, stopLeftoverEmulator, updateState } from './dataDir';
import { EmulatorPubSub, findPubSubEmulator, InProcessPubSub, LocalPubSub } from './pubsub';
import { redeliverInbox, settleInterruptedUploads } from './recovery';
import {
  loadOrCreateLocalCredentials,
  localStorageClient,
  startStorageServer,
  StorageServer,
} from './storage';

export const LOCAL_PROJECT = 'memegen-local';
export const LOCAL_BUCKETS = { inbox: 'memegen-inbox', public: 'memegen-public' } as const;
const TOPICS = {
  uploads: 'memegen-uploads',
  render: 'memegen-render',
  deadLetter: 'memegen-dead-letter',
} as const;
/** How often the sweep looks for jobs past their deadline (Cloud Scheduler does it every minute on GCP). */
const SWEEP_INTERVAL_MS = 5000;
/**
 * Locally a job with no progress for 2 minutes is redelivered, then failed: a restart or an
 * emulator death already redelivers everything at once, so only a lost message waits this.
 */
const LOCAL_JOB_STALL_SECONDS = '120';

export interface LocalStackOptions {
  /** Where buckets and the local signing key live (default .cache/local-stack in the project). */
  dataDir?: string;
  /** Port of the upload page (default 8080; 0 = any free port). */
  port?: number;
  /** Port of the storage server (default: the one this data directory used before, else any). */
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
  dataDir: string;
  pubsub: 'emulator' | 'in-process';
  pubsubDescription: string;
  emulatorHost?: string;
  /** Resolves when the stack stops by itself (the emulator could not be kept running), with why. */
  failed: Promise<string>;
  close(): Promise<void>;
  /** Kills the emulator at once, synchronously: the last resort when the process must exit now. */
  killEmulatorNow(): void;
}

let instances = 0;

/** The data directory a stack uses: the one given, or .cache/local-stack in the project. */
export function resolveDataDir(dataDir?: string): string {
  return resolve(dataDir ?? join(projectRoot(), '.cache', 'local-stack'));
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const dataDir = resolveDataDir(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      state.stopping = true;
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    })());
  const state = { ready: false, stopping: false };
  let reportFailure: (reason: string) => void = () => undefined;
  const failed = new Promise<string>((resolvePromise) => (reportFailure = resolvePromise));
  // Set once the functions are wired; the emulator may die before that.
  let afterEmulatorRestart: () => Promise<void> = async () => undefined;

  const unlock = lockDataDir(dataDir); // refuses while another stack uses the directory
  cleanups.push(async () => unlock());
  try {
    // The slow parts at once: the models load while the emulator starts and storage opens.
    const analyzer = Analyzer.create();
    analyzer.catch(() => undefined); // awaited (and its error thrown) below
    await stopLeftoverEmulator(dataDir, log);
    let started: LocalPubSub | undefined;
    const topic = (name: string): string => `projects/${LOCAL_PROJECT}/topics/${name}`;
    /** Why nothing may enter the pipeline now, or undefined. */
    const pipelineDown = (): string | undefined =>
      state.stopping
        ? 'the local stack is stopping'
        : !state.ready || !started
          ? 'the local stack is starting; try again in a moment'
          : started.unavailable();

    const credentials = loadOrCreateLocalCredentials(join(dataDir, 'credentials'), LOCAL_PROJECT);
    const [pubsubStart, storageStart] = await Promise.allSettled([
      startPubSub(options.pubsub ?? 'auto', {
        log,
        recordPid: (pid) =>
          updateState(dataDir, (s) => ({ ...s, ...(pid ? { emulator: pid } : { emulator: undefined }) })),
        onRestored: () => afterEmulatorRestart(),
        onGaveUp: (reason) => {
          log(`memegen: ${reason}; stopping the local stack`);
          reportFailure(reason);
        },
      }),
      startStorage(dataDir, options.storagePort, {
        root: join(dataDir, 'storage'),
        signers: { [credentials.clientEmail]: credentials.publicKeyPem },
        publicBuckets: [LOCAL_BUCKETS.public],
        notifications: {
          publish: async (name, message) => {
            if (!started) throw new Error('Pub/Sub is not started yet');
            await started.publish(name, message);
          },
        },
        refuseWrites: (bucket) => (bucket === LOCAL_BUCKETS.inbox ? pipelineDown() : undefined),
        log,
      }),
    ]);
    if (pubsubStart.status === 'fulfilled') cleanups.push(() => pubsubStart.value.close());
    if (storageStart.status === 'fulfilled')
      cleanups.push(() => withTimeout(storageStart.value.close(), 1000));
    if (pubsubStart.status === 'rejected') throw pubsubStart.reason;
    if (storageStart.status === 'rejected') throw storageStart.reason;
    const pubsub = (started = pubsubStart.value);
    const storageServer = storageStart.value;
    const storage = localStorageClient({
      url: storageServer.url,
      keyFile: credentials.keyFile,
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

    // The given settings may change the defaults, never where things are.
    const config: Config = loadConfig({
      JOB_STALL_SECONDS: LOCAL_JOB_STALL_SECONDS,
      ...options.settings,
      INBOX_BUCKET: LOCAL_BUCKETS.inbox,
      PUBLIC_BUCKET: LOCAL_BUCKETS.public,
      RENDER_TOPIC: topic(TOPICS.render),
      UPLOADS_TOPIC: topic(TOPICS.uploads),
      PUBLIC_BASE_URL: `${storageServer.url}/${LOCAL_BUCKETS.public}`,
    });
    const blobs = gcsBlobStore(storage);
    const publisher: Publisher = {
      publishJson: (name, data, attributes = {}) =>
        pubsub.publish(name, { data: Buffer.from(JSON.stringify(data)), attributes }),
    };
    const functionLog = jsonLogger({ service: 'memegen' }, log);

    // Registered under names unique to this stack, so several stacks can share a process (tests).
    const id = ++instances;
    const names = {
      analyze: `analyze_${id}`,
      render: `render_${id}`,
      upload: `upload_${id}`,
      deadLetter: `deadLetter_${id}`,
    };
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
    functions.cloudEvent(names.deadLetter, createDeadLetterHandler({ config, blobs, log: functionLog }));
    functions.http(
      names.upload,
      createUploadHandler({
        config,
        blobs,
        page: loadPageAssets(),
        log: functionLog,
        unavailable: pipelineDown,
      }),
    );
    // Pushes carry a token only this run's subscriptions know: nobody else on the machine
    // can call the workers directly (on GCP: internal ingress and the invoker's OIDC token).
    const pushToken = randomBytes(16).toString('hex');
    const worker = (name: string): Promise<Server> => listen(pushOnly(getTestServer(name), pushToken), 0);
    const analyzeServer = await worker(names.analyze);
    const renderServer = await worker(names.render);
    const deadLetterServer = await worker(names.deadLetter);
    for (const server of [analyzeServer, renderServer, deadLetterServer])
      cleanups.push(() => closeServer(server));

    const endpoint = (server: Server, topicName: string): string =>
      `http://127.0.0.1:${port(server)}/projects/${LOCAL_PROJECT}/topics/${topicName}?token=${pushToken}`;
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

    const recovery = {
      storage,
      inboxBucket: LOCAL_BUCKETS.inbox,
      uploadsTopic: topic(TOPICS.uploads),
      pubsub,
      log,
    };
    afterEmulatorRestart = async () =>
      void (await redeliverInbox(recovery, 'the Pub/Sub emulator restarted'));
    const sweep = createSweeper({ config, blobs, publisher, log: functionLog });
    const cancelSettling = settleInterruptedUploads({
      server: storageServer,
      inboxBucket: LOCAL_BUCKETS.inbox,
      blobs,
      statuses: new StatusStore(blobs, config.publicBucket),
      log,
    });
    cleanups.push(async () => cancelSettling());
    await redeliverInbox(recovery, 'the local stack restarted');
    await sweep();
    const sweeper = setInterval(() => {
      if (!pipelineDown()) sweep().catch((error: unknown) => log(`sweep failed: ${String(error)}`));
    }, SWEEP_INTERVAL_MS);
    sweeper.unref();
    cleanups.push(async () => clearInterval(sweeper));

    // The page last: once it answers, everything behind it runs.
    const uploadServer = await listen(getTestServer(names.upload), options.port ?? 8080);
    cleanups.push(() => closeServer(uploadServer));
    state.ready = true;

    return {
      pageUrl: `http://127.0.0.1:${port(uploadServer)}/`,
      storageUrl: storageServer.url,
      publicBaseUrl: config.publicBaseUrl,
      projectId: LOCAL_PROJECT,
      inboxBucket: LOCAL_BUCKETS.inbox,
      publicBucket: LOCAL_BUCKETS.public,
      keyFile: credentials.keyFile,
      dataDir,
      pubsub: pubsub instanceof EmulatorPubSub ? 'emulator' : 'in-process',
      pubsubDescription: pubsub.description,
      emulatorHost: pubsub.emulatorHost,
      failed,
      close,
      killEmulatorNow: () => pubsub.killNow?.(),
    };
  } catch (error) {
    await close();
    throw error;
  }
}

interface PubSubHooks {
  log: (line: string) => void;
  recordPid: (emulator: { pid: number; port: number } | undefined) => void;
  onRestored: () => Promise<void>;
  onGaveUp: (reason: string) => void;
}

async function startPubSub(
  mode: 'auto' | 'emulator' | 'in-process',
  hooks: PubSubHooks,
): Promise<LocalPubSub> {
  const { log } = hooks;
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
  const emulatorPort = await freePort();
  return EmulatorPubSub.start({
    bin,
    port: emulatorPort,
    projectId: LOCAL_PROJECT,
    log,
    onProcess: (pid) => hooks.recordPid(pid === undefined ? undefined : { pid, port: emulatorPort }),
    onRestored: hooks.onRestored,
    onGaveUp: hooks.onGaveUp,
  });
}

/**
 * The storage server on the port this data directory used before, so the URLs in issued
 * upload links and status documents keep working; another port only if that one is taken.
 */
async function startStorage(
  dataDir: string,
  requested: number | undefined,
  options: Omit<Parameters<typeof startStorageServer>[0], 'port'>,
): Promise<StorageServer> {
  const previous = readState(dataDir).storagePort;
  const wanted = requested ?? previous ?? 0;
  let server: StorageServer;
  try {
    server = await startStorageServer({ ...options, port: wanted });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || requested !== undefined) throw error;
    options.log?.(
      `storage port ${wanted} is taken by another program: using a new one; upload and status URLs handed out before no longer work`,
    );
    server = await startStorageServer({ ...options, port: 0 });
  }
  updateState(dataDir, (s) => ({ ...s, storagePort: server.port }));
  return server;
}

/** A function server that answers only requests carrying this run's push token. */
function pushOnly(inner: Server, token: string): Server {
  const app = inner.listeners('request')[0] as RequestListener;
  return createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    if (query.get('token') === token) return app(req, res);
    req.resume();
    res
      .writeHead(403, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ error: 'only the local Pub/Sub may call this function', code: 'FORBIDDEN' }));
  });
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return Promise.race([
    promise,
    new Promise<void>((resolvePromise) => setTimeout(resolvePromise, ms).unref()),
  ]);
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
