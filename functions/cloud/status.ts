/**
 * The status document users poll: memes/<id>.json in the public bucket. Every change goes
 * through `update`, a read-modify-write with a generation precondition, so concurrent or
 * duplicate deliveries can never move a job backwards or overwrite a finished one.
 */
import { AnalyzedFace } from '../core/analyze';
import { Emotion, EmotionScores } from '../core/emotions';
import { Box } from '../core/geometry';
import { Language } from '../core/captions/library';
import { MemeStyle } from '../core/render/layout';
import { OutputFormat, RenderedCaption } from '../core/render/renderMeme';
import { ImageErrorCode } from '../core/errors';
import { Config } from './config';
import { OpenJobIndex } from './openJobs';
import { BlobStore, PreconditionFailed } from './ports';

export const STATES = ['queued', 'analyzing', 'rendering', 'done', 'failed'] as const;
export type JobState = (typeof STATES)[number];

/**
 * Why a job failed, for programs (the status's `code`): the decoder's codes for bad photos,
 * and the pipeline's own.
 */
export type FailureCode =
  | ImageErrorCode
  /** The file is over MAX_UPLOAD_BYTES (a `gsutil cp`, which no signed URL capped). */
  | 'TOO_LARGE'
  /** A render option the renderer refused (RenderOptionError). */
  | 'BAD_OPTION'
  /** The upload vanished from the inbox before the job could use it. */
  | 'UPLOAD_MISSING'
  /** Every delivery Pub/Sub makes failed or crashed; the message went to the dead-letter topic. */
  | 'RETRIES_EXHAUSTED'
  /** No photo arrived before the signed URL expired (plus a grace period). */
  | 'UPLOAD_EXPIRED'
  /** The photo's upload was cut off by a crash of the local stack and not sent again. */
  | 'UPLOAD_INTERRUPTED'
  /** The job made no progress past its deadline, even after the sweep delivered it again. */
  | 'STALLED';

export interface JobRequest {
  style: MemeStyle;
  lang: Language;
  caption?: { top?: string; bottom?: string };
}

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
  faces?: { box: Box; dominant: Emotion; confidence: number; emotions: EmotionScores }[];
  caption?: RenderedCaption;
  meme?: { width: number; height: number; contentType: string; bytes: number };
  /**
   * Deliveries begun per stage (Pub/Sub retries after an error or a crash), and the sweep's
   * redeliveries of a job that had stopped making progress.
   */
  attempts?: { analyze?: number; render?: number; sweep?: number };
  /**
   * SHA-256 (hex) of the ticket in the job's current render request. Render acts only on a
   * request carrying that ticket, so a stale, early or forged request is ignored.
   */
  ticketSha256?: string;
  /** For signed uploads: when the upload URL expires; a job still waiting after that (plus a grace period) fails UPLOAD_EXPIRED. */
  uploadExpiresAt?: string;
  /** Milliseconds per stage; `total` runs from the upload to the finished meme. */
  timings: { queuedMs?: number; analyzeMs?: number; waitMs?: number; renderMs?: number; totalMs?: number };
  /** When the status was first written (for signed uploads: when the upload URL was handed out). */
  createdAt: string;
  /** When the photo arrived in the inbox. */
  uploadedAt?: string;
  updatedAt: string;
}

const RANK: Record<JobState, number> = { queued: 0, analyzing: 1, rendering: 2, done: 3, failed: 3 };

export function isFinished(status: StatusDocument | undefined): boolean {
  return status !== undefined && RANK[status.state] === 3;
}

/** True when moving to `next` is progress (never back, never out of done/failed). */
export function canMove(current: StatusDocument | undefined, next: JobState): boolean {
  if (!current) return true;
  if (isFinished(current)) return false;
  return RANK[next] >= RANK[current.state];
}

export function statusObjectName(id: string): string {
  return `memes/${id}.json`;
}

export function memeObjectName(id: string, format: OutputFormat): string {
  return `memes/${id}.${format === 'jpeg' ? 'jpg' : format}`;
}

export function publicUrls(config: Config, id: string): { statusUrl: string; resultUrl: string } {
  return {
    statusUrl: `${config.publicBaseUrl}/${statusObjectName(id)}`,
    resultUrl: `${config.publicBaseUrl}/${memeObjectName(id, config.memeFormat)}`,
  };
}

export function facesForStatus(faces: readonly AnalyzedFace[]): NonNullable<StatusDocument['faces']> {
  const round = (value: number): number => Math.round(value * 10) / 10;
  return faces.map((face) => ({
    box: {
      x: round(face.box.x),
      y: round(face.box.y),
      width: round(face.box.width),
      height: round(face.box.height),
    },
    dominant: face.dominant,
    confidence: Math.round(face.emotions[face.dominant] * 1000) / 1000,
    emotions: Object.fromEntries(
      Object.entries(face.emotions).map(([k, v]) => [k, Math.round(v * 1000) / 1000]),
    ) as EmotionScores,
  }));
}

export const RETRIES_EXHAUSTED_MESSAGE =
  'memegen could not finish this meme after several attempts; please try again later';

/** The status of a job that has now failed, from the current one (or a fresh one when there is none). */
export function failedStatus(
  current: StatusDocument,
  code: FailureCode,
  error: string,
  now: Date,
): StatusDocument {
  return { ...current, state: 'failed', code, error, updatedAt: now.toISOString() };
}

/** Status documents must never be served stale: pollers would wait on a job long done. */
export const STATUS_CACHE_CONTROL = 'no-store, max-age=0';

/**
 * Status documents, with the index of open jobs kept beside them (openJobs.ts): a job is
 * added to the index before its first status is written and removed once its status is
 * final, so the sweep finds every job that could still be stuck without listing statuses.
 */
export class StatusStore {
  readonly openJobs: OpenJobIndex;

  constructor(
    private readonly blobs: BlobStore,
    private readonly bucket: string,
  ) {
    this.openJobs = new OpenJobIndex(blobs, bucket);
  }

  async read(id: string): Promise<StatusDocument | undefined> {
    return (await this.readWithGeneration(id)).status;
  }

  /**
   * Applies `change` to the current document and writes the result if nothing changed it
   * meanwhile; on a race, re-reads and tries again. `change` returns undefined to leave the
   * document as it is. Resolves to the document written, or undefined if none was.
   */
  async update(
    id: string,
    change: (current: StatusDocument | undefined) => StatusDocument | undefined,
  ): Promise<StatusDocument | undefined> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const { status, generation } = await this.readWithGeneration(id);
      const next = change(status);
      if (!next) return undefined;
      // Indexed before the job's first status exists: a crash in between leaves an index entry
      // without a status (which the sweep drops), never a job the sweep cannot see.
      if (!status && !isFinished(next)) await this.openJobs.add(id);
      try {
        await this.blobs.write(
          this.bucket,
          statusObjectName(id),
          Buffer.from(JSON.stringify(next, null, 1)),
          {
            contentType: 'application/json; charset=utf-8',
            cacheControl: STATUS_CACHE_CONTROL,
            ifGenerationMatch: generation ?? '0',
          },
        );
        if (isFinished(next) && !isFinished(status)) await this.openJobs.remove(id);
        return next;
      } catch (error) {
        if (!(error instanceof PreconditionFailed)) throw error;
      }
    }
    throw new Error(`status of job ${id} kept changing under 8 attempts to update it`);
  }

  private async readWithGeneration(id: string): Promise<{ status?: StatusDocument; generation?: string }> {
    const stored = await this.blobs.read(this.bucket, statusObjectName(id));
    if (!stored) return {};
    return {
      status: JSON.parse(stored.bytes.toString('utf8')) as StatusDocument,
      generation: stored.generation,
    };
  }
}
