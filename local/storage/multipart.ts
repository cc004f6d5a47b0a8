import { Readable } from 'node:stream';
import { badRequest } from './errors';
import type { ContentDigest } from './hashing';
import { receiveToFile, type SizeLimit } from './body';

// uploadType=multipart bodies are multipart/related with exactly two parts: the object
// resource as JSON, then the object's bytes. The JSON part and the part headers are
// small and read into memory; the data part streams to disk, holding back only enough
// trailing bytes to find the closing delimiter.

const MAX_HEAD_BYTES = 1024 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

export interface MultipartUpload {
  metadata: unknown;
  /** Content-Type of the data part, used when the JSON part names none */
  dataContentType?: string;
  digest: ContentDigest;
}

export function multipartBoundary(contentType: string | undefined): string {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw badRequest('Multipart upload needs a multipart/related Content-Type with a boundary.');
  return boundary;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

interface Head {
  metadata: unknown;
  dataHeaders: Record<string, string>;
  /** bytes already read that belong to the data part */
  rest: Buffer;
}

/** Locates the JSON part and the data part's headers at the start of the body. */
function parseHead(buffer: Buffer, boundary: string): Head | undefined {
  const opening = Buffer.from(`--${boundary}`);
  const between = Buffer.from(`\r\n--${boundary}`);
  const start = buffer.indexOf(opening);
  if (start < 0) return undefined;
  const jsonHeadersEnd = buffer.indexOf(CRLF2, start);
  if (jsonHeadersEnd < 0) return undefined;
  const jsonEnd = buffer.indexOf(between, jsonHeadersEnd + 4);
  if (jsonEnd < 0) return undefined;
  const dataHeadersStart = jsonEnd + between.length;
  const dataHeadersEnd = buffer.indexOf(CRLF2, dataHeadersStart);
  if (dataHeadersEnd < 0) return undefined;
  let metadata: unknown;
  try {
    metadata = JSON.parse(buffer.subarray(jsonHeadersEnd + 4, jsonEnd).toString('utf8') || '{}');
  } catch {
    throw badRequest('The first part of a multipart upload must be the object metadata as JSON.');
  }
  const dataHeaders = parseHeaders(buffer.subarray(dataHeadersStart, dataHeadersEnd).toString('utf8'));
  return { metadata, dataHeaders, rest: buffer.subarray(dataHeadersEnd + 4) };
}

export async function receiveMultipart(
  source: Readable,
  boundary: string,
  dataPath: string,
  limit: SizeLimit,
): Promise<MultipartUpload> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let buffered = Buffer.alloc(0);
  let head: Head | undefined;
  while (!head) {
    const next = await iterator.next();
    if (next.done) throw badRequest('Truncated multipart upload body.');
    buffered = Buffer.concat([buffered, next.value]);
    head = parseHead(buffered, boundary);
    if (!head && buffered.length > MAX_HEAD_BYTES) throw badRequest('Multipart metadata part too large.');
  }

  const closing = Buffer.from(`\r\n--${boundary}`);
  const holdBack = closing.length + 64; // room for "--" and a short epilogue
  const first = head.rest;
  async function* dataPart(): AsyncGenerator<Buffer> {
    let tail = first;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      tail = Buffer.concat([tail, next.value]);
      if (tail.length > holdBack) {
        yield tail.subarray(0, tail.length - holdBack);
        tail = tail.subarray(tail.length - holdBack);
      }
    }
    const end = tail.lastIndexOf(closing);
    if (end < 0) throw badRequest('Multipart upload body has no closing boundary.');
    if (end > 0) yield tail.subarray(0, end);
  }
  const digest = await receiveToFile(Readable.from(dataPart()), dataPath, limit);
  return { metadata: head.metadata, dataContentType: head.dataHeaders['content-type'], digest };
}
