import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonErrorBody, StorageError, xmlErrorBody } from './errors';

// Small response helpers shared by the JSON and XML APIs.

export type ErrorStyle = 'json' | 'xml';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** path exactly as received (still percent-encoded) */
  rawPath: string;
  /** raw query string without '?' */
  rawQuery: string;
  query: URLSearchParams;
  /** the server's own URL, used in selfLink/mediaLink/Location */
  baseUrl: string;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': 0 });
  res.end();
}

/**
 * Answers with an error. If the request body was not read (e.g. a refused upload), the
 * connection is closed after the answer instead of reading megabytes we will discard.
 */
export function sendError(ctx: RequestContext, error: StorageError, style: ErrorStyle): void {
  const { req, res } = ctx;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = style === 'json' ? jsonErrorBody(error) : xmlErrorBody(error);
  const headers: Record<string, string | number> = {
    'Content-Type': style === 'json' ? 'application/json; charset=UTF-8' : 'application/xml; charset=UTF-8',
    'Content-Length': Buffer.byteLength(body),
  };
  if (!req.complete) headers.Connection = 'close';
  res.writeHead(error.status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}
