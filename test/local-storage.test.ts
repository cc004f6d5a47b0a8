import { randomBytes, createHash, createSign } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join, relative } from 'node:path';
import { ApiError, Storage } from '@google-cloud/storage';
import { createLocalCredentials, selfSignedToken, startStorageServer } from '../local/storage';
import { startLocalStorage, type LocalStorageFixture } from './support/local-storage-harness';

// Drives the local Cloud Storage server only through the real @google-cloud/storage
// client and fetch, as the handlers and the upload page will.

// Every socket any client opens during these tests, to prove nothing leaves 127.0.0.1.
const remoteHosts = new Set<string>();
const onSocket = (message: unknown): void => {
  const socket = (message as { socket: Socket }).socket;
  socket.once('lookup', (_error: Error | null, _address: string, _family: number, host: string) =>
    remoteHosts.add(`lookup:${host}`),
  );
  socket.once('connect', () => remoteHosts.add(socket.remoteAddress ?? '?'));
};
diagnostics.subscribe('net.client.socket', onSocket);

let fx: LocalStorageFixture;
const PUBLIC = 'memegen-public';
const PRIVATE = 'memegen-private';

beforeAll(async () => {
  fx = await startLocalStorage([PUBLIC]);
  await fx.storage.createBucket(PUBLIC);
  await fx.storage.createBucket(PRIVATE);
});

afterAll(async () => {
  await fx?.close();
  diagnostics.unsubscribe('net.client.socket', onSocket);
});

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('base64');

async function expectApiError(promise: Promise<unknown>, code: number): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect((error as ApiError).code).toBe(code);
    return error as ApiError;
  }
  throw new Error(`expected an error with code ${code}`);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

describe('local storage server with the @google-cloud/storage client', () => {
  test('buckets: create, get, list, and a missing bucket is 404', async () => {
    const [buckets] = await fx.storage.getBuckets();
    expect(buckets.map((b) => b.name)).toEqual(expect.arrayContaining([PUBLIC, PRIVATE]));
    const [exists] = await fx.storage.bucket(PRIVATE).exists();
    expect(exists).toBe(true);
    const [missing] = await fx.storage.bucket('no-such-bucket').exists();
    expect(missing).toBe(false);
    await expectApiError(fx.storage.createBucket(PRIVATE), 409);
  });

  test('small upload with metadata round-trips bytes and metadata', async () => {
    const data = Buffer.from('hello, local cloud storage');
    const file = fx.storage.bucket(PRIVATE).file('uploads/hello.txt');
    await file.save(data, {
      resumable: false,
      contentType: 'text/plain',
      metadata: { cacheControl: 'no-store', metadata: { caption: 'nobody: me:', style: 'classic' } },
    });
    const [downloaded] = await file.download();
    expect(downloaded.equals(data)).toBe(true);
    const [meta] = await file.getMetadata();
    expect(meta).toMatchObject({
      kind: 'storage#object',
      name: 'uploads/hello.txt',
      bucket: PRIVATE,
      contentType: 'text/plain',
      cacheControl: 'no-store',
      size: String(data.length),
      md5Hash: md5(data),
      metageneration: '1',
      storageClass: 'STANDARD',
      metadata: { caption: 'nobody: me:', style: 'classic' },
    });
    expect(meta.generation).toMatch(/^\d+$/);
    expect(meta.crc32c).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    expect(new Date(meta.timeCreated as string).getTime()).not.toBeNaN();

    await file.setMetadata({ metadata: { style: 'label', caption: null } });
    const [patched] = await file.getMetadata();
    expect(patched.metadata).toEqual({ style: 'label' });
    expect(patched.metageneration).toBe('2');
    expect(patched.generation).toBe(meta.generation);
  });

  test('6 MB resumable uploads (single request and chunked stream) round-trip', async () => {
    const data = randomBytes(6 * 1024 * 1024);
    const bucket = fx.storage.bucket(PRIVATE);
    await bucket.file('big/one-shot.bin').save(data, { resumable: true, contentType: 'application/x-test' });
    const [first] = await bucket.file('big/one-shot.bin').download();
    expect(first.equals(data)).toBe(true);

    await new Promise<void>((resolve, reject) => {
      const stream = bucket
        .file('big/chunked.bin')
        .createWriteStream({ chunkSize: 1024 * 1024, metadata: { metadata: { a: '1' } } });
      stream.on('error', reject).on('finish', resolve);
      stream.end(data);
    });
    const [second] = await bucket.file('big/chunked.bin').download();
    expect(second.equals(data)).toBe(true);
    const [meta] = await bucket.file('big/chunked.bin').getMetadata();
    expect(meta.size).toBe(String(data.length));
    expect(meta.metadata).toEqual({ a: '1' });

    const [part] = await bucket.file('big/chunked.bin').download({ start: 10, end: 19 });
    expect(part.equals(data.subarray(10, 20))).toBe(true);
  });

  test('list with prefix and delimiter', async () => {
    const bucket = fx.storage.bucket(PRIVATE);
    for (const name of ['list/a.txt', 'list/b.txt', 'list/sub/c.txt', 'other/d.txt']) {
      await bucket.file(name).save(name, { resumable: false });
    }
    const [files] = await bucket.getFiles({ prefix: 'list/' });
    expect(files.map((f) => f.name)).toEqual(['list/a.txt', 'list/b.txt', 'list/sub/c.txt']);
    const [top, , response] = await bucket.getFiles({ prefix: 'list/', delimiter: '/', autoPaginate: false });
    expect(top.map((f) => f.name)).toEqual(['list/a.txt', 'list/b.txt']);
    expect((response as { prefixes?: string[] }).prefixes).toEqual(['list/sub/']);
    const [page1, next] = await bucket.getFiles({ prefix: 'list/', maxResults: 2, autoPaginate: false });
    expect(page1.map((f) => f.name)).toEqual(['list/a.txt', 'list/b.txt']);
    expect(next).toMatchObject({ pageToken: expect.any(String) });
    const [page2, last] = await bucket.getFiles({ ...(next as object), autoPaginate: false });
    expect(page2.map((f) => f.name)).toEqual(['list/sub/c.txt']);
    expect(last).toBeNull();
  });

  test('a listing follows every write and delete after the first one, and a restarted server lists the same', async () => {
    const bucket = fx.storage.bucket(PRIVATE);
    const names = async (): Promise<string[]> =>
      (await bucket.getFiles({ prefix: 'follow/' }))[0].map((f) => f.name);
    await bucket.file('follow/a').save('a', { resumable: false });
    expect(await names()).toEqual(['follow/a']);
    await bucket.file('follow/b').save('b', { resumable: false });
    await bucket.file('follow/a').delete();
    await bucket.file('follow/b').setMetadata({ metadata: { seen: 'yes' } });
    const [after] = await bucket.getFiles({ prefix: 'follow/' });
    expect(after.map((f) => [f.name, f.metadata.metadata])).toEqual([['follow/b', { seen: 'yes' }]]);
    // Another server on the same root reads the listing from disk.
    const other = await startStorageServer({
      root: fx.root,
      signers: { [fx.credentials.clientEmail]: fx.credentials.publicKeyPem },
      log: () => undefined,
    });
    try {
      const res = await fetch(`${other.url}/storage/v1/b/${PRIVATE}/o?prefix=follow/`, {
        headers: { authorization: `Bearer ${selfSignedToken(fx.credentials.keyFile)()}` },
      });
      expect(((await res.json()) as { items: { name: string }[] }).items.map((i) => i.name)).toEqual([
        'follow/b',
      ]);
    } finally {
      await other.close();
    }
  });

  test('preconditions: ifGenerationMatch 0 creates once, then 412', async () => {
    const file = fx.storage.bucket(PRIVATE).file('once.txt');
    await file.save('first', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    await expectApiError(
      file.save('second', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
      412,
    );
    const [content] = await file.download();
    expect(content.toString()).toBe('first');
    const [meta] = await file.getMetadata();
    await expectApiError(file.delete({ ifGenerationMatch: Number(meta.generation) + 1 }), 412);
    await expectApiError(file.setMetadata({ contentType: 'x/y' }, { ifMetagenerationMatch: 7 }), 412);
    await file.delete({ ifGenerationMatch: Number(meta.generation) });
  });

  test('concurrent create-once uploads of one name: exactly one wins, generations increase', async () => {
    const file = fx.storage.bucket(PRIVATE).file('race.txt');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        file.save(`writer ${i}`, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as ApiError).code).toBe(412);
    const generations: number[] = [];
    for (let i = 0; i < 5; i++) {
      await file.save(`overwrite ${i}`, { resumable: false });
      generations.push(Number((await file.getMetadata())[0].generation));
    }
    expect([...generations].sort((a, b) => a - b)).toEqual(generations);
    expect(new Set(generations).size).toBe(generations.length);
  });

  test('delete, then exists is false and download is 404', async () => {
    const file = fx.storage.bucket(PRIVATE).file('doomed.txt');
    await file.save('bye', { resumable: false });
    await file.delete();
    const [exists] = await file.exists();
    expect(exists).toBe(false);
    await expectApiError(file.download(), 404);
    await expectApiError(file.delete(), 404);
  });

  test('names with spaces, Unicode, % and ../ round-trip and stay inside the root', async () => {
    const bucket = fx.storage.bucket(PRIVATE);
    const names = [
      'my photo (1).jpg',
      '照片/微笑 😀.png',
      '../../escape.txt',
      'a/../../b%2F..%00.txt',
      '/leading/slash',
    ];
    for (const name of names) {
      await bucket.file(name).save(Buffer.from(`content of ${name}`), { resumable: false });
    }
    for (const name of names) {
      const [data] = await bucket.file(name).download();
      expect(data.toString()).toBe(`content of ${name}`);
    }
    const [listed] = await bucket.getFiles();
    expect(listed.map((f) => f.name)).toEqual(expect.arrayContaining(names));
    // Nothing next to the data root but the credentials, and no stored file name is derived from an object name.
    expect(readdirSync(fx.dir).sort()).toEqual(['creds', 'data']);
    for (const path of listFiles(fx.root)) {
      expect(relative(fx.root, path)).toMatch(/^[A-Za-z0-9._/-]+$/);
      expect(relative(fx.root, path).startsWith('..')).toBe(false);
    }
  });

  test('uploads over 64 MB are refused with 413', async () => {
    const big = Buffer.alloc(64 * 1024 * 1024 + 1);
    await expectApiError(fx.storage.bucket(PRIVATE).file('huge.bin').save(big, { resumable: false }), 413);
    const [exists] = await fx.storage.bucket(PRIVATE).file('huge.bin').exists();
    expect(exists).toBe(false);
  });
});

describe('V4 signed URLs', () => {
  const write = async (name: string, expires = Date.now() + 10 * 60 * 1000): Promise<string> => {
    const [url] = await fx.storage
      .bucket(PRIVATE)
      .file(name)
      .getSignedUrl({
        version: 'v4',
        action: 'write',
        expires,
        contentType: 'image/jpeg',
        extensionHeaders: {
          'x-goog-content-length-range': '1,1000',
          'x-goog-meta-caption': 'signed caption',
        },
      });
    return url;
  };
  const signedHeaders = {
    'Content-Type': 'image/jpeg',
    'x-goog-content-length-range': '1,1000',
    'x-goog-meta-caption': 'signed caption',
  };

  test('PUT with the signed headers stores the object with its x-goog-meta-* metadata', async () => {
    const url = await write('signed/photo.jpg');
    expect(url.startsWith(`${fx.server.url}/${PRIVATE}/signed/photo.jpg?`)).toBe(true);
    const body = randomBytes(500);
    const res = await fetch(url, { method: 'PUT', headers: signedHeaders, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    const file = fx.storage.bucket(PRIVATE).file('signed/photo.jpg');
    const [data] = await file.download();
    expect(data.equals(body)).toBe(true);
    const [meta] = await file.getMetadata();
    expect(meta.contentType).toBe('image/jpeg');
    expect(meta.metadata).toEqual({ caption: 'signed caption' });
  });

  test('another content type is 403 SignatureDoesNotMatch', async () => {
    const url = await write('signed/wrong-type.jpg');
    const res = await fetch(url, {
      method: 'PUT',
      headers: { ...signedHeaders, 'Content-Type': 'image/png' },
      body: randomBytes(10),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('SignatureDoesNotMatch');
  });

  test('a body larger than the signed range is 400 EntityTooLarge', async () => {
    const url = await write('signed/too-big.jpg');
    const res = await fetch(url, { method: 'PUT', headers: signedHeaders, body: randomBytes(1001) });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('EntityTooLarge');
    // A large body is refused from its Content-Length, before it is read.
    const large = await fetch(url, {
      method: 'PUT',
      headers: signedHeaders,
      body: randomBytes(4 * 1024 * 1024),
    });
    expect(large.status).toBe(400);
    expect(await large.text()).toContain('EntityTooLarge');
    const [exists] = await fx.storage.bucket(PRIVATE).file('signed/too-big.jpg').exists();
    expect(exists).toBe(false);
  });

  test('an expired URL is refused', async () => {
    const url = await write('signed/late.jpg', Date.now() + 1000);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const res = await fetch(url, { method: 'PUT', headers: signedHeaders, body: randomBytes(10) });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/ExpiredToken.*expired/);
  });

  test('a tampered signature or unsigned metadata is 403', async () => {
    const url = new URL(await write('signed/tampered.jpg'));
    const signature = url.searchParams.get('X-Goog-Signature')!;
    url.searchParams.set('X-Goog-Signature', (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1));
    const res = await fetch(url, { method: 'PUT', headers: signedHeaders, body: randomBytes(10) });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('SignatureDoesNotMatch');

    const extra = await fetch(await write('signed/extra.jpg'), {
      method: 'PUT',
      headers: { ...signedHeaders, 'x-goog-meta-sneaky': 'yes' },
      body: randomBytes(10),
    });
    expect(extra.status).toBe(403);
  });

  test('an unknown signer is refused', async () => {
    const other = new Storage({
      apiEndpoint: fx.server.url,
      keyFilename: (await import('../local/storage')).createLocalCredentials(join(fx.dir, 'other'), 'other')
        .keyFile,
    });
    const [url] = await other
      .bucket(PRIVATE)
      .file('x.jpg')
      .getSignedUrl({
        version: 'v4',
        action: 'write',
        expires: Date.now() + 60000,
        contentType: 'image/jpeg',
      });
    const res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'image/jpeg' }, body: 'x' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('unknown signer');
  });

  test('signed GET reads a private object; unsigned GET of it is 403; public bucket needs no signature', async () => {
    await fx.storage
      .bucket(PRIVATE)
      .file('private.txt')
      .save('secret', { resumable: false, contentType: 'text/plain' });
    await fx.storage
      .bucket(PUBLIC)
      .file('memes/m.txt')
      .save('public meme', { resumable: false, contentType: 'text/plain' });

    const [url] = await fx.storage
      .bucket(PRIVATE)
      .file('private.txt')
      .getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + 60000 });
    const signed = await fetch(url);
    expect(signed.status).toBe(200);
    expect(await signed.text()).toBe('secret');

    const unsigned = await fetch(`${fx.server.url}/${PRIVATE}/private.txt`);
    expect(unsigned.status).toBe(403);

    const pub = await fetch(`${fx.server.url}/${PUBLIC}/memes/m.txt`);
    expect(pub.status).toBe(200);
    expect(pub.headers.get('content-type')).toBe('text/plain');
    expect(pub.headers.get('content-length')).toBe('11');
    expect(pub.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(pub.headers.get('cache-control')).toBeTruthy();
    expect(await pub.text()).toBe('public meme');
    const head = await fetch(`${fx.server.url}/${PUBLIC}/memes/m.txt`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect((await fetch(`${fx.server.url}/${PUBLIC}/memes/missing.txt`)).status).toBe(404);
    expect((await fetch(`${fx.server.url}/${PUBLIC}/memes/m.txt`, { method: 'PUT', body: 'x' })).status).toBe(
      403,
    );
  });

  test('CORS: preflight answered, responses expose ETag', async () => {
    const origin = 'http://127.0.0.1:9999';
    const preflight = await fetch(`${fx.server.url}/${PRIVATE}/any.jpg`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type,x-goog-meta-caption',
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,x-goog-meta-caption');
    const get = await fetch(`${fx.server.url}/${PUBLIC}/memes/m.txt`, { headers: { Origin: origin } });
    expect(get.headers.get('access-control-allow-origin')).toBe(origin);
    expect(get.headers.get('access-control-expose-headers')).toContain('ETag');
  });
});

describe('bucket notifications', () => {
  test('an object finalize publishes one Cloud Storage notification', async () => {
    const bucketName = 'memegen-notified';
    const [bucket] = await fx.storage.createBucket(bucketName);
    const [notification] = await bucket.createNotification('projects/memegen-test/topics/uploads', {
      eventTypes: ['OBJECT_FINALIZE'],
      payloadFormat: 'JSON_API_V1',
    });
    const [configs] = await bucket.getNotifications();
    expect(configs.map((c) => c.id)).toEqual([notification.id]);

    const before = fx.publisher.messages.length;
    const [file] = await bucket.upload(join(__dirname, 'photos', 'faceapi_sample1.jpg'), {
      destination: 'incoming/photo 1.jpg',
      resumable: false,
    });
    await fx.publisher.waitFor(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const published = fx.publisher.messages.slice(before);
    expect(published).toHaveLength(1);
    const [message] = published;
    const [meta] = await file.getMetadata();
    expect(message.topic).toBe('projects/memegen-test/topics/uploads');
    expect(message.attributes).toEqual({
      notificationConfig: `projects/_/buckets/${bucketName}/notificationConfigs/${notification.id}`,
      eventType: 'OBJECT_FINALIZE',
      payloadFormat: 'JSON_API_V1',
      bucketId: bucketName,
      objectId: 'incoming/photo 1.jpg',
      objectGeneration: meta.generation,
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
    });
    const payload = JSON.parse(message.data.toString('utf8'));
    expect(payload).toMatchObject({
      kind: 'storage#object',
      name: 'incoming/photo 1.jpg',
      bucket: bucketName,
      generation: meta.generation,
      size: meta.size,
      md5Hash: meta.md5Hash,
    });

    // Deleting (not configured) publishes nothing; after removing the config, uploads publish nothing.
    await notification.delete();
    await file.delete();
    await bucket.file('later.txt').save('x', { resumable: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fx.publisher.messages.length).toBe(before + 1);
  });

  test('an overwrite publishes OBJECT_FINALIZE and OBJECT_DELETE with the generations involved', async () => {
    const [bucket] = await fx.storage.createBucket('memegen-overwrites');
    await bucket.createNotification('projects/memegen-test/topics/all', {
      eventTypes: ['OBJECT_FINALIZE', 'OBJECT_DELETE'],
    });
    const file = bucket.file('x.txt');
    await file.save('one', { resumable: false });
    const before = fx.publisher.messages.length;
    const first = (await file.getMetadata())[0].generation as string;
    await file.save('two', { resumable: false });
    const second = (await file.getMetadata())[0].generation as string;
    await fx.publisher.waitFor(before + 2);
    const events = fx.publisher.messages.slice(before).map((m) => m.attributes);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          eventType: 'OBJECT_FINALIZE',
          objectGeneration: second,
          overwroteGeneration: first,
        }),
        expect.objectContaining({
          eventType: 'OBJECT_DELETE',
          objectGeneration: first,
          overwrittenByGeneration: second,
        }),
      ]),
    );
  });

  test('a failing publisher is logged and does not fail the upload', async () => {
    const [bucket] = await fx.storage.createBucket('memegen-failing');
    await bucket.createNotification('projects/memegen-test/topics/t', { eventTypes: ['OBJECT_FINALIZE'] });
    fx.publisher.failWith = new Error('pubsub down');
    try {
      await bucket.file('a.txt').save('a', { resumable: false });
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      fx.publisher.failWith = undefined;
    }
    const [exists] = await bucket.file('a.txt').exists();
    expect(exists).toBe(true);
    expect(fx.logs.some((line) => line.includes('pubsub down') && line.includes('a.txt'))).toBe(true);
  });
});

describe("access rules (as GCS enforces them for memegen's buckets)", () => {
  const json = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${fx.server.url}/storage/v1${path}`, init);

  beforeAll(async () => {
    await fx.storage.bucket(PRIVATE).file('rules/original.jpg').save('a private photo', { resumable: false });
    await fx.storage.bucket(PUBLIC).file('rules/status.json').save('{"state":"done"}', {
      resumable: false,
      contentType: 'application/json',
    });
  });

  test('anonymous JSON API reads and lists of the private bucket are refused with 401', async () => {
    for (const path of [
      `/b/${PRIVATE}/o/rules%2Foriginal.jpg`,
      `/b/${PRIVATE}/o/rules%2Foriginal.jpg?alt=media`,
      `/b/${PRIVATE}/o`,
      `/b/${PRIVATE}`,
      `/b/${PRIVATE}/notificationConfigs`,
      '/b?project=memegen-test',
    ]) {
      const res = await json(path);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(await res.text()).toMatch(
        /Anonymous caller does not have storage\.(objects|buckets)\.\w+ access/,
      );
    }
    const download = await fetch(
      `${fx.server.url}/download/storage/v1/b/${PRIVATE}/o/rules%2Foriginal.jpg?alt=media`,
    );
    expect(download.status).toBe(401);
    expect((await fetch(`${fx.server.url}/${PRIVATE}/rules/original.jpg`)).status).toBe(403);
  });

  test('the public bucket: objects readable by name, but it cannot be listed anonymously', async () => {
    const meta = await json(`/b/${PUBLIC}/o/rules%2Fstatus.json`);
    expect(meta.status).toBe(200);
    const media = await json(`/b/${PUBLIC}/o/rules%2Fstatus.json?alt=media`);
    expect(await media.text()).toBe('{"state":"done"}');
    expect((await json(`/b/${PUBLIC}/o`)).status).toBe(401);
    expect((await json(`/b/${PUBLIC}/o?prefix=rules/`)).status).toBe(401);
  });

  test('anonymous writes and deletes are refused everywhere, and nothing changes', async () => {
    const attempts: Array<[string, RequestInit & { url: string }]> = [
      [
        'media upload',
        {
          url: `${fx.server.url}/upload/storage/v1/b/${PUBLIC}/o?uploadType=media&name=rules/status.json`,
          method: 'POST',
          body: 'forged',
        },
      ],
      [
        'media upload to private',
        {
          url: `${fx.server.url}/upload/storage/v1/b/${PRIVATE}/o?uploadType=media&name=x.jpg`,
          method: 'POST',
          body: 'x',
        },
      ],
      [
        'resumable session',
        {
          url: `${fx.server.url}/upload/storage/v1/b/${PUBLIC}/o?uploadType=resumable&name=y`,
          method: 'POST',
          body: '{}',
        },
      ],
      ['delete', { url: `${fx.server.url}/storage/v1/b/${PUBLIC}/o/rules%2Fstatus.json`, method: 'DELETE' }],
      [
        'delete private',
        { url: `${fx.server.url}/storage/v1/b/${PRIVATE}/o/rules%2Foriginal.jpg`, method: 'DELETE' },
      ],
      [
        'patch',
        {
          url: `${fx.server.url}/storage/v1/b/${PUBLIC}/o/rules%2Fstatus.json`,
          method: 'PATCH',
          body: '{"metadata":{"a":"b"}}',
          headers: { 'content-type': 'application/json' },
        },
      ],
      ['bucket delete', { url: `${fx.server.url}/storage/v1/b/${PUBLIC}`, method: 'DELETE' }],
      [
        'bucket create',
        { url: `${fx.server.url}/storage/v1/b?project=x`, method: 'POST', body: '{"name":"forged-bucket"}' },
      ],
      [
        'notification',
        {
          url: `${fx.server.url}/storage/v1/b/${PRIVATE}/notificationConfigs`,
          method: 'POST',
          body: '{"topic":"projects/x/topics/y"}',
        },
      ],
    ];
    for (const [what, { url, ...init }] of attempts) {
      const res = await fetch(url, init);
      expect({ what, status: res.status }).toEqual({ what, status: 401 });
    }
    const xmlPut = await fetch(`${fx.server.url}/${PUBLIC}/rules/status.json`, {
      method: 'PUT',
      body: 'forged',
    });
    expect(xmlPut.status).toBe(403);
    const [status] = await fx.storage.bucket(PUBLIC).file('rules/status.json').download();
    expect(status.toString()).toBe('{"state":"done"}');
    expect((await fx.storage.bucket(PRIVATE).file('rules/original.jpg').exists())[0]).toBe(true);
    expect((await fx.storage.bucket('forged-bucket').exists())[0]).toBe(false);
  });

  test('a token that is forged, tampered with or expired is refused with 401', async () => {
    const other = createLocalCredentials(join(fx.dir, 'intruder'), 'memegen-test');
    const forged = selfSignedToken(other.keyFile)();
    const genuine = selfSignedToken(fx.credentials.keyFile)();
    const [head, payload, signature] = genuine.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, number>;
    const stretched = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86400 })).toString(
      'base64url',
    );
    const expiredKey = JSON.parse(readFileSync(fx.credentials.keyFile, 'utf8')) as { private_key: string };
    const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const old = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: fx.credentials.clientEmail, iat: 1_000_000, exp: 1_003_600 })}`;
    const expired = `${old}.${createSign('RSA-SHA256').update(old).sign(expiredKey.private_key, 'base64url')}`;
    for (const [what, token] of [
      ['another key, same account name', forged],
      ['tampered claims', `${head}.${stretched}.${signature}`],
      ['expired', expired],
      ['garbage', 'not-a-token'],
    ]) {
      const res = await json(`/b/${PRIVATE}/o/rules%2Foriginal.jpg`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect({ what, status: res.status }).toEqual({ what, status: 401 });
    }
    const ok = await json(`/b/${PRIVATE}/o/rules%2Foriginal.jpg`, {
      headers: { authorization: `Bearer ${genuine}` },
    });
    expect(ok.status).toBe(200);
  });

  test('an open resumable session accepts its bytes without credentials (the session URI is the credential)', async () => {
    const file = fx.storage.bucket(PRIVATE).file('rules/resumable.bin');
    const [uri] = await file.createResumableUpload();
    const res = await fetch(uri, { method: 'PUT', body: 'session bytes' });
    expect(res.status).toBe(200);
    expect((await file.download())[0].toString()).toBe('session bytes');
  });
});

describe('custom metadata limits (bytes, as GCS counts them)', () => {
  const file = (name: string) => fx.storage.bucket(PRIVATE).file(`limits/${name}`);

  test('a value over 4 KiB, or all of them over 8 KiB, is refused with 400; at the limit is fine', async () => {
    await file('at-limit').save('x', { resumable: false, metadata: { metadata: { a: 'v'.repeat(4096) } } });
    const err = await expectApiError(
      file('value').save('x', { resumable: false, metadata: { metadata: { a: 'v'.repeat(4097) } } }),
      400,
    );
    expect(err.message).toMatch(/4097 bytes; the limit is 4096/);
    // 1,366 Chinese characters are 4,098 bytes of UTF-8.
    await expectApiError(
      file('cjk').save('x', { resumable: false, metadata: { metadata: { a: '中'.repeat(1366) } } }),
      400,
    );
    const total = await expectApiError(
      file('total').save('x', {
        resumable: false,
        metadata: { metadata: { a: 'v'.repeat(4000), b: 'v'.repeat(4000), c: 'v'.repeat(400) } },
      }),
      400,
    );
    expect(total.message).toMatch(/totals 8403 bytes; the limit is 8192/);
    await expectApiError(file('at-limit').setMetadata({ metadata: { b: 'v'.repeat(4096) } }), 400);
    // The resumable path reports the server's 400 as a GaxiosError with the status on its response.
    await expect(
      file('resumable').save('x', { resumable: true, metadata: { metadata: { a: 'v'.repeat(5000) } } }),
    ).rejects.toMatchObject({ response: { status: 400 } });
    for (const name of ['value', 'cjk', 'total', 'resumable'])
      expect((await file(name).exists())[0]).toBe(false);
  });

  test('a signed PUT whose x-goog-meta-* headers exceed the limits is refused before the body is read', async () => {
    const long = '%E4%B8%AD'.repeat(460); // a percent-encoded Chinese caption: 4,140 bytes
    const [url] = await file('signed.jpg').getSignedUrl({
      version: 'v4',
      action: 'write',
      expires: Date.now() + 60000,
      contentType: 'image/jpeg',
      extensionHeaders: { 'x-goog-meta-caption': long },
    });
    const res = await fetch(url, {
      method: 'PUT',
      headers: { 'Content-Type': 'image/jpeg', 'x-goog-meta-caption': long },
      body: randomBytes(100),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/MetadataTooLarge.*4140 bytes/);
    expect((await file('signed.jpg').exists())[0]).toBe(false);
  });
});

describe('environment configuration', () => {
  test('STORAGE_EMULATOR_HOST + GOOGLE_APPLICATION_CREDENTIALS: a plain new Storage() signs URLs offline but is an anonymous caller', async () => {
    const saved = {
      host: process.env.STORAGE_EMULATOR_HOST,
      creds: process.env.GOOGLE_APPLICATION_CREDENTIALS,
    };
    process.env.STORAGE_EMULATOR_HOST = fx.server.url;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = fx.credentials.keyFile;
    try {
      const storage = new Storage();
      await fx.storage.bucket(PUBLIC).file('env/public.txt').save('via env', { resumable: false });
      const [data] = await storage.bucket(PUBLIC).file('env/public.txt').download();
      expect(data.toString()).toBe('via env');
      // The client sends no credentials to a custom endpoint: GCS's rules for anonymous callers apply.
      await expectApiError(
        storage.bucket(PRIVATE).file('env/route.txt').save('x', { resumable: false }),
        401,
      );
      await expectApiError(storage.bucket(PUBLIC).getFiles({ prefix: 'env/' }), 401);
      const [url] = await storage
        .bucket(PRIVATE)
        .file('env/signed.txt')
        .getSignedUrl({
          version: 'v4',
          action: 'write',
          expires: Date.now() + 60000,
          contentType: 'text/plain',
        });
      const res = await fetch(url, {
        method: 'PUT',
        headers: { 'Content-Type': 'text/plain' },
        body: 'signed via env',
      });
      expect(res.status).toBe(200);
      expect((await fx.storage.bucket(PRIVATE).file('env/signed.txt').download())[0].toString()).toBe(
        'signed via env',
      );
    } finally {
      for (const [key, value] of [
        ['STORAGE_EMULATOR_HOST', saved.host],
        ['GOOGLE_APPLICATION_CREDENTIALS', saved.creds],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  test('no client request left 127.0.0.1', () => {
    expect(remoteHosts.size).toBeGreaterThan(0);
    expect([...remoteHosts]).toEqual(expect.arrayContaining(['127.0.0.1']));
    expect([...remoteHosts].filter((h) => h !== '127.0.0.1')).toEqual([]);
  });
});
