/**
 * `sweep` (Pub/Sub push of Cloud Scheduler's ticks): the Storage client, to read the index
 * of open jobs and their statuses, and the Pub/Sub client, to redeliver stalled uploads; no
 * image, model or font code. Built on the first tick, so a missing UPLOADS_TOPIC (only the
 * sweep needs it) fails that tick with a message, not every function's start-up.
 */
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { gcsBlobStore, pubsubPublisher } from '../cloud/gcs';
import { createSweepHandler } from '../cloud/sweep';
import { EntryContext } from './entry';

export function create({ config, log }: EntryContext): ReturnType<typeof createSweepHandler> {
  return createSweepHandler({
    config,
    blobs: gcsBlobStore(new Storage()),
    publisher: pubsubPublisher(new PubSub()),
    log,
  });
}
