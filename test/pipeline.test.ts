/**
 * The cloud pipeline end to end through the local stack (`npm start`) with the real Pub/Sub
 * emulator: uploads → analyze → render → meme and status in the public bucket.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import sharp from 'sharp';
import { jobIdFor } from '../functions/cloud/jobs';
import { StatusDocument, UploadTicket } from '../functions/cloud/contract';
import { emulatorAvailable, RunningStack, startStack } from './support/localStack';
import { PHOTOS } from './support/sharedData';

const MAX_UPLOAD_BYTES = 1_000_000;
const photo = (name: string): Buffer => readFileSync(join(PHOTOS, name));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const describeWithEmulator = emulatorAvailable('cloud pipeline') ? describe : describe.skip;

describeWithEmulator('cloud pipeline on the local stack with the Pub/Sub emulator', () => {
  let stack: RunningStack;
  let storage: Storage;

  beforeAll(async () => {
    stack = await startStack({ env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } });
    expect(stack.pubsub).toBe('emulator');
    storage = stack.storage();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  async function requestUpload(
    body: Record<string, unknown>,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${stack.pageUrl}api/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  async function signedUpload(bytes: Buffer, extra: Record<string, unknown> = {}): Promise<UploadTicket> {
    const contentType = bytes[0] === 0x89 ? 'image/png' : 'image/jpeg';
    const { status, json } = await requestUpload({ contentType, size: bytes.length, ...extra });
    expect(status).toBe(201);
    const upload = json as unknown as UploadTicket;
    const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: upload.uploadHeaders, body: bytes });
    expect(put.status).toBe(200);
    return upload;
  }

  async function statusOf(url: string): Promise<StatusDocument | undefined> {
    const response = await fetch(url);
    return response.ok ? ((await response.json()) as StatusDocument) : undefined;
  }

  async function finished(url: string, timeoutMs = 60_000): Promise<StatusDocument> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await statusOf(url);
      if (status && (status.state === 'done' || status.state === 'failed')) return status;
      if (Date.now() > deadline)
        throw new Error(`job at ${url} still ${status?.state ?? 'missing'} after ${timeoutMs} ms`);
      await sleep(150);
    }
  }

  const inboxHas = async (name: string): Promise<boolean> =>
    (await storage.bucket(stack.inboxBucket).file(name).exists())[0];
  const logLines = (jobId: string, message: string): number =>
    stack.logs.filter((line) => line.includes(jobId) && line.includes(message)).length;

  it('a photo uploaded through a signed URL becomes a meme; the status says done and is never cached; the original is gone', async () => {
    const upload = await signedUpload(photo('faceapi_sample1.jpg'), {
      caption: { top: 'when the group photo', bottom: 'finally works' },
      style: 'label',
    });
    const queued = await fetch(upload.statusUrl);
    expect(queued.headers.get('cache-control')).toMatch(/no-store/);
    const status = await finished(upload.statusUrl);
    expect(status).toMatchObject({
      id: upload.id,
      state: 'done',
      request: { style: 'label', lang: 'en' },
      resultUrl: upload.resultUrl,
    });
    expect(status.caption).toMatchObject({
      source: 'user',
      top: 'when the group photo',
      bottom: 'finally works',
    });
    expect(status.faces!.length).toBeGreaterThanOrEqual(3);
    for (const stage of ['analyzeMs', 'renderMs', 'totalMs'] as const)
      expect(status.timings[stage]).toBeGreaterThan(0);
    const meme = await fetch(upload.resultUrl);
    expect(meme.headers.get('content-type')).toBe('image/jpeg');
    const pixels = await sharp(Buffer.from(await meme.arrayBuffer())).metadata();
    expect(pixels.width).toBe(status.meme!.width);
    expect(await inboxHas(`uploads/${upload.id}`)).toBe(false);
  }, 120_000);

  it.each(['holiday photo 1.jpg', 'été/猫の写真 😀.jpg', '../../escape/../x.jpg'])(
    'a photo copied into the inbox like `gsutil cp` (object name %j) becomes a meme at the id derived from name and generation',
    async (name) => {
      const [file] = await storage
        .bucket(stack.inboxBucket)
        .upload(join(PHOTOS, 'matplotlib_grace_hopper.jpg'), {
          destination: name,
          metadata: { contentType: 'image/jpeg', metadata: { 'memegen-style': 'faces' } },
        });
      const id = jobIdFor({ bucket: stack.inboxBucket, name, generation: String(file.metadata.generation) });
      const status = await finished(`${stack.publicBaseUrl}/memes/${id}.json`);
      expect(status).toMatchObject({ state: 'done', request: { style: 'faces' }, source: { object: name } });
      expect((await fetch(status.resultUrl)).status).toBe(200);
      expect(await inboxHas(name)).toBe(false);
    },
    120_000,
  );

  it('a photo without faces becomes a no-face meme', async () => {
    const landscape = await sharp({ create: { width: 640, height: 400, channels: 3, background: '#6a9fd4' } })
      .composite([
        {
          input: await sharp({ create: { width: 640, height: 150, channels: 3, background: '#3d7a3a' } })
            .png()
            .toBuffer(),
          top: 250,
          left: 0,
        },
      ])
      .jpeg()
      .toBuffer();
    const status = await finished((await signedUpload(landscape)).statusUrl);
    expect(status).toMatchObject({
      state: 'done',
      faces: [],
      caption: { source: 'library', kind: 'noFace' },
    });
  }, 60_000);

  it('a corrupt upload ends failed with a reason, is acknowledged (no retry loop) and its original deleted', async () => {
    const upload = await signedUpload(Buffer.from('this is not a JPEG, whatever its name says'.repeat(20)));
    const status = await finished(upload.statusUrl);
    expect(status).toMatchObject({ state: 'failed', code: 'NOT_AN_IMAGE' });
    expect(status.error).toMatch(/not an image/);
    await sleep(3000); // a redelivery would arrive within the 1 s minimum backoff
    expect(await statusOf(upload.statusUrl)).toEqual(status);
    expect(logLines(upload.id, 'job failed')).toBe(1);
    expect(logLines(upload.id, 'deliver again')).toBe(0);
    expect(await inboxHas(`uploads/${upload.id}`)).toBe(false);
  }, 60_000);

  it('the signed URL refuses another content type and a file over the limit; the API refuses a declared size over it', async () => {
    const bytes = photo('matplotlib_grace_hopper.jpg');
    const { json } = await requestUpload({ contentType: 'image/jpeg', size: bytes.length });
    const upload = json as unknown as UploadTicket;
    const wrongType = await fetch(upload.uploadUrl, {
      method: 'PUT',
      headers: { ...upload.uploadHeaders, 'Content-Type': 'text/html' },
      body: bytes,
    });
    expect(wrongType.status).toBe(403);
    const tooBig = await fetch(upload.uploadUrl, {
      method: 'PUT',
      headers: upload.uploadHeaders,
      body: Buffer.alloc(MAX_UPLOAD_BYTES + 1, 1),
    });
    expect(tooBig.status).toBe(400);
    expect(await inboxHas(`uploads/${upload.id}`)).toBe(false);
    expect(await requestUpload({ contentType: 'image/jpeg', size: MAX_UPLOAD_BYTES + 1 })).toMatchObject({
      status: 413,
      json: { code: 'TOO_LARGE' },
    });
    expect(await requestUpload({ contentType: 'application/pdf', size: 1000 })).toMatchObject({
      status: 415,
      json: { code: 'UNSUPPORTED_TYPE' },
    });
  }, 60_000);

  it('the same notification delivered three times, and again after the meme is done, gives exactly one meme', async () => {
    const name = 'duplicate-deliveries.jpg';
    const [file] = await storage.bucket(stack.inboxBucket).upload(join(PHOTOS, 'skimage_astronaut.png'), {
      destination: name,
      metadata: { contentType: 'image/png' },
    });
    const generation = String(file.metadata.generation);
    const id = jobIdFor({ bucket: stack.inboxBucket, name, generation });
    const pubsub = new PubSub({
      projectId: stack.projectId,
      apiEndpoint: stack.emulatorHost,
      emulatorMode: true,
    });
    const notification = {
      data: Buffer.from(JSON.stringify(file.metadata)),
      attributes: {
        eventType: 'OBJECT_FINALIZE',
        payloadFormat: 'JSON_API_V1',
        bucketId: stack.inboxBucket,
        objectId: name,
        objectGeneration: generation,
      },
    };
    const uploads = pubsub.topic(`projects/${stack.projectId}/topics/memegen-uploads`);
    await Promise.all([uploads.publishMessage(notification), uploads.publishMessage(notification)]);
    const done = await finished(`${stack.publicBaseUrl}/memes/${id}.json`);
    expect(done.state).toBe('done');
    const meme = storage.bucket(stack.publicBucket).file(`memes/${id}.jpg`);
    const [before] = await meme.getMetadata();
    await uploads.publishMessage(notification); // late, after the meme and the original's deletion
    await sleep(3000);
    await pubsub.close();
    expect(await statusOf(done.statusUrl)).toEqual(done);
    expect((await meme.getMetadata())[0].generation).toBe(before.generation);
    expect(logLines(id, 'meme done')).toBe(1);
    const [memes] = await storage.bucket(stack.publicBucket).getFiles({ prefix: `memes/${id}` });
    expect(memes.map((f) => f.name).sort()).toEqual([`memes/${id}.jpg`, `memes/${id}.json`]);
  }, 90_000);

  it('50 concurrent uploads give 50 memes, none lost or duplicated', async () => {
    const photos = ['matplotlib_grace_hopper.jpg', 'skimage_astronaut.png', 'skimage_camera.png'].map(photo);
    const uploads = await Promise.all(
      photos
        .flatMap((bytes) => Array.from({ length: 17 }, () => bytes))
        .slice(0, 50)
        .map((bytes) => signedUpload(bytes)),
    );
    const statuses = await Promise.all(uploads.map((upload) => finished(upload.statusUrl, 240_000)));
    expect(statuses.filter((status) => status.state === 'done')).toHaveLength(50);
    expect(new Set(statuses.map((status) => status.id)).size).toBe(50);
    const [memes] = await storage.bucket(stack.publicBucket).getFiles({ prefix: 'memes/' });
    const names = new Set(memes.map((file) => file.name));
    for (const upload of uploads) expect(names.has(`memes/${upload.id}.jpg`)).toBe(true);
    // render writes the status before it logs, and the stack's log reaches the test through a
    // pipe: give the last lines a moment before counting them.
    for (let waited = 0; waited < 10_000; waited += 100) {
      if (uploads.every((upload) => logLines(upload.id, 'meme done') > 0)) break;
      await sleep(100);
    }
    for (const upload of uploads) expect(logLines(upload.id, 'meme done')).toBe(1);
  }, 300_000);
});

describe('local stack without the emulator', () => {
  it('the in-process dispatcher delivers the same push requests: an upload becomes a meme', async () => {
    const stack = await startStack({ pubsub: 'in-process' });
    try {
      expect(stack.pubsub).toBe('in-process');
      const bytes = photo('skimage_camera.png');
      const response = await fetch(`${stack.pageUrl}api/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contentType: 'image/png', size: bytes.length, lang: 'zh' }),
      });
      const upload = (await response.json()) as UploadTicket;
      expect(
        (await fetch(upload.uploadUrl, { method: 'PUT', headers: upload.uploadHeaders, body: bytes })).status,
      ).toBe(200);
      let status: StatusDocument | undefined;
      for (let i = 0; i < 200 && status?.state !== 'done'; i++) {
        await sleep(150);
        const polled = await fetch(upload.statusUrl);
        status = polled.ok ? ((await polled.json()) as StatusDocument) : undefined;
      }
      expect(status).toMatchObject({ state: 'done', request: { lang: 'zh' } });
    } finally {
      await stack.stop();
    }
  }, 120_000);
});
