/**
 * `upload` (HTTP): the upload page, and signed upload URLs for it.
 *
 *   POST /api/uploads UploadRequest → 201 UploadTicket (or an ApiError; see contract.ts)
 *   GET  /api/config → PageConfig, the limits the page checks before uploading
 *   GET  /           → the upload page (and its script and style sheet)
 *
 * The signed URL allows one PUT of an image of the declared type, at most maxUploadBytes
 * (x-goog-content-length-range), to uploads/<random id> in the inbox, and only while nothing
 * is there (x-goog-if-generation-match: 0, so a second PUT is refused); the choices travel
 * as signed x-goog-meta-* headers. The status document is written at once ("queued"), so
 * the status URL answers from the start.
 *
 * Every answer of the API is JSON, errors included (ApiError): malformed bodies too
 * (httpErrors.ts), and bodies over MAX_BODY_BYTES are refused with 413.
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
  MAX_CAPTION_BYTES,
  MAX_CAPTION_CHARACTERS,
  MEME_STYLES,
  PageConfig,
  UploadTicket,
} from './contract';
import { answerFrameworkErrorsAsJson, bodyTooLarge } from './httpErrors';
import { newJobId, uploadObjectName } from './jobs';
import { metadataOverflow, requestMetadata } from './jobRequest';
import { Logger } from './log';
import { PageAssets, SECURITY_HEADERS } from './page';
import { BlobStore } from './ports';
import { publicUrls, StatusStore } from './status';

/**
 * Picture formats people try that memegen does not read, each with what to do instead: the
 * decoder refuses them too (UNSUPPORTED_FORMAT, functions/core/formats.ts), whatever type
 * they are uploaded as.
 */
const UNSUPPORTED_PICTURES: Record<string, string> = {
  'image/heic':
    'HEIC photos (the iPhone\'s "High Efficiency" format) are not supported: share the photo as JPEG, or set Settings › Camera › Formats to "Most Compatible"',
  'image/heif': 'HEIF pictures are not supported: convert the photo to JPEG or PNG first',
  'image/svg+xml':
    'SVG drawings are not supported: memegen makes memes of photos (JPEG, PNG, WebP, GIF or AVIF)',
};
/** The API's requests are a few hundred bytes; anything near this is not one. */
export const MAX_BODY_BYTES = 16 * 1024;

export interface UploadDependencies {
  config: Config;
  blobs: BlobStore;
  page: PageAssets;
  log: Logger;
  now?: () => Date;
  /** Why no upload can be accepted right now (the pipeline behind is down), or undefined. */
  unavailable?: () => string | undefined;
}

class BadRequest extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    /** More fields for programs, e.g. which caption text is too long (ApiError). */
    readonly details: Partial<ApiError> = {},
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
  answerFrameworkErrorsAsJson({ pathPrefix: '/api/', maxBytes: MAX_BODY_BYTES });

  const createUpload = async (req: Request): Promise<UploadTicket> => {
    const tooLarge = bodyTooLarge(req, MAX_BODY_BYTES);
    if (tooLarge) throw new BadRequest(tooLarge.status, tooLarge.code, tooLarge.error);
    const { contentType, size, request } = parseUploadRequest(req.body, config);
    const down = deps.unavailable?.();
    if (down) throw new BadRequest(503, 'UNAVAILABLE', down);
    const id = newJobId();
    const issued = now();
    const expiresAt = new Date(issued.getTime() + config.uploadUrlTtlSeconds * 1000);
    const headers: Record<string, string> = {
      'x-goog-content-length-range': `1,${config.maxUploadBytes}`,
      // Create-only: the URL cannot replace or re-create the upload once it is there.
      'x-goog-if-generation-match': '0',
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
      uploadExpiresAt: expiresAt.toISOString(),
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
    res.set(SECURITY_HEADERS);
    try {
      if (req.method === 'POST' && req.path === '/api/uploads') {
        const ticket: UploadTicket = await createUpload(req);
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
          maxCaptionCharacters: MAX_CAPTION_CHARACTERS,
          maxCaptionBytes: MAX_CAPTION_BYTES,
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
        if (error.status === 503) res.set('Retry-After', '5');
        res
          .set('Cache-Control', 'no-store')
          .status(error.status)
          .json({ ...apiError(error.code, error.message), ...error.details });
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
  if (contentType === undefined || contentType === null || contentType === '')
    throw new BadRequest(
      400,
      'BAD_REQUEST',
      'contentType is missing: send {contentType, size, caption?, style?, lang?}',
    );
  const unsupported =
    typeof contentType === 'string' ? UNSUPPORTED_PICTURES[contentType.toLowerCase()] : undefined;
  if (unsupported) throw new BadRequest(415, 'UNSUPPORTED_FORMAT', unsupported);
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
    // Characters as people count them (code points), not UTF-16 units: an emoji is one.
    if (typeof value !== 'string' || [...value].length > MAX_CAPTION_CHARACTERS)
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
  const request: JobRequest = {
    style: style ?? config.defaultStyle,
    lang: lang ?? config.defaultLang,
    ...((top || bottom) && { caption: { ...(top && { top }), ...(bottom && { bottom }) } }),
  };
  // Checked before anything is signed: GCS would refuse the PUT, after the photo was sent.
  const overflow = metadataOverflow(request);
  if (overflow) {
    const { field, excessBytes, limitBytes } = overflow;
    throw new BadRequest(
      400,
      'CAPTION_TOO_LONG',
      `${field === 'caption' ? 'the caption (top and bottom together)' : field} is ${excessBytes.toLocaleString('en')} bytes too long: ` +
        `Cloud Storage keeps at most ${limitBytes.toLocaleString('en')} bytes of it, percent-encoded ` +
        '(a plain letter takes 1 byte, an accented letter 6, a Chinese character 9, an emoji 12)',
      { field, excessBytes, limitBytes },
    );
  }
  return { contentType: contentType.toLowerCase(), size, request };
}
