/**
 * Which errors end a job and which are retried. A bad photo or a malformed message will be
 * just as bad on the next delivery: the job is marked failed, the message acknowledged and
 * the original deleted. Anything else (a storage or Pub/Sub hiccup, a crash) is thrown so
 * Pub/Sub delivers again, until the subscription's dead-letter policy takes the message.
 */
import { ImageError, RenderOptionError } from '../core/vocabulary';
import { Logger } from './log';
import { BlobStore } from './ports';
import { FailureCode, StatusDocument } from './contract';
import { canMove, failedStatus, RETRIES_EXHAUSTED_MESSAGE, StatusStore } from './status';

/** A failure the job cannot recover from, with a message for the person who uploaded. */
export class PermanentFailure extends Error {
  override readonly name = 'PermanentFailure';
  constructor(
    readonly code: FailureCode,
    message: string,
  ) {
    super(message);
  }
}

function permanentFailureOf(error: unknown): PermanentFailure | undefined {
  if (error instanceof PermanentFailure) return error;
  if (error instanceof ImageError) return new PermanentFailure(error.code, error.message);
  if (error instanceof RenderOptionError) return new PermanentFailure('BAD_OPTION', error.message);
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
  // Only the last delivery's failure changes the status (see recordFailedAttempt).
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
      ? failedStatus(current ?? context.fresh(), failure.code, failure.message, now)
      : undefined,
  );
  // Only this generation: a newer upload under the same name is another job.
  await context.blobs.delete(context.source.bucket, context.source.object, {
    ifGenerationMatch: context.source.generation,
  });
  context.log.log('WARNING', `job failed: ${failure.message}`, { code: failure.code });
}

/**
 * After a failed delivery: each stage counts the deliveries it begins in the job's status
 * (attempts.analyze / attempts.render). When this failed one was the subscription's last
 * (the count reached its delivery limit), Pub/Sub will not deliver again (the message goes
 * to the dead-letter topic), so the status says the job failed rather than leave the
 * person polling until the dead-letter handler gets to it. The original is kept for
 * investigation; the inbox lifecycle removes it. Counting in the status works the same on
 * GCP and on the emulator, whose pushes carry no delivery attempt number. Best effort: if
 * storage itself is failing, this is lost and the dead-letter handler or the sweep decides.
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
      if ((current.attempts?.[stage] ?? 0) < maxAttempts) return undefined;
      return failedStatus(current, 'RETRIES_EXHAUSTED', RETRIES_EXHAUSTED_MESSAGE, now);
    });
  } catch (error) {
    log.log('WARNING', 'could not record the failed attempt in the status', { error });
  }
}
