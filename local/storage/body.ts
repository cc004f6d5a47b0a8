import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { badRequest, StorageError } from './errors';
import { ContentHasher, type ContentDigest } from './hashing';
import { MAX_JSON_BYTES } from './limits';

// Request bodies are never held whole in memory: object data streams to a temp file
// while it is counted and hashed, and the count aborts the request as soon as it
// passes the limit (a Content-Length over the limit is refused before reading at all).

export interface SizeLimit {
  maxBytes: number;
  error: () => StorageError;
}

/** Counts and hashes what passes through; errors once more than maxBytes went by. */
export class HashingLimiter extends Transform {
  readonly hasher = new ContentHasher();

  constructor(private readonly limit: SizeLimit) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.hasher.size + chunk.length > this.limit.maxBytes) {
      callback(this.limit.error());
      return;
    }
    this.hasher.update(chunk);
    callback(null, chunk);
  }
}

export function checkDeclaredLength(headers: { 'content-length'?: string }, limit: SizeLimit): void {
  const declared = headers['content-length'];
  if (declared !== undefined && Number(declared) > limit.maxBytes) throw limit.error();
}

/**
 * Streams `source` into `path` and returns the digest of what was written. The source is
 * piped rather than handed to pipeline(), because pipeline() destroys its source on
 * error and destroying a request destroys its socket, so the client would never see the
 * 413/400 we answer with.
 */
export async function receiveToFile(
  source: Readable,
  path: string,
  limit: SizeLimit,
  append = false,
): Promise<ContentDigest> {
  const limiter = new HashingLimiter(limit);
  const onAbort = (): void => {
    if (!source.readableEnded)
      limiter.destroy(badRequest('The client closed the connection before the body was complete.'));
  };
  const onError = (error: Error): void => {
    limiter.destroy(error);
  };
  source.on('close', onAbort);
  source.on('error', onError);
  source.pipe(limiter);
  try {
    await pipeline(limiter, createWriteStream(path, { flags: append ? 'a' : 'w', mode: 0o600 }));
  } catch (error) {
    source.unpipe(limiter);
    throw error;
  } finally {
    source.off('close', onAbort);
    source.off('error', onError);
  }
  return limiter.hasher.digest();
}

export async function readJsonBody(source: Readable): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BYTES) throw badRequest('JSON request body too large.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
}
