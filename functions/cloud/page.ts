/** The upload page's files (functions/cloud/page/), read once at start-up and served from memory. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
// Not the core index: `upload` serves the page without loading the models.
import { findUpwards } from '../core/projectFiles';

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
