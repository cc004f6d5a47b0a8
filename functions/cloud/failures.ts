/**
 * Which errors end a job and which are retried. A bad photo or a malformed message will be
 * just as bad on the next delivery: the job is marked failed, the message acknowledged and
 * the original deleted. Anything else (a storage or Pub/Sub hiccup, a crash) is thrown so
 * Pub/Sub delivers again, until the subscription's dead-letter policy takes the message.
 */
import { ImageError, RenderOptionError } from '../core/vocabulary';
import { Logger } from './log';
import { BlobStore } from './ports';
import { StatusDocument } from './contract';
import { canMove, StatusStore } from './status';

/** A failure the job cannot recover from, with a message for the person who uploaded. */
export class PermanentFailure extends Error {
  override readonly name = 'PermanentFailure';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function permanentFailureOf(error: unknown): PermanentFailure | undefined {
  if (error instanceof PermanentFailure) return error;
  if (error instanceof ImageError) return new PermanentFailure(error.code, error.message);
  if (error instanceof RenderOptionError) return new PermanentFailure(error.code, error.message);
  return undefined;
}

export type Stage = 'analyze' | 'render';

const STAGE_NAMES: Record<Stage, string> = { analyze: 'analysis', render: 'rendering' };

/**
 * What a handler does with an error from its stage: a permanent failure ends the job and
 * returns (the message is acknowledged); anything else is counted in the status and
 * thrown, so Pub/Sub delivers again.
 */
export async function failOrRetry(
  error: unknown,
  context: FailureContext,
  stage: Stage,
  maxAttempts: number,
  now: Date,
): Promise<void> {
  const failure = permanentFailureOf(error);
  if (failure) return failJob(context, failure, now);
  context.log.log('ERROR', `${STAGE_NAMES[stage]} failed; Pub/Sub will deliver again`, { error });
  await recordFailedAttempt(context.statuses, context.id, stage, maxAttempts, now, context.log);
  throw error;
}

export interface FailureContext {
  id: string;
  statuses: StatusStore;
  blobs: BlobStore;
  log: Logger;
  source: { bucket: string; object: string; generation: string };
  /** A document to start from when the job has no status yet (gsutil uploads). */
  fresh: () => StatusDocument;
}

/** Marks the job failed (unless it already finished) and deletes its original upload. */
async function failJob(context: FailureContext, failure: PermanentFailure, now: Date): Promise<void> {
  await context.statuses.update(context.id, (current) =>
    canMove(current, 'failed')
      ? {
          ...(current ?? context.fresh()),
          state: 'failed',
          error: failure.message,
          code: failure.code,
          updatedAt: now.toISOString(),
        }
      : undefined,
  );
  // Only this generation: a newer upload under the same name is another job.
  await context.blobs.delete(context.source.bucket, context.source.object, {
    ifGenerationMatch: context.source.generation,
  });
  context.log.log('WARNING', `job failed: ${failure.message}`, { code: failure.code });
}

/**
 * Counts a failed attempt at a stage in the job's status. When the count reaches the
 * subscription's delivery limit, Pub/Sub will not deliver again (the message goes to the
 * dead-letter topic), so the status says the job failed rather than leave the person
 * polling forever. The original is kept for investigation; the inbox lifecycle removes it.
 * Counting in the status works the same on GCP and on the emulator, whose pushes carry no
 * delivery attempt number. Best effort: if storage itself is failing, the count is lost.
 */
async function recordFailedAttempt(
  statuses: StatusStore,
  id: string,
  stage: Stage,
  maxAttempts: number,
  now: Date,
  log: Logger,
): Promise<void> {
  try {
    await statuses.update(id, (current) => {
      if (!current || !canMove(current, 'failed')) return undefined;
      const count = (current.attempts?.[stage] ?? 0) + 1;
      const attempts = { ...current.attempts, [stage]: count };
      const exhausted = count >= maxAttempts;
      return {
        ...current,
        attempts,
        ...(exhausted && {
          state: 'failed' as const,
          error: 'memegen could not finish this meme after several attempts; please try again later',
          code: 'RETRIES_EXHAUSTED',
        }),
        updatedAt: now.toISOString(),
      };
    });
  } catch (error) {
    log.log('WARNING', 'could not record the failed attempt in the status', { error });
  }
}
