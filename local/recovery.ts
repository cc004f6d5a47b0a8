/**
 * What the local stack does after a crash or an emulator death, so that no job stays
 * stranded: every message the old Pub/Sub held died with it, and the jobs in flight with
 * them.
 *
 *   - redeliverInbox: every upload still in the inbox gets its notification again, marked as
 *     a redelivery, so analyze starts each unfinished job over (finished ones are
 *     acknowledged, and a finished job's leftover original deleted). Run at start and after
 *     the emulator is restarted.
 *   - settleInterruptedUploads: a signed upload that a crash cut off left its job waiting.
 *     Its URL still works after the restart, so the uploader has INTERRUPTED_GRACE_MS to send
 *     it again; after that the job fails UPLOAD_INTERRUPTED instead of waiting for the
 *     URL to expire.
 */
import type { Storage } from '@google-cloud/storage';
import { redeliveryNotification } from '../functions/cloud/events';
import { isJobId, UPLOAD_PREFIX } from '../functions/cloud/jobs';
import { BlobStore } from '../functions/cloud/ports';
import { failedStatus, StatusStore } from '../functions/cloud/status';
import type { LocalPubSub } from './pubsub';
import type { StorageServer } from './storage';

export const INTERRUPTED_GRACE_MS = 30_000;

export interface RedeliveryDeps {
  storage: Storage;
  inboxBucket: string;
  uploadsTopic: string;
  pubsub: LocalPubSub;
  log: (line: string) => void;
}

/** Publishes a redelivery for every object in the inbox; resolves to how many. */
export async function redeliverInbox(deps: RedeliveryDeps, reason: string): Promise<number> {
  const [files] = await deps.storage.bucket(deps.inboxBucket).getFiles();
  for (const file of files) {
    const resource = file.metadata as Record<string, unknown>;
    const notification = redeliveryNotification(
      { bucket: deps.inboxBucket, name: file.name, generation: String(resource.generation), resource },
      reason,
    );
    await deps.pubsub.publish(deps.uploadsTopic, {
      data: Buffer.from(JSON.stringify(notification.payload)),
      attributes: notification.attributes,
    });
  }
  if (files.length > 0)
    deps.log(`redelivered ${files.length} upload(s) left in the inbox (${reason}): their jobs start over`);
  return files.length;
}

export interface InterruptedDeps {
  server: StorageServer;
  inboxBucket: string;
  blobs: BlobStore;
  statuses: StatusStore;
  log: (line: string) => void;
  graceMs?: number;
}

/** Schedules the settling of the uploads the last run left unfinished; returns a function that cancels it. */
export function settleInterruptedUploads(deps: InterruptedDeps): () => void {
  const interrupted = deps.server
    .interruptedUploads()
    .filter((upload) => upload.bucket === deps.inboxBucket && upload.name.startsWith(UPLOAD_PREFIX));
  if (interrupted.length === 0) return () => undefined;
  const graceMs = deps.graceMs ?? INTERRUPTED_GRACE_MS;
  deps.log(
    `${interrupted.length} upload(s) were cut off when the stack stopped; their uploaders have ${graceMs / 1000} s to send them again`,
  );
  const timer = setTimeout(() => {
    void (async () => {
      for (const { bucket, name } of interrupted) {
        try {
          const id = name.slice(UPLOAD_PREFIX.length);
          const present = await deps.blobs.describe(bucket, name);
          if (!present && isJobId(id))
            await deps.statuses.update(id, (current) =>
              current && current.state === 'queued'
                ? failedStatus(
                    current,
                    'UPLOAD_INTERRUPTED',
                    `the photo's upload was cut off when memegen stopped, and it was not sent again within ${graceMs / 1000} s of the restart; please upload it again`,
                    new Date(),
                  )
                : undefined,
            );
          await deps.server.forgetInterruptedUpload(bucket, name);
        } catch (error) {
          deps.log(
            `could not settle the interrupted upload ${name}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    })();
  }, graceMs);
  timer.unref();
  return () => clearTimeout(timer);
}
