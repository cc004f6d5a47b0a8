/** The upload page's files (functions/cloud/page/), read once at start-up and served from memory. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
// Not the core index: `upload` serves the page without loading the models.
import { findUpwards } from '../core/projectFiles';

/**
 * Headers on every answer of the upload function. The Content-Security-Policy is a header,
 * not a <meta> tag, because only a header can carry frame-ancestors: no other site may
 * frame the page (clickjacking). The page loads only its own files, talks to its own
 * origin and to the storage URLs the API hands out (http: for the local stack).
 */
export const SECURITY_HEADERS = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "font-src 'self' data:",
    "img-src 'self' blob: data: http: https:",
    "connect-src 'self' http: https:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const;

export interface PageAsset {
  bytes: Buffer;
  contentType: string;
}

export interface PageAssets {
  /** The file at a URL path such as "/index.html", or undefined. */
  get(path: string): PageAsset | undefined;
}

/** The files served, by extension (infra/package-functions.ts ships exactly these). */
export const PAGE_CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export function loadPageAssets(dir: string = pageDir()): PageAssets {
  const assets = new Map<string, PageAsset>();
  for (const file of readdirSync(dir)) {
    const type = PAGE_CONTENT_TYPES[extname(file)];
    if (type) assets.set(`/${file}`, { bytes: readFileSync(join(dir, file)), contentType: type });
  }
  return { get: (path) => assets.get(path) };
}

export function pageDir(): string {
  return dirname(findUpwards(join('functions', 'cloud', 'page', 'index.html'), 'the upload page'));
}
