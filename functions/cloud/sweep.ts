/**
 * `sweep`: gives every job a deadline, so none waits forever. Run every minute (Cloud
 * Scheduler → a topic → this function; a timer in the local stack), it reads the index of
 * open jobs (openJobs.ts) and applies, to each job past its deadline:
 *
 *   - queued, no upload in the inbox: the signed URL expired UPLOAD_GRACE_SECONDS ago and
 *     no photo came → failed UPLOAD_EXPIRED.
 *   - queued with its upload there, or analyzing/rendering with no change for
 *     JOB_STALL_SECONDS: its notification or render request was lost (or every delivery
 *     keeps dying) → the first time, the upload's notification is published again, marked
 *     as a redelivery (analyze then starts the job over), and the deadline restarts; the
 *     second time → failed STALLED, original kept for investigation.
 *   - analyzing/rendering whose upload is gone → failed STALLED.
 *
 * Every change is a status update that applies only if the job did not move meanwhile, so a
 * job finishing while the sweep looks at it is left alone. The stall deadline is longer
 * than Pub/Sub's own retries (see docs/pipeline.md), so the sweep never races a delivery.
 */
import { ConfigError, Config } from './config';
import { IncomingEvent, redeliveryNotification } from './events';
import { uploadObjectName } from './jobs';
import { Logger } from './log';
import { OpenJob } from './openJobs';
import { BlobStore, ObjectInfo, Publisher } from './ports';
import { FailureCode, StatusDocument } from './contract';
import { failedStatus, isFinished, StatusStore } from './status';

/** How long after its URL expired a job still waits for its upload (a PUT begun just in time may take a while). */
export const UPLOAD_GRACE_SECONDS = 120;
/** An index entry whose job never got a status (it crashed in between) is dropped after this. */
const ORPHAN_AFTER_SECONDS = 600;
/** Statuses read at once. */
const CONCURRENCY = 8;

export interface SweepDependencies {
  config: Config;
  blobs: BlobStore;
  publisher: Publisher;
  log: Logger;
  now?: () => Date;
}

export interface SweepReport {
  open: number;
  redelivered: number;
  failed: number;
  /** Index entries of finished or never-started jobs, removed. */
  dropped: number;
}

/** When a job still open is overdue. */
export function deadlineOf(status: StatusDocument, config: Config): Date {
  if (status.state === 'queued') {
    const expires = status.uploadExpiresAt
      ? Date.parse(status.uploadExpiresAt)
      : Date.parse(status.createdAt) + config.uploadUrlTtlSeconds * 1000;
    return new Date(expires + UPLOAD_GRACE_SECONDS * 1000);
  }
  return new Date(Date.parse(status.updatedAt) + config.jobStallSeconds * 1000);
}

export function createSweeper(deps: SweepDependencies): () => Promise<SweepReport> {
  const { config, blobs, publisher } = deps;
  const uploadsTopic = config.uploadsTopic;
  if (!uploadsTopic) throw new ConfigError('the sweep needs UPLOADS_TOPIC: where it redelivers stuck jobs');
  const now = deps.now ?? (() => new Date());
  const statuses = new StatusStore(blobs, config.publicBucket);

  /** Applies `next` only if the job is exactly as the sweep saw it. */
  const change = (seen: StatusDocument, next: StatusDocument): Promise<StatusDocument | undefined> =>
    statuses.update(seen.id, (current) =>
      current && current.state === seen.state && current.updatedAt === seen.updatedAt ? next : undefined,
    );

  const fail = async (status: StatusDocument, code: FailureCode, error: string): Promise<boolean> => {
    const written = await change(status, failedStatus(status, code, error, now()));
    if (written)
      deps.log.log('WARNING', `job failed: ${error}`, { jobId: status.id, function: 'sweep', code });
    return written !== undefined;
  };

  const redeliver = async (status: StatusDocument, upload: ObjectInfo): Promise<boolean> => {
    // Published first: should the status update then fail, the next sweep publishes again,
    // which analyze absorbs; the other way round a lost publish would end the job STALLED.
    const notification = redeliveryNotification(
      {
        bucket: config.inboxBucket,
        name: upload.name,
        generation: upload.generation,
        resource: { ...upload, bucket: config.inboxBucket, timeCreated: upload.createdAt },
      },
      'sweep',
      now(),
    );
    await publisher.publishJson(uploadsTopic, notification.payload, notification.attributes);
    const written = await change(status, {
      ...status,
      attempts: { ...status.attempts, sweep: (status.attempts?.sweep ?? 0) + 1 },
      updatedAt: now().toISOString(),
    });
    if (written)
      deps.log.log('WARNING', `job made no progress since ${status.updatedAt}: delivered again`, {
        jobId: status.id,
        function: 'sweep',
        state: status.state,
      });
    return written !== undefined;
  };

  const sweepOne = async (entry: OpenJob, report: SweepReport): Promise<void> => {
    const status = await statuses.read(entry.id);
    if (!status) {
      if (now().getTime() - entry.indexedAt.getTime() > ORPHAN_AFTER_SECONDS * 1000) {
        await statuses.openJobs.remove(entry.id);
        report.dropped++;
      }
      return;
    }
    if (isFinished(status)) {
      await statuses.openJobs.remove(entry.id);
      report.dropped++;
      return;
    }
    if (now() < deadlineOf(status, config)) return;
    const name = status.source?.object ?? uploadObjectName(status.id);
    const found = await blobs.describe(status.source?.bucket ?? config.inboxBucket, name);
    const upload =
      found && (!status.source || found.generation === status.source.generation) ? found : undefined;
    let acted: boolean;
    if (!upload)
      acted =
        status.state === 'queued'
          ? await fail(status, 'UPLOAD_EXPIRED', 'no photo arrived before the upload link expired')
          : await fail(
              status,
              'STALLED',
              'memegen lost the uploaded photo before finishing this meme; please try again',
            );
    else if ((status.attempts?.sweep ?? 0) < 1) {
      acted = await redeliver(status, upload);
      if (acted) report.redelivered++;
      return;
    } else
      acted = await fail(
        status,
        'STALLED',
        'memegen stopped making progress on this meme, even after trying again; please try again later',
      );
    if (acted) report.failed++;
  };

  let running: Promise<SweepReport> | undefined;
  const sweep = async (): Promise<SweepReport> => {
    const entries = await statuses.openJobs.list();
    const report: SweepReport = { open: entries.length, redelivered: 0, failed: 0, dropped: 0 };
    // Only entries that could be overdue: no deadline comes sooner than the shorter of the two.
    const earliest =
      Math.min(config.uploadUrlTtlSeconds + UPLOAD_GRACE_SECONDS, config.jobStallSeconds) * 1000;
    const due = entries.filter((entry) => now().getTime() - entry.indexedAt.getTime() >= earliest);
    const queue = [...due];
    const worker = async (): Promise<void> => {
      for (let entry = queue.shift(); entry; entry = queue.shift()) {
        try {
          await sweepOne(entry, report);
        } catch (error) {
          deps.log.log('ERROR', 'could not sweep a job; the next sweep tries again', {
            jobId: entry.id,
            function: 'sweep',
            error,
          });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (report.redelivered + report.failed + report.dropped > 0)
      deps.log.log('INFO', 'sweep', { function: 'sweep', ...report });
    return report;
  };
  // One sweep at a time per instance: a tick arriving while one runs shares its result.
  return () => {
    running ??= sweep().finally(() => (running = undefined));
    return running;
  };
}

/** The Cloud Function: any message on the sweep topic (Cloud Scheduler's tick) runs one sweep. */
export function createSweepHandler(deps: SweepDependencies): (event: IncomingEvent) => Promise<void> {
  const sweep = createSweeper(deps);
  return async () => {
    await sweep();
  };
}
