/**
 * `deadLetter` (Pub/Sub push from the dead-letter topic): the Storage client, to fail the
 * job a dead-lettered message is about; no image, model or font code.
 */
import { Storage } from '@google-cloud/storage';
import { createDeadLetterHandler } from '../cloud/deadLetterHandler';
import { gcsBlobStore } from '../cloud/gcs';
import { EntryContext } from './entry';

export function create({ config, log }: EntryContext): ReturnType<typeof createDeadLetterHandler> {
  return createDeadLetterHandler({ config, blobs: gcsBlobStore(new Storage()), log });
}
