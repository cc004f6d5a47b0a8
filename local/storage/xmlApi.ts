import type { Caller } from './auth';
import { checkDeclaredLength, receiveToFile, type SizeLimit } from './body';
import { sendObject } from './download';
import { badRequest, forbidden, StorageError } from './errors';
import { removeQuietly } from './files';
import { header, type RequestContext } from './http';
import type { InflightUploads } from './inflight';
import { checkCustomMetadata, MAX_OBJECT_BYTES, tooLarge } from './limits';
import { checkBucketName, checkObjectName } from './names';
import { readPreconditions } from './preconditions';
import type { WritableObjectMetadata } from './records';
import { xmlEtag } from './resources';
import { encodeObjectPath, isSignedQuery, type SignatureVerifier, type VerifiedSignature } from './signing';
import type { FileStore } from './store';

// The XML API's path-style object URLs, /BUCKET/OBJECT: what signed URLs point at and
// what browsers use to read public objects. Access is a valid V4 signature, an
// authenticated caller, or, for GET/HEAD only, membership of the bucket in publicBuckets;
// nothing else.

export interface XmlApiDeps {
  store: FileStore;
  verifier: SignatureVerifier;
  publicBuckets: ReadonlySet<string>;
  inflight: InflightUploads;
  /** Why writes to a bucket are refused for now (answered 503), or undefined. */
  refuseWrites?: (bucket: string) => string | undefined;
}

/** GCS serves public objects with this Cache-Control unless the object sets its own. */
const PUBLIC_DEFAULT_CACHE_CONTROL = 'public, max-age=3600';

function splitPath(rawPath: string): { bucket: string; name: string } {
  const slash = rawPath.indexOf('/', 1);
  if (slash < 0 || slash === rawPath.length - 1) {
    throw badRequest('Only object URLs (/BUCKET/OBJECT) are served by the local XML API.');
  }
  try {
    return {
      bucket: checkBucketName(decodeURIComponent(rawPath.slice(1, slash))),
      name: checkObjectName(decodeURIComponent(rawPath.slice(slash + 1))),
    };
  } catch (error) {
    if (error instanceof URIError) throw badRequest('Malformed percent-encoding in the path.');
    throw error;
  }
}

/** "min,max" from x-goog-content-length-range */
function contentLengthRange(value: string | undefined): { min: number; max: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(value);
  if (!m) throw badRequest(`Invalid x-goog-content-length-range '${value}'.`);
  return { min: Number(m[1]), max: Number(m[2]) };
}

export async function handleXmlApi(ctx: RequestContext, deps: XmlApiDeps, caller: Caller): Promise<void> {
  const { req } = ctx;
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD' && method !== 'PUT') {
    throw new StorageError(
      405,
      'methodNotAllowed',
      `${method} is not supported on object URLs.`,
      'MethodNotAllowed',
    );
  }
  const { bucket, name } = splitPath(ctx.rawPath);

  let signature: VerifiedSignature | undefined;
  if (isSignedQuery(ctx.rawQuery)) {
    signature = deps.verifier.verify({
      method,
      rawPath: ctx.rawPath,
      canonicalPath: `/${bucket}/${encodeObjectPath(name)}`,
      rawQuery: ctx.rawQuery,
      headers: req.headers,
    });
  } else if (caller.kind === 'anonymous' && (method === 'PUT' || !deps.publicBuckets.has(bucket))) {
    throw forbidden(
      `Anonymous caller does not have storage.objects.${method === 'PUT' ? 'create' : 'get'} access to ` +
        `gs://${bucket}/${name}: use a V4 signed URL${method === 'PUT' ? '' : ' or a public bucket'}.`,
    );
  }

  if (method === 'PUT') {
    const refused = deps.refuseWrites?.(bucket);
    if (refused !== undefined) throw new StorageError(503, 'backendError', refused, 'ServiceUnavailable');
    // Only signed uploads are tracked: they are the ones a job is waiting for.
    const ended = signature ? await deps.inflight.begin(bucket, name) : undefined;
    try {
      return await putObject(ctx, deps.store, bucket, name, signature);
    } finally {
      await ended?.();
    }
  }
  const generation = ctx.query.get('generation') ?? undefined;
  const { record, handle } = await deps.store.openObject(bucket, name, generation);
  return sendObject(ctx, record, handle, signature ? undefined : PUBLIC_DEFAULT_CACHE_CONTROL);
}

async function putObject(
  ctx: RequestContext,
  store: FileStore,
  bucket: string,
  name: string,
  signature: VerifiedSignature | undefined,
): Promise<void> {
  const { req, res } = ctx;
  await store.getBucket(bucket);

  const metadata: WritableObjectMetadata = { contentType: header(req, 'content-type') };
  const custom: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (!key.startsWith('x-goog-meta-') || value === undefined) continue;
    // Metadata the signer did not approve could be anything the uploader likes; GCS
    // signed URLs bind extension headers, so unsigned ones are refused here.
    if (signature && !signature.signedHeaders.has(key))
      throw forbidden(`Header ${key} is not among the signed headers of this URL.`);
    custom[key.slice('x-goog-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  if (Object.keys(custom).length > 0) metadata.metadata = custom;
  checkCustomMetadata(metadata.metadata); // before the body is read: GCS refuses at once too
  for (const [field, name] of [
    ['cacheControl', 'cache-control'],
    ['contentDisposition', 'content-disposition'],
    ['contentEncoding', 'content-encoding'],
    ['contentLanguage', 'content-language'],
  ] as const) {
    const value = header(req, name);
    if (value !== undefined) metadata[field] = value;
  }

  const range = contentLengthRange(header(req, 'x-goog-content-length-range'));
  const limit: SizeLimit =
    range && range.max < MAX_OBJECT_BYTES
      ? {
          maxBytes: range.max,
          error: () =>
            new StorageError(
              400,
              'entityTooLarge',
              `Your proposed upload is larger than the maximum object size specified in your Policy Document (${range.max} bytes).`,
              'EntityTooLarge',
            ),
        }
      : { maxBytes: MAX_OBJECT_BYTES, error: () => tooLarge(MAX_OBJECT_BYTES) };
  const tooSmall = (): StorageError =>
    new StorageError(
      400,
      'entityTooSmall',
      `Your proposed upload is smaller than the minimum object size specified in your Policy Document (${range?.min} bytes).`,
      'EntityTooSmall',
    );
  checkDeclaredLength(req.headers, limit);
  const declared = header(req, 'content-length');
  if (range && declared !== undefined && Number(declared) < range.min) throw tooSmall();

  const preconditions = readPreconditions((key) => {
    const headerName = {
      ifGenerationMatch: 'x-goog-if-generation-match',
      ifGenerationNotMatch: 'x-goog-if-generation-not-match',
      ifMetagenerationMatch: 'x-goog-if-metageneration-match',
      ifMetagenerationNotMatch: 'x-goog-if-metageneration-not-match',
    }[key];
    return header(req, headerName);
  });

  const tempFile = store.layout.tempFile();
  try {
    const digest = await receiveToFile(req, tempFile, limit);
    if (range && digest.size < range.min) throw tooSmall();
    const record = await store.commitObject({ bucket, name, tempFile, digest, metadata, preconditions });
    res.writeHead(200, {
      ETag: xmlEtag(record),
      'x-goog-generation': record.generation,
      'x-goog-metageneration': record.metageneration,
      'x-goog-hash': `crc32c=${record.crc32c},md5=${record.md5Hash}`,
      'x-goog-stored-content-length': String(record.size),
      'Content-Length': 0,
    });
    res.end();
  } finally {
    await removeQuietly(tempFile);
  }
}
