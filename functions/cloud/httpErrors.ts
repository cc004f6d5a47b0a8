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

export function answerFrameworkErrorsAsJson(): void {
  // The express the framework itself uses, wherever npm placed it.
  const frameworkRequire = createRequire(require.resolve('@google-cloud/functions-framework'));
  const application = (
    frameworkRequire('express') as { application: ExpressApplication & { [PATCHED]?: true } }
  ).application;
  if (application[PATCHED]) return;
  const handle = application.handle;
  application.handle = function (this: ExpressApplication, req, res, callback) {
    return handle.call(this, req, res, callback ?? jsonFinalHandler(req, res));
  };
  application[PATCHED] = true;
}

function jsonFinalHandler(req: IncomingMessage, res: ServerResponse): (error?: unknown) => void {
  return (error) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { status, code, message } = describe(error, req);
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

function describe(error: unknown, req: IncomingMessage): { status: number; code: string; message: string } {
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
