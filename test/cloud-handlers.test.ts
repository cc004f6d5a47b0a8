/**
 * The functions' own rules, driven directly with the local storage server and the real
 * client: configuration, event parsing, loop guard, and how transient failures are retried.
 * (The whole pipeline through Pub/Sub is test/pipeline.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Analysis } from '../functions/core';
import { createAnalyzeHandler } from '../functions/cloud/analyzeHandler';
import { ConfigError, loadConfig } from '../functions/cloud/config';
import { IncomingEvent, storageEvent } from '../functions/cloud/events';
import { gcsBlobStore } from '../functions/cloud/gcs';
import { isJobId, jobIdFor, newJobId, parseGsUrl } from '../functions/cloud/jobs';
import { jsonLogger } from '../functions/cloud/log';
import { Publisher } from '../functions/cloud/ports';
import { createRenderHandler } from '../functions/cloud/renderHandler';
import { StatusStore } from '../functions/cloud/status';
import { LocalStorageFixture, startLocalStorage } from './support/local-storage-harness';
import { PHOTOS } from './support/sharedData';

const ENV = {
  INBOX_BUCKET: 'in-box',
  PUBLIC_BUCKET: 'pub-lic',
  RENDER_TOPIC: 'render',
  PUBLIC_BASE_URL: 'https://example.test/pub-lic/',
};

describe('configuration', () => {
  it('names every missing setting at once', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    const attempt = (): unknown => loadConfig({ PUBLIC_BUCKET: 'x' });
    for (const name of ['INBOX_BUCKET', 'RENDER_TOPIC', 'PUBLIC_BASE_URL'])
      expect(attempt).toThrow(`${name} is not set`);
    expect(attempt).not.toThrow('PUBLIC_BUCKET is not set');
  });

  it('rejects malformed values and an inbox that is also the public bucket', () => {
    expect(() => loadConfig({ ...ENV, MAX_UPLOAD_BYTES: '15MB' })).toThrow(
      /MAX_UPLOAD_BYTES must be a whole number/,
    );
    expect(() => loadConfig({ ...ENV, UPLOAD_URL_TTL_SECONDS: '3600' })).toThrow(/60 to 900/);
    expect(() => loadConfig({ ...ENV, DEFAULT_STYLE: 'comic' })).toThrow(/DEFAULT_STYLE must be one of/);
    expect(() => loadConfig({ ...ENV, PUBLIC_BUCKET: 'in-box' })).toThrow(/must differ/);
  });

  it('fills defaults and trims the base URL', () => {
    expect(loadConfig(ENV)).toMatchObject({
      publicBaseUrl: 'https://example.test/pub-lic',
      maxUploadBytes: 15 * 1024 * 1024,
      uploadUrlTtlSeconds: 600,
      memeFormat: 'jpeg',
      maxDeliveryAttempts: 5,
    });
  });
});

describe('job ids', () => {
  it('uploads through a signed URL keep their random id; other objects get one from name and generation', () => {
    const id = newJobId();
    expect(isJobId(id)).toBe(true);
    expect(jobIdFor({ bucket: 'b', name: `uploads/${id}`, generation: '1' })).toBe(id);
    const derived = jobIdFor({ bucket: 'b', name: 'photo.jpg', generation: '1' });
    expect(isJobId(derived)).toBe(true);
    expect(jobIdFor({ bucket: 'b', name: 'photo.jpg', generation: '1' })).toBe(derived);
    expect(jobIdFor({ bucket: 'b', name: 'photo.jpg', generation: '2' })).not.toBe(derived);
    expect(new Set(Array.from({ length: 1000 }, newJobId)).size).toBe(1000);
  });

  it('reads gsutil ls -a output', () => {
    expect(parseGsUrl('gs://in-box/a b/c.jpg#1712345678901234')).toEqual({
      bucket: 'in-box',
      name: 'a b/c.jpg',
      generation: '1712345678901234',
    });
    expect(() => parseGsUrl('gs://in-box/c.jpg')).toThrow(/GENERATION/);
  });
});

describe('storage events', () => {
  it('accepts google.cloud.storage.object.v1.finalized directly', () => {
    const event: IncomingEvent = {
      type: 'google.cloud.storage.object.v1.finalized',
      data: {
        bucket: 'in-box',
        name: 'p.jpg',
        generation: '7',
        size: '10',
        metadata: { 'memegen-style': 'label' },
      },
    };
    expect(storageEvent(event)).toEqual({
      kind: 'finalized',
      object: expect.objectContaining({
        bucket: 'in-box',
        name: 'p.jpg',
        generation: '7',
        size: 10,
        metadata: { 'memegen-style': 'label' },
      }),
    });
  });

  it('ignores notifications other than OBJECT_FINALIZE', () => {
    const event: IncomingEvent = {
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      data: {
        message: {
          data: '',
          attributes: {
            eventType: 'OBJECT_DELETE',
            bucketId: 'in-box',
            objectId: 'p.jpg',
            objectGeneration: '7',
          },
        },
      },
    };
    expect(storageEvent(event).kind).toBe('ignored');
  });
});

describe('handlers with the local storage server', () => {
  let fixture: LocalStorageFixture;
  const config = loadConfig({ ...ENV, MAX_DELIVERY_ATTEMPTS: '3' });
  const logs: string[] = [];
  const log = jsonLogger({}, (line) => logs.push(line));
  const noFaces = async (): Promise<Analysis> => ({ width: 10, height: 10, faces: [] });

  beforeAll(async () => {
    fixture = await startLocalStorage();
    for (const bucket of [config.inboxBucket, config.publicBucket, 'elsewhere'])
      await fixture.storage.createBucket(bucket);
  });
  afterAll(() => fixture.close());

  const finalized = (bucket: string, name: string, generation: string): IncomingEvent => ({
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    data: {
      message: {
        data: '',
        attributes: {
          eventType: 'OBJECT_FINALIZE',
          bucketId: bucket,
          objectId: name,
          objectGeneration: generation,
        },
        messageId: '1',
      },
    },
  });

  it('a Pub/Sub outage is thrown for a retry; after the last attempt the status says so and the original stays', async () => {
    const name = 'retry-me.jpg';
    const [file] = await fixture.storage
      .bucket(config.inboxBucket)
      .upload(join(PHOTOS, 'matplotlib_grace_hopper.jpg'), { destination: name });
    const generation = String(file.metadata.generation);
    const down: Publisher = {
      publishJson: async () =>
        Promise.reject(Object.assign(new Error('14 UNAVAILABLE: Pub/Sub is down'), { code: 14 })),
    };
    const analyze = createAnalyzeHandler({
      config,
      blobs: gcsBlobStore(fixture.storage),
      publisher: down,
      analyze: noFaces,
      log,
    });
    const statuses = new StatusStore(gcsBlobStore(fixture.storage), config.publicBucket);
    const id = jobIdFor({ bucket: config.inboxBucket, name, generation });

    await expect(analyze(finalized(config.inboxBucket, name, generation))).rejects.toThrow(/UNAVAILABLE/);
    expect(await statuses.read(id)).toMatchObject({ state: 'analyzing', attempts: { analyze: 1 } });
    await expect(analyze(finalized(config.inboxBucket, name, generation))).rejects.toThrow(/UNAVAILABLE/);
    await expect(analyze(finalized(config.inboxBucket, name, generation))).rejects.toThrow(/UNAVAILABLE/);
    expect(await statuses.read(id)).toMatchObject({
      state: 'failed',
      code: 'RETRIES_EXHAUSTED',
      attempts: { analyze: 3 },
    });
    expect((await fixture.storage.bucket(config.inboxBucket).file(name).exists())[0]).toBe(true);
  });

  it('objects outside the inbox are ignored, so outputs can never trigger analyze', async () => {
    await fixture.storage
      .bucket('elsewhere')
      .file('x.jpg')
      .save(readFileSync(join(PHOTOS, 'matplotlib_grace_hopper.jpg')));
    const published: unknown[] = [];
    const analyze = createAnalyzeHandler({
      config,
      blobs: gcsBlobStore(fixture.storage),
      publisher: { publishJson: async (_t, data) => String(published.push(data)) },
      analyze: noFaces,
      log,
    });
    await analyze(finalized('elsewhere', 'x.jpg', '1'));
    expect(published).toEqual([]);
    const [statuses] = await fixture.storage.bucket(config.publicBucket).getFiles({ prefix: 'memes/' });
    expect(
      statuses.filter((f) =>
        f.name.includes(jobIdFor({ bucket: 'elsewhere', name: 'x.jpg', generation: '1' })),
      ),
    ).toEqual([]);
  });

  it('a malformed render request is acknowledged and logged, not retried forever', async () => {
    const render = createRenderHandler({ config, blobs: gcsBlobStore(fixture.storage), log });
    const event: IncomingEvent = {
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      data: { message: { data: Buffer.from('{"version":1}').toString('base64') } },
    };
    await expect(render(event)).resolves.toBeUndefined();
    expect(
      logs.some((line) => line.includes('"severity":"ERROR"') && line.includes('malformed render request')),
    ).toBe(true);
  });
});
