/**
 * `upload` (HTTP): the upload page, and signed upload URLs for it.
 *
 *   POST /api/uploads UploadRequest → 201 UploadTicket (or an ApiError; see contract.ts)
 *   GET  /api/config → PageConfig, the limits the page checks before uploading
 *   GET  /           → the upload page (and its script and style sheet)
 *
 * The signed URL allows one PUT of an image of the declared type, at most maxUploadBytes
 * (x-goog-content-length-range), to uploads/<random id> in the inbox; the choices travel
 * as signed x-goog-meta-* headers. The status document is written at once ("queued"), so
 * the status URL answers from the start.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
// The vocabulary alone, not the core index: `upload` must not load the models.
import { isLanguage, isMemeStyle } from '../core/vocabulary';
import { Config } from './config';
import {
  ACCEPTED_TYPES,
  ApiError,
  ApiErrorCode,
  JobRequest,
  LANGUAGES,
  MAX_CAPTION_CHARACTERS,
  MEME_STYLES,
  PageConfig,
  UploadTicket,
} from './contract';
import { newJobId, uploadObjectName } from './jobs';
import { requestMetadata } from './jobRequest';
import { Logger } from './log';
import { PageAssets } from './page';
import { BlobStore } from './ports';
import { publicUrls, StatusStore } from './status';

export interface UploadDependencies {
  config: Config;
  blobs: BlobStore;
  page: PageAssets;
  log: Logger;
  now?: () => Date;
}

class BadRequest extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function createUploadHandler(
  deps: UploadDependencies,
): (req: Request, res: Response) => Promise<void> {
  const { config, blobs } = deps;
  const now = deps.now ?? (() => new Date());
  const statuses = new StatusStore(blobs, config.publicBucket);

  const createUpload = async (body: unknown): Promise<UploadTicket> => {
    const { contentType, size, request } = parseUploadRequest(body, config);
    const id = newJobId();
    const issued = now();
    const expiresAt = new Date(issued.getTime() + config.uploadUrlTtlSeconds * 1000);
    const headers: Record<string, string> = {
      'x-goog-content-length-range': `1,${config.maxUploadBytes}`,
      ...Object.fromEntries(
        Object.entries(requestMetadata(request)).map(([key, value]) => [`x-goog-meta-${key}`, value]),
      ),
    };
    const urls = publicUrls(config, id);
    await statuses.update(id, () => ({
      id,
      state: 'queued',
      request,
      ...urls,
      timings: {},
      createdAt: issued.toISOString(),
      updatedAt: issued.toISOString(),
    }));
    const uploadUrl = await blobs.signedUploadUrl({
      bucket: config.inboxBucket,
      name: uploadObjectName(id),
      contentType,
      expiresAt,
      headers,
    });
    deps.log.log('INFO', 'upload URL issued', { jobId: id, contentType, size });
    return {
      id,
      uploadUrl,
      uploadMethod: 'PUT',
      uploadHeaders: { 'Content-Type': contentType, ...headers },
      ...urls,
      expiresAt: expiresAt.toISOString(),
      maxBytes: config.maxUploadBytes,
    };
  };

  return async (req, res) => {
    res.set('X-Content-Type-Options', 'nosniff');
    try {
      if (req.method === 'POST' && req.path === '/api/uploads') {
        const ticket: UploadTicket = await createUpload(req.body);
        res.set('Cache-Control', 'no-store').status(201).json(ticket);
        return;
      }
      if (req.method === 'GET' && req.path === '/api/config') {
        const pageConfig: PageConfig = {
          maxBytes: config.maxUploadBytes,
          acceptedTypes: ACCEPTED_TYPES,
          styles: MEME_STYLES,
          languages: LANGUAGES,
          defaultStyle: config.defaultStyle,
          defaultLang: config.defaultLang,
        };
        res.set('Cache-Control', 'no-store').json(pageConfig);
        return;
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        const asset = deps.page.get(req.path === '/' ? '/index.html' : req.path);
        if (asset) {
          res.set('Content-Type', asset.contentType).set('Cache-Control', 'no-cache').send(asset.bytes);
          return;
        }
      }
      res.status(404).json(apiError('NOT_FOUND', `nothing at ${req.method} ${req.path}`));
    } catch (error) {
      if (error instanceof BadRequest) {
        res.status(error.status).json(apiError(error.code, error.message));
        return;
      }
      deps.log.log('ERROR', 'upload request failed', { error });
      res.status(500).json(apiError('INTERNAL', 'memegen could not prepare the upload; please try again'));
    }
  };
}

function apiError(code: ApiErrorCode, error: string): ApiError {
  return { error, code };
}

export function parseUploadRequest(
  body: unknown,
  config: Config,
): { contentType: string; size: number; request: JobRequest } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new BadRequest(
      400,
      'BAD_REQUEST',
      'send a JSON object: {contentType, size, caption?, style?, lang?}',
    );
  // Each field is checked below before the request is built from it.
  const { contentType, size, caption, style, lang } = body as Record<string, unknown>;
  if (
    typeof contentType !== 'string' ||
    !(ACCEPTED_TYPES as readonly string[]).includes(contentType.toLowerCase())
  ) {
    throw new BadRequest(
      415,
      'UNSUPPORTED_TYPE',
      `only pictures can be uploaded (${ACCEPTED_TYPES.join(', ')}), not ${String(contentType)}`,
    );
  }
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1)
    throw new BadRequest(400, 'BAD_REQUEST', 'size must be the file size in bytes');
  if (size > config.maxUploadBytes) {
    throw new BadRequest(
      413,
      'TOO_LARGE',
      `the file is ${(size / 1048576).toFixed(1)} MB; the limit is ${(config.maxUploadBytes / 1048576).toFixed(0)} MB`,
    );
  }
  if (style !== undefined && (typeof style !== 'string' || !isMemeStyle(style)))
    throw new BadRequest(400, 'BAD_REQUEST', `style must be one of ${MEME_STYLES.join(', ')}`);
  if (lang !== undefined && (typeof lang !== 'string' || !isLanguage(lang)))
    throw new BadRequest(400, 'BAD_REQUEST', `lang must be one of ${LANGUAGES.join(', ')}`);
  const text = (value: unknown, name: string): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' || value.length > MAX_CAPTION_CHARACTERS)
      throw new BadRequest(
        400,
        'BAD_REQUEST',
        `caption.${name} must be text of at most ${MAX_CAPTION_CHARACTERS} characters`,
      );
    return value.trim() === '' ? undefined : value;
  };
  let top: string | undefined;
  let bottom: string | undefined;
  if (caption !== undefined && caption !== null) {
    if (typeof caption !== 'object' || Array.isArray(caption))
      throw new BadRequest(400, 'BAD_REQUEST', 'caption must be {top?, bottom?}');
    top = text((caption as Record<string, unknown>).top, 'top');
    bottom = text((caption as Record<string, unknown>).bottom, 'bottom');
  }
  return {
    contentType: contentType.toLowerCase(),
    size,
    request: {
      style: style ?? config.defaultStyle,
      lang: lang ?? config.defaultLang,
      ...((top || bottom) && { caption: { ...(top && { top }), ...(bottom && { bottom }) } }),
    },
  };
}
