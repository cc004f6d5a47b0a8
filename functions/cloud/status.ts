/**
 * The status document users poll (StatusDocument in contract.ts): memes/<id>.json in the
 * public bucket. Every change goes
 * through `update`, a read-modify-write with a generation precondition, so concurrent or
 * duplicate deliveries can never move a job backwards or overwrite a finished one.
 */
import type { AnalyzedFace, EmotionScores, OutputFormat } from '../core';
import { Config } from './config';
import { FailureCode, JobState, StatusDocument, StatusFace } from './contract';
import { OpenJobIndex } from './openJobs';
import { BlobStore, PreconditionFailed } from './ports';

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

export function facesForStatus(faces: readonly AnalyzedFace[]): StatusFace[] {
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

/** The job's status once it has failed, with why. */
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
