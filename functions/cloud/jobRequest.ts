/**
 * What the uploader asked for (style, language, caption), carried as object metadata so it
 * travels with the upload itself: x-goog-meta-memegen-* headers signed into the upload URL,
 * or `gsutil -h "x-goog-meta-memegen-style:label" cp …`. Values are percent-encoded so any
 * Unicode caption survives HTTP headers.
 */
import { isLanguage } from '../core/captions/library';
import { isMemeStyle } from '../core/render/layout';
import { Config } from './config';
import { JobRequest } from './status';

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
 * Cloud Storage's limits on an object's custom metadata, in bytes of the stored (here:
 * percent-encoded) text: a value at most 4 KiB, all keys and values together at most 8 KiB.
 * A signed URL whose x-goog-meta-* headers break them would be refused by GCS at PUT time.
 */
export const GCS_METADATA_LIMITS = { valueBytes: 4096, totalBytes: 8192 } as const;

/** The first metadata limit a request breaks: which caption field, and by how many bytes. */
export function metadataOverflow(
  request: JobRequest,
): { field: string; excessBytes: number; limitBytes: number } | undefined {
  const metadata = requestMetadata(request);
  for (const [field, key] of [
    ['caption.top', META.top],
    ['caption.bottom', META.bottom],
  ] as const) {
    const bytes = Buffer.byteLength(metadata[key] ?? '', 'utf8');
    if (bytes > GCS_METADATA_LIMITS.valueBytes)
      return {
        field,
        excessBytes: bytes - GCS_METADATA_LIMITS.valueBytes,
        limitBytes: GCS_METADATA_LIMITS.valueBytes,
      };
  }
  const total = Object.entries(metadata).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8'),
    0,
  );
  if (total > GCS_METADATA_LIMITS.totalBytes)
    return {
      field: 'caption',
      excessBytes: total - GCS_METADATA_LIMITS.totalBytes,
      limitBytes: GCS_METADATA_LIMITS.totalBytes,
    };
  return undefined;
}
