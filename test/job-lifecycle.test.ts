/**
 * Every job ends, and only its own messages move it: the handlers (upload, analyze, render,
 * deadLetter, sweep) driven one message at a time against the local storage server with the
 * real client, the clock under the test's control. Stale, early and forged messages are
 * ignored without failing a job; dead letters and the sweep end the jobs that would
 * otherwise wait forever. (The same through Pub/Sub: test/pipeline.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Analysis } from '../functions/core/analyze';
import { createAnalyzeHandler } from '../functions/cloud/analyzeHandler';
import { loadConfig } from '../functions/cloud/config';
import { createDeadLetterHandler } from '../functions/cloud/deadLetterHandler';
import { IncomingEvent, PUBSUB_PUBLISHED } from '../functions/cloud/events';
import { gcsBlobStore } from '../functions/cloud/gcs';
import { jsonLogger } from '../functions/cloud/log';
import { OPEN_JOBS_PREFIX } from '../functions/cloud/openJobs';
import { loadPageAssets } from '../functions/cloud/page';
import { BlobStore, Publisher } from '../functions/cloud/ports';
import { createRenderHandler } from '../functions/cloud/renderHandler';
import { RenderRequest } from '../functions/cloud/renderRequest';
import { StatusDocument } from '../functions/cloud/contract';
import { StatusStore } from '../functions/cloud/status';
import { createSweeper, UPLOAD_GRACE_SECONDS } from '../functions/cloud/sweep';
import { createUploadHandler } from '../functions/cloud/uploadHandler';
import { LocalStorageFixture, startLocalStorage } from './support/local-storage-harness';
import { PHOTOS } from './support/sharedData';

const INBOX = 'in-box';
const PUBLIC = 'pub-lic';
const photo = readFileSync(join(PHOTOS, 'matplotlib_grace_hopper.jpg'));
const ANALYSIS: Analysis = { width: 512, height: 600, faces: [] };

let fixture: LocalStorageFixture;
let blobs: BlobStore;
let statuses: StatusStore;
let server: Server;
let base: string;
const logs: string[] = [];
const log = jsonLogger({}, (line) => logs.push(line));
/** Every list() the handlers make, to prove the sweep never lists the whole bucket. */
const listed: string[] = [];
let clock = Date.now();
const now = (): Date => new Date(clock);

const config = loadConfig({
  INBOX_BUCKET: INBOX,
  PUBLIC_BUCKET: PUBLIC,
  RENDER_TOPIC: 'render',
  UPLOADS_TOPIC: 'uploads',
  PUBLIC_BASE_URL: 'https://example.test/pub-lic',
  MAX_DELIVERY_ATTEMPTS: '3',
  UPLOAD_URL_TTL_SECONDS: '60',
  JOB_STALL_SECONDS: '300',
});

interface Published {
  topic: string;
  data: unknown;
  attributes: Record<string, string>;
}
const published: Published[] = [];
const publisher: Publisher = {
  publishJson: async (topic, data, attributes = {}) => String(published.push({ topic, data, attributes })),
};
const renderRequests = (id: string): RenderRequest[] =>
  published
    .filter((m) => m.topic === 'render' && (m.data as RenderRequest).id === id)
    .map((m) => m.data as RenderRequest);

/** An analyze whose analysis the test releases (or never does: a delivery that crashed mid-way). */
let analysis: () => Promise<Analysis> = async () => ANALYSIS;
const analyze = (): ReturnType<typeof createAnalyzeHandler> =>
  createAnalyzeHandler({ config, blobs, publisher, analyze: () => analysis(), log, now });
const render = (): ReturnType<typeof createRenderHandler> => createRenderHandler({ config, blobs, log, now });
const deadLetter = (): ReturnType<typeof createDeadLetterHandler> =>
  createDeadLetterHandler({ config, blobs, log, now });

beforeAll(async () => {
  fixture = await startLocalStorage([PUBLIC]);
  for (const bucket of [INBOX, PUBLIC]) await fixture.storage.createBucket(bucket);
  const real = gcsBlobStore(fixture.storage);
  blobs = {
    ...real,
    list: (bucket, prefix) => {
      listed.push(`${bucket}/${prefix}`);
      return real.list(bucket, prefix);
    },
  };
  statuses = new StatusStore(blobs, PUBLIC);
  functions.http(
    'upload_lifecycle',
    createUploadHandler({ config, blobs, page: loadPageAssets(), log, now }),
  );
  server = getTestServer('upload_lifecycle');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await fixture?.close();
});

beforeEach(() => {
  clock = Date.now();
  analysis = async () => ANALYSIS;
});

interface Ticket {
  id: string;
  uploadUrl: string;
  uploadHeaders: Record<string, string>;
}

async function newUpload(): Promise<Ticket> {
  const response = await fetch(`${base}/api/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ contentType: 'image/jpeg', size: photo.length }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Ticket;
}

async function put(ticket: Ticket, body: Buffer = photo): Promise<{ status: number; generation?: string }> {
  const response = await fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.uploadHeaders, body });
  return { status: response.status, generation: response.headers.get('x-goog-generation') ?? undefined };
}

const pushed = (data: unknown, attributes: Record<string, string> = {}): IncomingEvent => ({
  type: PUBSUB_PUBLISHED,
  data: { message: { data: Buffer.from(JSON.stringify(data)).toString('base64'), attributes } },
});

/** The inbox notification for an object, as Cloud Storage sends it. */
const notification = (name: string, generation: string, extra: Record<string, string> = {}): IncomingEvent =>
  pushed(
    { bucket: INBOX, name, generation },
    {
      eventType: 'OBJECT_FINALIZE',
      payloadFormat: 'JSON_API_V1',
      bucketId: INBOX,
      objectId: name,
      objectGeneration: generation,
      ...extra,
    },
  );

const status = async (id: string): Promise<StatusDocument> => (await statuses.read(id))!;
const inboxHas = async (id: string): Promise<boolean> =>
  (await fixture.storage.bucket(INBOX).file(`uploads/${id}`).exists())[0];
const indexed = async (id: string): Promise<boolean> =>
  (
    await fixture.storage
      .bucket(PUBLIC)
      .file(OPEN_JOBS_PREFIX + id)
      .exists()
  )[0];
const logged = (id: string, text: string): boolean => logs.some((l) => l.includes(id) && l.includes(text));

/** Uploads and analyses a photo; resolves with the job id, its generation and its render request. */
async function analysed(): Promise<{ id: string; generation: string; request: RenderRequest }> {
  const ticket = await newUpload();
  const { generation } = await put(ticket);
  await analyze()(notification(`uploads/${ticket.id}`, generation!));
  const requests = renderRequests(ticket.id);
  return { id: ticket.id, generation: generation!, request: requests[requests.length - 1]! };
}

describe('a job acts only on its own upload and its own render request', () => {
  it('a notification for a generation not in the inbox (stale or forged) is ignored; the real one then makes the meme', async () => {
    const ticket = await newUpload();
    await analyze()(notification(`uploads/${ticket.id}`, '1234567'));
    expect(await status(ticket.id)).toMatchObject({ state: 'queued' });
    expect(logged(ticket.id, 'stale or forged')).toBe(true);
    const { generation } = await put(ticket);
    await analyze()(notification(`uploads/${ticket.id}`, generation!));
    await render()(pushed(renderRequests(ticket.id)[0]));
    expect(await status(ticket.id)).toMatchObject({ state: 'done', source: { generation } });
    expect(await inboxHas(ticket.id)).toBe(false);
    expect(await indexed(ticket.id)).toBe(false);
  });

  it('a PUT after the meme is done (the URL is still valid) is deleted unprocessed; the job stays done', async () => {
    const { id, request } = await analysed();
    await render()(pushed(request));
    const done = await status(id);
    const again = await put({ ...(await newUploadFor(id)) });
    expect(again.status).toBe(200); // the original is gone, so create-only lets it in, as GCS would
    await analyze()(notification(`uploads/${id}`, again.generation!));
    expect(await status(id)).toEqual(done);
    expect(await inboxHas(id)).toBe(false);
    expect(logged(id, 'deleted an upload this job does not expect')).toBe(true);
  });

  it('an early render request (the upload has not arrived) is ignored and never fails the job', async () => {
    const ticket = await newUpload();
    const forged: RenderRequest = {
      version: 2,
      id: ticket.id,
      source: { bucket: INBOX, object: `uploads/${ticket.id}`, generation: '1' },
      ticket: 'guessed-ticket-0123456789',
      request: { style: 'classic', lang: 'en' },
      analysis: ANALYSIS,
      analyzedAt: now().toISOString(),
    };
    await render()(pushed(forged));
    expect(await status(ticket.id)).toMatchObject({ state: 'queued' });
    expect(logged(ticket.id, 'ignored a render request: the job is queued')).toBe(true);
    const { generation } = await put(ticket);
    await analyze()(notification(`uploads/${ticket.id}`, generation!));
    await render()(pushed({ ...forged, source: { ...forged.source, generation } })); // right upload, wrong ticket
    expect(await status(ticket.id)).toMatchObject({ state: 'rendering' });
    expect(logged(ticket.id, 'its ticket is not the current analysis')).toBe(true);
    await render()(pushed(renderRequests(ticket.id)[0]));
    expect(await status(ticket.id)).toMatchObject({ state: 'done' });
  });
});

/** A fresh ticket (signed URL) for an existing job id is not something the API hands out; sign one like it. */
async function newUploadFor(id: string): Promise<Ticket> {
  const headers = {
    'x-goog-content-length-range': `1,${config.maxUploadBytes}`,
    'x-goog-if-generation-match': '0',
  };
  const [uploadUrl] = await fixture.storage
    .bucket(INBOX)
    .file(`uploads/${id}`)
    .getSignedUrl({
      version: 'v4',
      action: 'write',
      expires: Date.now() + 60_000,
      contentType: 'image/jpeg',
      extensionHeaders: headers,
    });
  return { id, uploadUrl, uploadHeaders: { 'Content-Type': 'image/jpeg', ...headers } };
}

describe('dead letters', () => {
  /** A job whose analysis "crashes" on every delivery: it begins, then never finishes. */
  async function crashingJob(deliveries: number): Promise<{ id: string; generation: string }> {
    const ticket = await newUpload();
    const { generation } = await put(ticket);
    analysis = () => new Promise(() => undefined);
    for (let i = 0; i < deliveries; i++) void analyze()(notification(`uploads/${ticket.id}`, generation!));
    await waitFor(async () => (await status(ticket.id)).attempts?.analyze === deliveries);
    return { id: ticket.id, generation: generation! };
  }

  it("an upload's notification dead-lettered after every analysis crashed: failed RETRIES_EXHAUSTED, original kept", async () => {
    const { id, generation } = await crashingJob(3);
    await deadLetter()(
      notification(`uploads/${id}`, generation, {
        CloudPubSubDeadLetterSourceSubscription: 'memegen-analyze',
      }),
    );
    expect(await status(id)).toMatchObject({ state: 'failed', code: 'RETRIES_EXHAUSTED' });
    expect(await inboxHas(id)).toBe(true);
    expect(await indexed(id)).toBe(false);
  });

  it('a forged dead letter (the job has not used its deliveries, or another upload) changes nothing', async () => {
    const { id, generation } = await crashingJob(1);
    await deadLetter()(notification(`uploads/${id}`, generation));
    await deadLetter()(notification(`uploads/${id}`, '999'));
    expect(await status(id)).toMatchObject({ state: 'analyzing' });
    expect(logged(id, 'ignored a dead letter: the job began 1 of the 3 analyses')).toBe(true);
  });

  it('a render request dead-lettered fails its job; one with another ticket does not; a finished job stays done', async () => {
    const first = await analysed();
    await deadLetter()(pushed({ ...first.request, ticket: 'x'.repeat(24) }));
    expect(await status(first.id)).toMatchObject({ state: 'rendering' });
    await deadLetter()(pushed(first.request));
    expect(await status(first.id)).toMatchObject({ state: 'failed', code: 'RETRIES_EXHAUSTED' });

    const second = await analysed();
    await render()(pushed(second.request));
    const done = await status(second.id);
    await deadLetter()(pushed(second.request));
    expect(await status(second.id)).toEqual(done);
  });
});

describe('the sweep: a deadline for every state', () => {
  const sweep = (): ReturnType<typeof createSweeper> => createSweeper({ config, blobs, publisher, log, now });
  const redeliveries = (id: string): Published[] =>
    published.filter((m) => m.topic === 'uploads' && m.attributes.objectId === `uploads/${id}`);

  it('no upload by the time the URL expired (plus the grace period): failed UPLOAD_EXPIRED, and out of the index', async () => {
    const ticket = await newUpload();
    expect(await indexed(ticket.id)).toBe(true);
    clock += (config.uploadUrlTtlSeconds + UPLOAD_GRACE_SECONDS - 5) * 1000;
    await sweep()();
    expect(await status(ticket.id)).toMatchObject({ state: 'queued' });
    clock += 10_000;
    await sweep()();
    expect(await status(ticket.id)).toMatchObject({ state: 'failed', code: 'UPLOAD_EXPIRED' });
    expect(await indexed(ticket.id)).toBe(false);
  });

  it('an upload whose notification was lost is delivered again once, then the job fails STALLED', async () => {
    const ticket = await newUpload();
    const { generation } = await put(ticket);
    clock += (config.uploadUrlTtlSeconds + UPLOAD_GRACE_SECONDS + 1) * 1000;
    expect((await sweep()()).redelivered).toBeGreaterThanOrEqual(1);
    const [again] = redeliveries(ticket.id);
    expect(again!.attributes).toMatchObject({ objectGeneration: generation, memegenRedelivery: 'sweep' });
    expect(await status(ticket.id)).toMatchObject({ state: 'queued', attempts: { sweep: 1 } });
    clock += (config.jobStallSeconds + 1) * 1000;
    await sweep()();
    expect(await status(ticket.id)).toMatchObject({ state: 'failed', code: 'STALLED' });
    expect(await inboxHas(ticket.id)).toBe(true); // kept for investigation
  });

  it('a job stuck analyzing is redelivered after JOB_STALL_SECONDS and then finishes', async () => {
    const ticket = await newUpload();
    const { generation } = await put(ticket);
    analysis = () => new Promise(() => undefined); // the delivery died mid-analysis
    void analyze()(notification(`uploads/${ticket.id}`, generation!));
    await waitFor(async () => (await status(ticket.id)).state === 'analyzing');
    clock += (config.jobStallSeconds - 10) * 1000;
    await sweep()();
    expect(redeliveries(ticket.id)).toHaveLength(0);
    clock += 20_000;
    await sweep()();
    const [again] = redeliveries(ticket.id);
    analysis = async () => ANALYSIS;
    await analyze()(pushed(again!.data, again!.attributes));
    await render()(pushed(renderRequests(ticket.id).at(-1)));
    expect(await status(ticket.id)).toMatchObject({ state: 'done', attempts: { analyze: 2, sweep: 1 } });
  });

  it('a job whose render request was lost is analysed again on redelivery; the lost request, if it turns up, is ignored', async () => {
    const { id, request: lost } = await analysed();
    clock += (config.jobStallSeconds + 1) * 1000;
    await sweep()();
    const [again] = redeliveries(id);
    await analyze()(pushed(again!.data, again!.attributes));
    const current = renderRequests(id).at(-1)!;
    expect(current.ticket).not.toBe(lost.ticket);
    await render()(pushed(lost));
    expect(await status(id)).toMatchObject({ state: 'rendering' });
    await render()(pushed(current));
    expect(await status(id)).toMatchObject({ state: 'done' });
  });

  it('reads only the index of open jobs, never the whole bucket, and drops entries of finished jobs', async () => {
    const { id, request } = await analysed();
    await fixture.storage
      .bucket(PUBLIC)
      .file(OPEN_JOBS_PREFIX + id)
      .save(''); // as if a crash kept it
    await render()(pushed(request));
    await fixture.storage
      .bucket(PUBLIC)
      .file(OPEN_JOBS_PREFIX + id)
      .save('');
    listed.length = 0;
    clock += (config.jobStallSeconds + UPLOAD_GRACE_SECONDS + config.uploadUrlTtlSeconds) * 1000;
    await sweep()();
    expect(listed).toEqual([`${PUBLIC}/${OPEN_JOBS_PREFIX}`]);
    expect(await indexed(id)).toBe(false);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
