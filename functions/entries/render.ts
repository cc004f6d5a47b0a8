/**
 * `render` (Pub/Sub push of analyze's render requests): the Storage client, the canvas,
 * sharp and the fonts; not onnxruntime (the request carries the analysis).
 */
import { Storage } from '@google-cloud/storage';
import { gcsBlobStore } from '../cloud/gcs';
import { createRenderHandler } from '../cloud/renderHandler';
import { EntryContext } from './entry';

export function create({ config, log }: EntryContext): ReturnType<typeof createRenderHandler> {
  return createRenderHandler({ config, blobs: gcsBlobStore(new Storage()), log });
}
