import { randomBytes } from 'node:crypto';
import { authorize, type Permission } from './access';
import type { Caller } from './auth';
import { checkDeclaredLength, readJsonBody, receiveToFile, type SizeLimit } from './body';
import { sendObject } from './download';
import { badRequest, StorageError } from './errors';
import { removeQuietly } from './files';
import { header, sendEmpty, sendJson, type RequestContext } from './http';
import { checkCustomMetadata, MAX_OBJECT_BYTES, tooLarge } from './limits';
import { multipartBoundary, receiveMultipart } from './multipart';
import { checkObjectName } from './names';
import { checkPreconditions, readPreconditions, type Preconditions } from './preconditions';
import { pickWritableMetadata, type NotificationConfig } from './records';
import { bucketResource, notificationResource, objectResource } from './resources';
import type { ResumableSessions } from './resumable';
import type { FileStore } from './store';

// The JSON API (/storage/v1/...), its upload endpoint (/upload/storage/v1/...) and its
// download endpoint (/download/storage/v1/...), limited to what @google-cloud/storage
// sends for bucket and object CRUD, uploads, listing and notification configs.

const OBJECT_LIMIT: SizeLimit = { maxBytes: MAX_OBJECT_BYTES, error: () => tooLarge(MAX_OBJECT_BYTES) };
const DEFAULT_PAGE = 1000;

export interface JsonApiDeps {
  store: FileStore;
  sessions: ResumableSessions;
  publicBuckets: ReadonlySet<string>;
  /** Why writes to a bucket are refused for now (answered 503), or undefined. */
  refuseWrites?: (bucket: string) => string | undefined;
}

type Kind = 'api' | 'upload' | 'download';

/** Which JSON endpoint a path belongs to, and the rest of the path after its prefix. */
export function matchJsonApi(rawPath: string): { kind: Kind; rest: string } | undefined {
  const prefixes: Array<[string, Kind]> = [
    ['/storage/v1/', 'api'],
    ['/upload/storage/v1/', 'upload'],
    ['/download/storage/v1/', 'download'],
  ];
  for (const [prefix, kind] of prefixes) {
    if (rawPath.startsWith(prefix)) return { kind, rest: rawPath.slice(prefix.length - 1) };
  }
  // With STORAGE_EMULATOR_HOST the client uses that value as its JSON API base URL
  // verbatim, without "/storage/v1", so requests arrive as /b/... A bucket cannot be
  // named "b" (3 characters minimum), so this never shadows the XML API.
  if (rawPath === '/b' || rawPath.startsWith('/b/')) return { kind: 'api', rest: rawPath };
  return undefined;
}

function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badRequest('Malformed percent-encoding in the path.');
  }
}

const queryPreconditions = (ctx: RequestContext): Preconditions =>
  readPreconditions((name) => ctx.query.get(name) ?? undefined);

/**
 * The permission a JSON API request needs, as GCS checks it. A request to an open
 * resumable session (upload_id) needs none: the session URI is the credential, given only
 * to whoever was allowed to start the upload.
 */
function permissionFor(
  kind: Kind,
  method: string,
  bucket: string | undefined,
  collection: string | undefined,
  item: string | undefined,
  uploadSession: boolean,
): Permission | undefined {
  const reading = method === 'GET' || method === 'HEAD';
  if (kind === 'upload') return uploadSession ? undefined : 'storage.objects.create';
  if (bucket === undefined) return reading ? 'storage.buckets.list' : 'storage.buckets.create';
  if (collection === undefined)
    return reading
      ? 'storage.buckets.get'
      : method === 'DELETE'
        ? 'storage.buckets.delete'
        : 'storage.buckets.update';
  if (collection === 'notificationConfigs') return reading ? 'storage.buckets.get' : 'storage.buckets.update';
  if (item === undefined) return 'storage.objects.list';
  if (reading) return 'storage.objects.get';
  return method === 'DELETE' ? 'storage.objects.delete' : 'storage.objects.update';
}

export async function handleJsonApi(
  ctx: RequestContext,
  kind: Kind,
  rest: string,
  deps: JsonApiDeps,
  caller: Caller,
): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  // /b, /b/{bucket}, /b/{bucket}/o, /b/{bucket}/o/{object...}, /b/{bucket}/notificationConfigs[/{id}]
  const m = /^\/b(?:\/([^/]+)(?:\/(o|notificationConfigs)(?:\/(.+))?)?)?\/?$/.exec(rest);
  if (!m) throw new StorageError(404, 'notFound', `Not found: ${rest}`);
  const bucket = m[1] === undefined ? undefined : decodeSegment(m[1]);
  const collection = m[2];
  const item = m[3] === undefined ? undefined : decodeSegment(m[3]);
  const permission = permissionFor(kind, method, bucket, collection, item, ctx.query.has('upload_id'));
  if (permission) authorize(caller, permission, bucket, deps.publicBuckets);
  if (kind === 'upload' && bucket !== undefined && !ctx.query.has('upload_id')) {
    const refused = deps.refuseWrites?.(bucket);
    if (refused !== undefined) throw new StorageError(503, 'backendError', refused, 'ServiceUnavailable');
  }

  if (kind === 'upload') {
    if (!bucket || collection !== 'o' || item !== undefined)
      throw new StorageError(404, 'notFound', `Not found: ${rest}`);
    return handleUpload(ctx, bucket, deps);
  }
  if (bucket === undefined) return handleBuckets(ctx, method, deps.store);
  if (collection === undefined) return handleBucket(ctx, method, bucket, deps.store);
  if (collection === 'notificationConfigs') return handleNotifications(ctx, method, bucket, item, deps.store);
  if (item === undefined) {
    if (method !== 'GET')
      throw new StorageError(405, 'methodNotAllowed', `${method} not supported on objects collection.`);
    return listObjects(ctx, bucket, deps.store);
  }
  return handleObject(ctx, kind, method, bucket, item, deps.store);
}

async function handleBuckets(ctx: RequestContext, method: string, store: FileStore): Promise<void> {
  if (method === 'GET') {
    const prefix = ctx.query.get('prefix') ?? '';
    const items = (await store.listBuckets()).filter((b) => b.name.startsWith(prefix));
    return sendJson(ctx.res, 200, {
      kind: 'storage#buckets',
      items: items.map((b) => bucketResource(b, ctx.baseUrl)),
    });
  }
  if (method === 'POST') {
    const body = (await readJsonBody(ctx.req)) as Record<string, unknown>;
    const name = typeof body.name === 'string' ? body.name : (ctx.query.get('name') ?? '');
    const record = await store.createBucket(name, {
      location: typeof body.location === 'string' ? body.location : undefined,
      storageClass: typeof body.storageClass === 'string' ? body.storageClass : undefined,
    });
    return sendJson(ctx.res, 200, bucketResource(record, ctx.baseUrl));
  }
  throw new StorageError(405, 'methodNotAllowed', `${method} not supported on buckets.`);
}

async function handleBucket(
  ctx: RequestContext,
  method: string,
  bucket: string,
  store: FileStore,
): Promise<void> {
  if (method === 'GET')
    return sendJson(ctx.res, 200, bucketResource(await store.getBucket(bucket), ctx.baseUrl));
  if (method === 'DELETE') {
    await store.deleteBucket(bucket);
    return sendEmpty(ctx.res, 204);
  }
  throw new StorageError(405, 'methodNotAllowed', `${method} not supported on a bucket by the local server.`);
}

async function handleNotifications(
  ctx: RequestContext,
  method: string,
  bucket: string,
  id: string | undefined,
  store: FileStore,
): Promise<void> {
  const render = (n: NotificationConfig): Record<string, unknown> =>
    notificationResource(bucket, n, ctx.baseUrl);
  if (id === undefined && method === 'GET') {
    const record = await store.getBucket(bucket);
    return sendJson(ctx.res, 200, { kind: 'storage#notifications', items: record.notifications.map(render) });
  }
  if (id === undefined && method === 'POST') {
    const body = (await readJsonBody(ctx.req)) as Record<string, unknown>;
    if (
      typeof body.topic !== 'string' ||
      !/^(\/\/pubsub\.[^/]+\/)?projects\/[^/]+\/topics\/[^/]+$/.test(body.topic)
    ) {
      throw badRequest(`Invalid notification topic: ${String(body.topic)}`);
    }
    const topic = body.topic;
    const created = await store.updateNotifications(bucket, (configs, record) => {
      const config: NotificationConfig = {
        id: String(record.nextNotificationId),
        topic,
        payload_format: typeof body.payload_format === 'string' ? body.payload_format : 'JSON_API_V1',
        etag: randomBytes(6).toString('base64'),
      };
      if (Array.isArray(body.event_types)) config.event_types = body.event_types.map(String);
      if (typeof body.object_name_prefix === 'string') config.object_name_prefix = body.object_name_prefix;
      if (body.custom_attributes && typeof body.custom_attributes === 'object') {
        config.custom_attributes = Object.fromEntries(
          Object.entries(body.custom_attributes as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
        );
      }
      record.nextNotificationId += 1;
      return { configs: [...configs, config], result: config };
    });
    return sendJson(ctx.res, 200, render(created));
  }
  if (id !== undefined && (method === 'GET' || method === 'DELETE')) {
    const record = await store.getBucket(bucket);
    const config = record.notifications.find((n) => n.id === id);
    if (!config)
      throw new StorageError(404, 'notFound', `No such notification config ${id} on bucket ${bucket}.`);
    if (method === 'GET') return sendJson(ctx.res, 200, render(config));
    await store.updateNotifications(bucket, (configs) => ({
      configs: configs.filter((n) => n.id !== id),
      result: undefined,
    }));
    return sendEmpty(ctx.res, 204);
  }
  throw new StorageError(405, 'methodNotAllowed', `${method} not supported on notification configs.`);
}

async function listObjects(ctx: RequestContext, bucket: string, store: FileStore): Promise<void> {
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const startOffset = ctx.query.get('startOffset') ?? '';
  const endOffset = ctx.query.get('endOffset') ?? '';
  const pageToken = ctx.query.get('pageToken');
  const maxResults = Math.max(
    1,
    Math.min(Number(ctx.query.get('maxResults') ?? DEFAULT_PAGE) || DEFAULT_PAGE, DEFAULT_PAGE),
  );
  const after = pageToken ? Buffer.from(pageToken, 'base64url').toString('utf8') : undefined;

  const items: Array<Record<string, unknown>> = [];
  const prefixes = new Set<string>();
  let last: string | undefined;
  let more = false;
  for (const o of await store.listObjects(bucket)) {
    if (!o.name.startsWith(prefix)) continue;
    if (startOffset && o.name < startOffset) continue;
    if (endOffset && o.name >= endOffset) continue;
    // With a delimiter, everything below a prefix folds into that one prefix entry.
    let entry = o.name;
    const cut = delimiter ? o.name.indexOf(delimiter, prefix.length) : -1;
    if (cut >= 0) entry = o.name.slice(0, cut + delimiter.length);
    if (after !== undefined && entry <= after) continue;
    if (items.length + prefixes.size >= maxResults && !prefixes.has(entry)) {
      more = true;
      break;
    }
    if (cut >= 0) prefixes.add(entry);
    else items.push(objectResource(o, ctx.baseUrl));
    last = entry;
  }
  const body: Record<string, unknown> = { kind: 'storage#objects', items };
  if (prefixes.size > 0) body.prefixes = [...prefixes];
  if (more && last !== undefined) body.nextPageToken = Buffer.from(last, 'utf8').toString('base64url');
  return sendJson(ctx.res, 200, body);
}

async function handleObject(
  ctx: RequestContext,
  kind: Kind,
  method: string,
  bucket: string,
  name: string,
  store: FileStore,
): Promise<void> {
  const generation = ctx.query.get('generation') ?? undefined;
  if (method === 'GET' || method === 'HEAD') {
    if (kind === 'download' || ctx.query.get('alt') === 'media') {
      const { record, handle } = await store.openObject(bucket, name, generation);
      try {
        checkPreconditions(record, queryPreconditions(ctx));
      } catch (error) {
        await handle.close();
        throw error;
      }
      return sendObject(ctx, record, handle);
    }
    const record = await store.getObject(bucket, name, generation);
    checkPreconditions(record, queryPreconditions(ctx));
    return sendJson(ctx.res, 200, objectResource(record, ctx.baseUrl));
  }
  if (method === 'DELETE') {
    await store.deleteObject(bucket, name, queryPreconditions(ctx), generation);
    return sendEmpty(ctx.res, 204);
  }
  if (method === 'PATCH' || method === 'PUT') {
    const patch = await readJsonBody(ctx.req);
    const record = await store.patchObject(bucket, name, patch, queryPreconditions(ctx));
    return sendJson(ctx.res, 200, objectResource(record, ctx.baseUrl));
  }
  throw new StorageError(405, 'methodNotAllowed', `${method} not supported on objects by the local server.`);
}

async function handleUpload(ctx: RequestContext, bucket: string, deps: JsonApiDeps): Promise<void> {
  const { store, sessions } = deps;
  const method = ctx.req.method ?? 'POST';
  const uploadType = ctx.query.get('uploadType') ?? 'media';
  const uploadId = ctx.query.get('upload_id');

  if (uploadId !== null) {
    if (method === 'DELETE') {
      await sessions.cancel(uploadId);
      return sendEmpty(ctx.res, 499);
    }
    if (method !== 'PUT' && method !== 'POST')
      throw new StorageError(405, 'methodNotAllowed', `${method} not supported on an upload session.`);
    const result = await sessions.put(uploadId, ctx.req, header(ctx.req, 'content-range'));
    if (result.done) return sendJson(ctx.res, 200, objectResource(result.object, ctx.baseUrl));
    // 308 "Resume Incomplete"; Range says which bytes are stored (absent when none).
    return sendEmpty(ctx.res, 308, result.received > 0 ? { Range: `bytes=0-${result.received - 1}` } : {});
  }

  if (method !== 'POST')
    throw new StorageError(405, 'methodNotAllowed', `${method} not supported for uploads.`);
  await store.getBucket(bucket);
  const preconditions = queryPreconditions(ctx);

  if (uploadType === 'resumable') {
    const metadata = (await readJsonBody(ctx.req)) as Record<string, unknown>;
    const name = checkObjectName(
      ctx.query.get('name') ?? (typeof metadata.name === 'string' ? metadata.name : ''),
    );
    const declared = header(ctx.req, 'x-upload-content-length');
    if (declared !== undefined && Number(declared) > MAX_OBJECT_BYTES) throw tooLarge(MAX_OBJECT_BYTES);
    const writable = pickWritableMetadata(metadata);
    writable.contentType ??= header(ctx.req, 'x-upload-content-type');
    checkCustomMetadata(writable.metadata); // refused before any byte is sent, as GCS does
    // Fail early like GCS does for a create-only upload of an existing object; the
    // preconditions are checked again when the upload completes.
    checkPreconditions(await store.findObject(bucket, name), preconditions);
    const id = await sessions.start({ bucket, name, metadata: writable, preconditions });
    const location =
      `${ctx.baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable` +
      `&name=${encodeURIComponent(name)}&upload_id=${id}`;
    return sendEmpty(ctx.res, 200, { Location: location, 'X-GUploader-UploadID': id });
  }

  if (uploadType !== 'multipart' && uploadType !== 'media')
    throw badRequest(`Unsupported uploadType '${uploadType}'.`);
  checkDeclaredLength(ctx.req.headers, OBJECT_LIMIT);
  const tempFile = store.layout.tempFile();
  try {
    let record;
    if (uploadType === 'multipart') {
      const boundary = multipartBoundary(header(ctx.req, 'content-type'));
      const upload = await receiveMultipart(ctx.req, boundary, tempFile, OBJECT_LIMIT);
      const source = (
        upload.metadata && typeof upload.metadata === 'object' ? upload.metadata : {}
      ) as Record<string, unknown>;
      const name = ctx.query.get('name') ?? (typeof source.name === 'string' ? source.name : '');
      const metadata = pickWritableMetadata(source);
      metadata.contentType ??= upload.dataContentType;
      record = await store.commitObject({
        bucket,
        name,
        tempFile,
        digest: upload.digest,
        metadata,
        preconditions,
      });
    } else {
      const name = checkObjectName(ctx.query.get('name') ?? '');
      const digest = await receiveToFile(ctx.req, tempFile, OBJECT_LIMIT);
      const metadata = { contentType: header(ctx.req, 'content-type') };
      record = await store.commitObject({ bucket, name, tempFile, digest, metadata, preconditions });
    }
    return sendJson(ctx.res, 200, objectResource(record, ctx.baseUrl));
  } finally {
    // commitObject consumes the temp file; this only matters when receiving failed.
    await removeQuietly(tempFile);
  }
}
