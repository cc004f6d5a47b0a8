/**
 * What the uploader asked for (style, language, caption), carried as object metadata so it
 * travels with the upload itself: x-goog-meta-memegen-* headers signed into the upload URL,
 * or `gsutil -h "x-goog-meta-memegen-style:label" cp …`. Values are percent-encoded so any
 * Unicode caption survives HTTP headers.
 */
import { isLanguage, isMemeStyle } from '../core/vocabulary';
import { Config } from './config';
import { JobRequest, MAX_CAPTION_BYTES, MAX_METADATA_BYTES } from './contract';

export const META = {
  style: 'memegen-style',
  lang: 'memegen-lang',
  top: 'memegen-top',
  bottom: 'memegen-bottom',
} as const;

/** Metadata entries for a request (the x-goog-meta- prefix is added by whoever sends them as headers). */
export function requestMetadata(request: JobRequest): Record<string, string> {
  return {
    [META.style]: request.style,
    [META.lang]: request.lang,
    ...(request.caption?.top && { [META.top]: encodeURIComponent(request.caption.top) }),
    ...(request.caption?.bottom && { [META.bottom]: encodeURIComponent(request.caption.bottom) }),
  };
}

/** The request an upload carries; unknown or missing values fall back to the configured defaults. */
export function requestFromMetadata(
  metadata: Record<string, string>,
  config: Config,
): { request: JobRequest; warnings: string[] } {
  const warnings: string[] = [];
  const style = metadata[META.style];
  const lang = metadata[META.lang];
  if (style !== undefined && !isMemeStyle(style))
    warnings.push(`unknown style "${style}", using ${config.defaultStyle}`);
  if (lang !== undefined && !isLanguage(lang))
    warnings.push(`unknown language "${lang}", using ${config.defaultLang}`);
  const top = decode(metadata[META.top]);
  const bottom = decode(metadata[META.bottom]);
  return {
    request: {
      style: style !== undefined && isMemeStyle(style) ? style : config.defaultStyle,
      lang: lang !== undefined && isLanguage(lang) ? lang : config.defaultLang,
      ...((top || bottom) && { caption: { ...(top && { top }), ...(bottom && { bottom }) } }),
    },
    warnings,
  };
}

function decode(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a literal "%" typed into gsutil metadata
  }
}

/**
 * The first of Cloud Storage's custom metadata limits a request breaks (in bytes of the
 * stored, percent-encoded text: MAX_CAPTION_BYTES a value, MAX_METADATA_BYTES all keys and
 * values together), naming the caption field and by how many bytes. A signed URL whose
 * x-goog-meta-* headers break them would be refused by GCS at PUT time.
 */
export function metadataOverflow(
  request: JobRequest,
): { field: string; excessBytes: number; limitBytes: number } | undefined {
  const metadata = requestMetadata(request);
  for (const [field, key] of [
    ['caption.top', META.top],
    ['caption.bottom', META.bottom],
  ] as const) {
    const bytes = Buffer.byteLength(metadata[key] ?? '', 'utf8');
    if (bytes > MAX_CAPTION_BYTES)
      return {
        field,
        excessBytes: bytes - MAX_CAPTION_BYTES,
        limitBytes: MAX_CAPTION_BYTES,
      };
  }
  const total = Object.entries(metadata).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8'),
    0,
  );
  if (total > MAX_METADATA_BYTES)
    return {
      field: 'caption',
      excessBytes: total - MAX_METADATA_BYTES,
      limitBytes: MAX_METADATA_BYTES,
    };
  return undefined;
}
