/**
 * `upload` (HTTP): the Storage client (signing URLs, writing the first status) and the
 * page's files; no image, model or font code at all.
 */
import { Storage } from '@google-cloud/storage';
import { gcsBlobStore } from '../cloud/gcs';
import { loadPageAssets } from '../cloud/page';
import { createUploadHandler } from '../cloud/uploadHandler';
import { EntryContext } from './entry';

export function create({ config, log }: EntryContext): ReturnType<typeof createUploadHandler> {
  return createUploadHandler({ config, blobs: gcsBlobStore(new Storage()), page: loadPageAssets(), log });
}
