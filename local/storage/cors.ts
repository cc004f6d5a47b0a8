import type { IncomingMessage, ServerResponse } from 'node:http';

// The upload page is served from another origin (the functions framework's port) and
// talks to this server directly: signed PUTs and public GETs of status and meme objects.

const EXPOSED = [
  'ETag',
  'Content-Length',
  'Content-Type',
  'x-goog-generation',
  'x-goog-metageneration',
  'x-goog-hash',
];

/** Adds CORS headers to every response of a request that carries an Origin. */
export function applyCors(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (!origin) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED.join(', '));
}

/** Answers an OPTIONS preflight; returns false when the request is not one. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'OPTIONS') return false;
  const requested = req.headers['access-control-request-headers'];
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
  res.setHeader('Vary', 'Origin, Access-Control-Request-Headers');
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, PUT, POST, DELETE');
  res.setHeader('Access-Control-Allow-Headers', requested ?? 'content-type');
  res.setHeader('Access-Control-Max-Age', '3600');
  res.writeHead(200, { 'Content-Length': 0 });
  res.end();
  return true;
}
