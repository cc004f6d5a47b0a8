/**
 * The wire contract: every JSON document memegen's parts exchange with browsers, scripts and
 * each other, declared once.
 *
 *   GET  /api/config                          → 200 PageConfig
 *   POST /api/uploads  UploadRequest          → 201 UploadTicket, or 4xx/5xx ApiError
 *   GET  <public base URL>/memes/<id>.json    → StatusDocument
 *
 * The handlers write these types, the tests of the local stack read them, and the upload page
 * (page/app.js) takes them through JSDoc `import('../contract')` types, type-checked by
 * page/tsconfig.json. So this file imports nothing but core's dependency-free vocabulary: the
 * page's browser type-check (no Node types) reads it, and loading it costs `upload` nothing.
 */
import type { CaptionKind, Emotion, EmotionScores, Language, MemeStyle } from '../core/vocabulary';

/** The style and language lists a request may choose from. */
export { LANGUAGES, MEME_STYLES } from '../core/vocabulary';
export type { CaptionKind, Emotion, EmotionScores, Language, MemeStyle } from '../core/vocabulary';

/** What browsers send for the formats the decoder reads. */
export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'] as const;
export type AcceptedType = (typeof ACCEPTED_TYPES)[number];

/** The longest caption text (top or bottom) an upload request may carry, in characters (code points). */
export const MAX_CAPTION_CHARACTERS = 500;

/**
 * The most bytes one caption text (top or bottom) may take once percent-encoded: Cloud
 * Storage's limit on a custom metadata value, which carries it (a plain letter takes 1
 * byte, an accented letter 6, a Chinese character 9, an emoji 12). Top and bottom together,
 * with the style and language, may take at most MAX_METADATA_BYTES.
 */
export const MAX_CAPTION_BYTES = 4096;
export const MAX_METADATA_BYTES = 8192;

/** Top and/or bottom text of the user's own caption. */
export interface CaptionText {
  top?: string;
  bottom?: string;
}

/** POST /api/uploads: the photo about to be uploaded and what the uploader chose. */
export interface UploadRequest {
  /** One of PageConfig.acceptedTypes (checked case-insensitively). */
  contentType: string;
  /** The file's size in bytes, at most PageConfig.maxBytes. */
  size: number;
  caption?: CaptionText;
  style?: MemeStyle;
  lang?: Language;
}

/** POST /api/uploads → 201: where to PUT the photo, and where its meme will appear. */
export interface UploadTicket {
  id: string;
  /** A V4 signed URL that accepts exactly one PUT of the photo with `uploadHeaders`. */
  uploadUrl: string;
  uploadMethod: 'PUT';
  /** Headers signed into the URL: send them all, unchanged. */
  uploadHeaders: Record<string, string>;
  statusUrl: string;
  resultUrl: string;
  /** When the upload URL stops working (ISO 8601). */
  expiresAt: string;
  maxBytes: number;
}

/** GET /api/config: the limits and choices the page offers and checks before uploading. */
export interface PageConfig {
  maxBytes: number;
  acceptedTypes: readonly AcceptedType[];
  styles: readonly MemeStyle[];
  languages: readonly Language[];
  defaultStyle: MemeStyle;
  defaultLang: Language;
  /** MAX_CAPTION_CHARACTERS and MAX_CAPTION_BYTES. */
  maxCaptionCharacters: number;
  maxCaptionBytes: number;
}

export type ApiErrorCode =
  | 'BAD_REQUEST'
  /** Not a picture type memegen takes (415). */
  | 'UNSUPPORTED_TYPE'
  /** A picture format memegen deliberately does not read: HEIC, HEIF, SVG (415). */
  | 'UNSUPPORTED_FORMAT'
  /** The declared file size is over maxBytes (413). */
  | 'TOO_LARGE'
  /** The request body itself is over 16 KiB (413). */
  | 'REQUEST_TOO_LARGE'
  /** A caption over MAX_CAPTION_BYTES, or both over MAX_METADATA_BYTES, percent-encoded (400). */
  | 'CAPTION_TOO_LONG'
  /** A body in another charset than UTF-8 (415). */
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_FOUND'
  /** The pipeline behind the API is down for now (503, with Retry-After). */
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** The body of every API error: a sentence for people, a stable code for programs. */
export interface ApiError {
  error: string;
  code: ApiErrorCode;
  /** For CAPTION_TOO_LONG: which text ("caption.top", "caption.bottom", or "caption" for both), by how much, and the limit. */
  field?: string;
  excessBytes?: number;
  limitBytes?: number;
}

export const JOB_STATES = ['queued', 'analyzing', 'rendering', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Why a job failed, for programs (the status document's `code`). */
export type FailureCode =
  /** Bad photos (the decoder's ImageError codes). */
  | 'EMPTY_INPUT'
  | 'NOT_AN_IMAGE'
  /** A picture in a format memegen deliberately does not read: HEIC, SVG. */
  | 'UNSUPPORTED_FORMAT'
  | 'TRUNCATED_IMAGE'
  | 'TOO_MANY_PIXELS'
  | 'CORRUPT_IMAGE'
  /** The file is over MAX_UPLOAD_BYTES (a `gsutil cp`, which no signed URL capped). */
  | 'TOO_LARGE'
  /** A render option the renderer refused. */
  | 'BAD_OPTION'
  /** The upload vanished from the inbox before the job could use it. */
  | 'UPLOAD_MISSING'
  /** Every delivery Pub/Sub made failed, crashed or timed out (the message was dead-lettered). */
  | 'RETRIES_EXHAUSTED'
  /** No photo arrived before the signed URL expired (plus a grace period). */
  | 'UPLOAD_EXPIRED'
  /** The upload was cut off by a crash of the local stack and not sent again within 30 s. */
  | 'UPLOAD_INTERRUPTED'
  /** The job made no progress past its deadline, even after the sweep delivered it again. */
  | 'STALLED';

/** What the uploader asked for, with the defaults filled in. */
export interface JobRequest {
  style: MemeStyle;
  lang: Language;
  caption?: CaptionText;
}

/** A face as the status document reports it: box in photo pixels, scores rounded to 0.001. */
export interface StatusFace {
  box: { x: number; y: number; width: number; height: number };
  dominant: Emotion;
  /** The dominant expression's probability. */
  confidence: number;
  emotions: EmotionScores;
}

/** The caption written on the meme (before upper-casing). */
export interface StatusCaption extends CaptionText {
  source: 'user' | 'library';
  /** For library captions: which part of the library it came from. */
  kind?: CaptionKind;
}

/** memes/<id>.json in the public bucket: the job's progress and, once done, its meme. */
export interface StatusDocument {
  id: string;
  state: JobState;
  /** Why the job failed, for people, and as a stable code for programs. */
  error?: string;
  code?: FailureCode;
  request: JobRequest;
  statusUrl: string;
  /** Where the meme is (or will be, for jobs not done yet). */
  resultUrl: string;
  source?: { bucket: string; object: string; generation: string };
  faces?: StatusFace[];
  caption?: StatusCaption;
  meme?: { width: number; height: number; contentType: string; bytes: number };
  /**
   * Deliveries begun per stage (Pub/Sub delivers again after an error, a crash or a
   * timeout), and the sweep's redeliveries of a job that had stopped making progress.
   */
  attempts?: { analyze?: number; render?: number; sweep?: number };
  /**
   * SHA-256 (hex) of the ticket in the job's current render request. Render acts only on a
   * request carrying that ticket, so a stale, early or forged request is ignored.
   */
  ticketSha256?: string;
  /** For signed uploads: when the upload URL expires; still queued UPLOAD_GRACE_SECONDS after that, the job fails UPLOAD_EXPIRED. */
  uploadExpiresAt?: string;
  /** Milliseconds per stage; `total` runs from the upload to the finished meme. */
  timings: { queuedMs?: number; analyzeMs?: number; waitMs?: number; renderMs?: number; totalMs?: number };
  /** When the status was first written (for signed uploads: when the upload URL was handed out). */
  createdAt: string;
  /** When the photo arrived in the inbox. */
  uploadedAt?: string;
  updatedAt: string;
}
