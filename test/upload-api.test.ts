/**
 * The upload API as a client meets it, served by the functions framework as on GCP: every
 * refusal is JSON {error, code} with no stack trace, whatever the body or NODE_ENV; limits
 * match what Cloud Storage will enforce at PUT time; the page is served with its security
 * headers; the signed URL is create-only.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { loadConfig } from '../functions/cloud/config';
import { gcsBlobStore } from '../functions/cloud/gcs';
import { jsonLogger } from '../functions/cloud/log';
import { loadPageAssets } from '../functions/cloud/page';
import { StatusStore } from '../functions/cloud/status';
import { createUploadHandler } from '../functions/cloud/uploadHandler';
import { LocalStorageFixture, startLocalStorage } from './support/local-storage-harness';
import { PHOTOS } from './support/sharedData';

const PUBLIC = 'pub-lic';
const INBOX = 'in-box';
let fixture: LocalStorageFixture;
let server: Server;
let base: string;
let down: string | undefined;
const savedEnv = process.env.NODE_ENV;

beforeAll(async () => {
  fixture = await startLocalStorage([PUBLIC]);
  for (const bucket of [INBOX, PUBLIC]) await fixture.storage.createBucket(bucket);
  const config = loadConfig({
    INBOX_BUCKET: INBOX,
    PUBLIC_BUCKET: PUBLIC,
    RENDER_TOPIC: 'render',
    PUBLIC_BASE_URL: `${fixture.server.url}/${PUBLIC}`,
    MAX_UPLOAD_BYTES: '2000000',
  });
  functions.http(
    'upload_api_test',
    createUploadHandler({
      config,
      blobs: gcsBlobStore(fixture.storage),
      page: loadPageAssets(),
      log: jsonLogger({}, () => undefined),
      unavailable: () => down,
    }),
  );
  // Express shows stack traces in its error pages unless NODE_ENV is "production".
  process.env.NODE_ENV = 'development';
  server = getTestServer('upload_api_test');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  process.env.NODE_ENV = savedEnv;
  await new Promise((resolve) => server?.close(resolve));
  await fixture?.close();
});

const post = (body: string | Buffer, contentType = 'application/json'): Promise<Response> =>
  fetch(`${base}/api/uploads`, { method: 'POST', headers: { 'content-type': contentType }, body });

async function expectJsonError(
  response: Response,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  const text = await response.text();
  expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({
    status,
    type: expect.stringMatching(/^application\/json/),
  });
  expect(text).not.toMatch(/\bat .*\.js:\d+|SyntaxError|node_modules|<html/i);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({ code, error: expect.any(String) });
  return body;
}

describe('every refusal is JSON {error, code}', () => {
  it.each([
    ['malformed JSON', '{"contentType": "image/jpeg", '],
    ['null', 'null'],
    ['a number', '123'],
    ['a string', '"image/jpeg"'],
    ['an array', '[{"contentType":"image/jpeg","size":10}]'],
    ['an empty body', ''],
  ])('%s → 400 BAD_REQUEST, no stack trace even with NODE_ENV=development', async (_what, body) => {
    await expectJsonError(await post(body), 400, 'BAD_REQUEST');
  });

  it('a body that is not JSON at all (text, a form) → 400', async () => {
    await expectJsonError(
      await post('contentType=image/jpeg', 'application/x-www-form-urlencoded'),
      400,
      'BAD_REQUEST',
    );
    await expectJsonError(await post('hello', 'text/plain'), 400, 'BAD_REQUEST');
  });

  it('a body over 16 KiB → 413 REQUEST_TOO_LARGE, however it is padded', async () => {
    const padded = JSON.stringify({ contentType: 'image/jpeg', size: 100, padding: 'x'.repeat(17 * 1024) });
    await expectJsonError(await post(padded), 413, 'REQUEST_TOO_LARGE');
    await expectJsonError(await post(randomBytes(10 * 1024 * 1024)), 413, 'REQUEST_TOO_LARGE');
  });

  it('unknown routes and methods → 404 NOT_FOUND as JSON', async () => {
    await expectJsonError(await fetch(`${base}/api/nothing`), 404, 'NOT_FOUND');
    await expectJsonError(await fetch(`${base}/api/uploads`, { method: 'DELETE' }), 404, 'NOT_FOUND');
  });

  it('while the pipeline is down → 503 UNAVAILABLE with Retry-After, and nothing is signed', async () => {
    down = 'the local Pub/Sub emulator stopped and is being restarted; try again in a few seconds';
    try {
      const response = await post(JSON.stringify({ contentType: 'image/jpeg', size: 1000 }));
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await expectJsonError(response, 503, 'UNAVAILABLE')).toMatchObject({ error: down });
    } finally {
      down = undefined;
    }
  });
});

describe('caption limits in encoded bytes, as Cloud Storage counts them', () => {
  const request = (caption: Record<string, string>): Promise<Response> =>
    post(JSON.stringify({ contentType: 'image/jpeg', size: 1000, caption }));

  it('500 Chinese characters are 4,500 bytes percent-encoded: refused, naming the field and the excess', async () => {
    const body = await expectJsonError(await request({ top: '猫'.repeat(500) }), 400, 'CAPTION_TOO_LONG');
    expect(body).toMatchObject({ field: 'caption.top', excessBytes: 404, limitBytes: 4096 });
    expect(body.error).toMatch(/^caption\.top is 404 bytes too long/);
  });

  it('455 Chinese characters (4,095 bytes) fit; 500 plain letters fit', async () => {
    expect((await request({ bottom: '猫'.repeat(455) })).status).toBe(201);
    expect((await request({ top: 'a'.repeat(500), bottom: 'b'.repeat(500) })).status).toBe(201);
  });

  it('emoji count 12 bytes each; top and bottom together may not pass 8 KiB', async () => {
    const emoji = await expectJsonError(await request({ bottom: '😀'.repeat(342) }), 400, 'CAPTION_TOO_LONG');
    expect(emoji).toMatchObject({ field: 'caption.bottom', excessBytes: 342 * 12 - 4096 });
    const both = await expectJsonError(
      await request({ top: '猫'.repeat(455), bottom: '猫'.repeat(455) }),
      400,
      'CAPTION_TOO_LONG',
    );
    expect(both).toMatchObject({ field: 'caption', limitBytes: 8192 });
    expect(both.excessBytes).toBeGreaterThan(0);
  });

  it('the limits the page can check are in /api/config', async () => {
    expect(await (await fetch(`${base}/api/config`)).json()).toMatchObject({
      maxCaptionCharacters: 500,
      maxCaptionBytes: 4096,
    });
  });
});

describe('formats', () => {
  it.each([
    ['image/heic', /HEIC photos .* not supported/],
    ['image/heif', /HEIF pictures are not supported/],
    ['image/svg+xml', /SVG drawings are not supported/],
  ])('%s → 415 UNSUPPORTED_FORMAT saying what to do', async (contentType, message) => {
    const body = await expectJsonError(
      await post(JSON.stringify({ contentType, size: 1000 })),
      415,
      'UNSUPPORTED_FORMAT',
    );
    expect(body.error).toMatch(message);
  });
});

describe('page headers', () => {
  it.each(['/', '/app.js', '/api/config'])(
    '%s carries the CSP (frame-ancestors none), nosniff and Referrer-Policy',
    async (path) => {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    },
  );
});

describe('create-only signed uploads', () => {
  it('the ticket signs x-goog-if-generation-match: 0: a second PUT is refused with 412 and the first upload stays', async () => {
    const photo = readFileSync(join(PHOTOS, 'matplotlib_grace_hopper.jpg'));
    const ticket = (await (
      await post(JSON.stringify({ contentType: 'image/jpeg', size: photo.length, caption: { top: 'été' } }))
    ).json()) as { id: string; uploadUrl: string; uploadHeaders: Record<string, string>; expiresAt: string };
    expect(ticket.uploadHeaders['x-goog-if-generation-match']).toBe('0');
    const status = await new StatusStore(gcsBlobStore(fixture.storage), PUBLIC).read(ticket.id);
    expect(status).toMatchObject({ state: 'queued', uploadExpiresAt: ticket.expiresAt });
    const put = (body: Buffer): Promise<Response> =>
      fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.uploadHeaders, body });
    expect((await put(photo)).status).toBe(200);
    const second = await put(randomBytes(500));
    expect(second.status).toBe(412);
    const [stored] = await fixture.storage.bucket(INBOX).file(`uploads/${ticket.id}`).download();
    expect(stored.equals(photo)).toBe(true);
    // Without the header the signature does not match: it cannot be left out.
    const { 'x-goog-if-generation-match': _dropped, ...withoutIt } = ticket.uploadHeaders;
    void _dropped;
    expect((await fetch(ticket.uploadUrl, { method: 'PUT', headers: withoutIt, body: photo })).status).toBe(
      403,
    );
  });
});
