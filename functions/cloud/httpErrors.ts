/**
 * JSON answers for the requests the functions framework refuses before a function runs.
 *
 * Why this exists: the framework parses every request body itself (body-parser, up to
 * 1 GB) and sends its errors (malformed JSON, a JSON body of `null` or `123`, a bad
 * charset) to Express's default final handler, which answers an HTML page, with the stack
 * trace unless NODE_ENV is "production". The framework offers no hook for errors, so the
 * final handler of its Express applications is replaced, once per process, by one that
 * answers `{error, code}` as every other refusal of the upload API does, and never a
 * stack. It must run before the framework builds its server (it does when the upload
 * handler is created, at registration).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { ApiErrorCode } from './contract';

interface ExpressApplication {
  handle(req: IncomingMessage, res: ServerResponse, callback?: (error?: unknown) => void): void;
}

const PATCHED = Symbol.for('memegen.jsonFinalHandler');

/** An error body-parser (or Express) passes on: http-errors carry status, type and expose. */
interface HttpError {
  status?: number;
  statusCode?: number;
  type?: string;
}

/** Requests under `pathPrefix` may carry at most `maxBytes` of body; larger ones are answered 413. */
export interface BodyLimit {
  pathPrefix: string;
  maxBytes: number;
}

const bodyLimits: BodyLimit[] = [];

/** Installs the JSON final handler (once per process) and registers a body limit for some paths. */
export function answerFrameworkErrorsAsJson(limit?: BodyLimit): void {
  if (limit && !bodyLimits.some((l) => l.pathPrefix === limit.pathPrefix)) bodyLimits.push(limit);
  // The express the framework itself uses, wherever npm placed it.
  const frameworkRequire = createRequire(require.resolve('@google-cloud/functions-framework'));
  const application = (
    frameworkRequire('express') as { application: ExpressApplication & { [PATCHED]?: true } }
  ).application;
  if (application[PATCHED]) return;
  const handle = application.handle;
  application.handle = function (this: ExpressApplication, req, res, callback) {
    const done = callback ?? jsonFinalHandler(req, res);
    // A declared length over the limit is refused before the framework reads a byte of it.
    const declared = Number(req.headers['content-length'] ?? 0);
    if (bodyLimits.some((l) => (req.url ?? '').startsWith(l.pathPrefix) && declared > l.maxBytes))
      return done(
        Object.assign(new Error('request body too large'), { status: 413, type: 'entity.too.large' }),
      );
    return handle.call(this, req, res, done);
  };
  application[PATCHED] = true;
}

/** The 413 answer for a request whose body (declared or read) is over `maxBytes`, or undefined. */
export function bodyTooLarge(
  req: IncomingMessage,
  maxBytes: number,
): { status: 413; code: 'REQUEST_TOO_LARGE'; error: string } | undefined {
  const read = (req as IncomingMessage & { rawBody?: Buffer }).rawBody?.length ?? 0;
  if (read <= maxBytes && Number(req.headers['content-length'] ?? 0) <= maxBytes) return undefined;
  return {
    status: 413,
    code: 'REQUEST_TOO_LARGE',
    error: `the request body is over ${maxBytes / 1024} KiB; an upload request is a small JSON object`,
  };
}

function jsonFinalHandler(req: IncomingMessage, res: ServerResponse): (error?: unknown) => void {
  return (error) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A body that is too large and also fails to parse (one sent without a length) is "too large".
    const limit = bodyLimits.find((l) => (req.url ?? '').startsWith(l.pathPrefix));
    const oversize = error !== undefined && limit ? bodyTooLarge(req, limit.maxBytes) : undefined;
    const { status, code, message } = oversize
      ? { status: oversize.status, code: oversize.code, message: oversize.error }
      : describe(error, req);
    const body = JSON.stringify({ error: message, code });
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // A body we stopped reading (too large) is not drained: the connection is closed after the answer.
    if (!req.complete) res.setHeader('Connection', 'close');
    res.end(req.method === 'HEAD' ? undefined : body);
    req.resume();
  };
}

function describe(
  error: unknown,
  req: IncomingMessage,
): { status: number; code: ApiErrorCode; message: string } {
  if (error === undefined)
    return { status: 404, code: 'NOT_FOUND', message: `nothing at ${req.method} ${req.url?.split('?')[0]}` };
  const { status: raw, statusCode, type } = (error ?? {}) as HttpError;
  const status = raw ?? statusCode ?? 500;
  switch (type) {
    case 'entity.parse.failed':
      return {
        status: 400,
        code: 'BAD_REQUEST',
        message: 'the request body is not a JSON object: send {contentType, size, caption?, style?, lang?}',
      };
    case 'entity.too.large':
      return { status: 413, code: 'REQUEST_TOO_LARGE', message: 'the request body is too large' };
    case undefined:
      break;
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the request body as UTF-8 JSON' };
  }
  if (status >= 400 && status < 500)
    return { status, code: 'BAD_REQUEST', message: 'the request could not be read' };
  return {
    status: 500,
    code: 'INTERNAL',
    message: 'memegen could not answer this request; please try again',
  };
}
