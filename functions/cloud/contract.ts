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

/** The longest caption text (top or bottom) an upload request may carry, in UTF-16 units. */
export const MAX_CAPTION_CHARACTERS = 500;

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
}

export type ApiErrorCode = 'BAD_REQUEST' | 'UNSUPPORTED_TYPE' | 'TOO_LARGE' | 'NOT_FOUND' | 'INTERNAL';

/** The body of every API error: a sentence for people, a stable code for programs. */
export interface ApiError {
  error: string;
  code: ApiErrorCode;
}

export const JOB_STATES = ['queued', 'analyzing', 'rendering', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

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
  code?: string;
  request: JobRequest;
  statusUrl: string;
  /** Where the meme is (or will be, for jobs not done yet). */
  resultUrl: string;
  source?: { bucket: string; object: string; generation: string };
  faces?: StatusFace[];
  caption?: StatusCaption;
  meme?: { width: number; height: number; contentType: string; bytes: number };
  /** Failed attempts per stage so far (transient errors that Pub/Sub retries). */
  attempts?: { analyze?: number; render?: number };
  /** Milliseconds per stage; `total` runs from the upload to the finished meme. */
  timings: { queuedMs?: number; analyzeMs?: number; waitMs?: number; renderMs?: number; totalMs?: number };
  /** When the status was first written (for signed uploads: when the upload URL was handed out). */
  createdAt: string;
  /** When the photo arrived in the inbox. */
  uploadedAt?: string;
  updatedAt: string;
}
