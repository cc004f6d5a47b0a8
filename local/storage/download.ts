import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { StorageError } from './errors';
import type { RequestContext } from './http';
import type { ObjectRecord } from './records';
import { xmlEtag } from './resources';

// Sends an object's bytes (JSON API alt=media and XML GET/HEAD alike), with the headers
// the client library reads: x-goog-hash (it validates CRC32C/MD5 of full downloads),
// x-goog-stored-content-encoding (validation only runs when it is "identity"), and
// Content-Range for the Range requests it sends for partial reads.

interface ByteRange {
  start: number;
  end: number; // inclusive
}

function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // ignored, as HTTP allows
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) {
    throw new StorageError(
      416,
      'requestedRangeNotSatisfiable',
      `Range ${header} is not satisfiable for ${size} bytes.`,
      'InvalidRange',
    );
  }
  return { start, end };
}

export function objectHeaders(o: ObjectRecord, defaultCacheControl?: string): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': o.contentType,
    ETag: xmlEtag(o),
    'Last-Modified': new Date(o.updated).toUTCString(),
    'x-goog-generation': o.generation,
    'x-goog-metageneration': o.metageneration,
    'x-goog-hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
    'x-goog-stored-content-length': String(o.size),
    'x-goog-stored-content-encoding': o.contentEncoding ?? 'identity',
    'x-goog-storage-class': o.storageClass,
  };
  const cacheControl = o.cacheControl ?? defaultCacheControl;
  if (cacheControl) headers['Cache-Control'] = cacheControl;
  if (o.contentDisposition) headers['Content-Disposition'] = o.contentDisposition;
  if (o.contentEncoding) headers['Content-Encoding'] = o.contentEncoding;
  if (o.contentLanguage) headers['Content-Language'] = o.contentLanguage;
  for (const [key, value] of Object.entries(o.metadata ?? {})) {
    // Header values must be Latin-1 without control characters; others are skipped here
    // (they remain readable through the JSON API).
    if (/^[\x20-\x7e]*$/.test(key) && /^[\x20-\x7e]*$/.test(value)) headers[`x-goog-meta-${key}`] = value;
  }
  return headers;
}

export async function sendObject(
  ctx: RequestContext,
  record: ObjectRecord,
  handle: FileHandle,
  defaultCacheControl?: string,
): Promise<void> {
  try {
    const { req, res } = ctx;
    const range = parseRange(req.headers.range, record.size);
    const headers: Record<string, string> = {
      ...objectHeaders(record, defaultCacheControl),
      'Accept-Ranges': 'bytes',
    };
    if (range) {
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${record.size}`;
      headers['Content-Length'] = String(range.end - range.start + 1);
    } else {
      headers['Content-Length'] = String(record.size);
    }
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD' || record.size === 0) {
      res.end();
      return;
    }
    const stream = handle.createReadStream({
      start: range?.start ?? 0,
      end: range?.end ?? record.size - 1,
      autoClose: false,
    });
    await pipeline(stream, res);
  } finally {
    await handle.close();
  }
}
