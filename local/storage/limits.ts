import { StorageError } from './errors';

/** Largest object any upload path accepts; matches what the project's pipeline expects. */
export const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

export const tooLarge = (limit: number): StorageError =>
  new StorageError(
    413,
    'uploadTooLarge',
    `Upload exceeds the local server's limit of ${limit} bytes.`,
    'EntityTooLarge',
  );

/** Largest JSON request body (metadata, patches, notification configs). */
export const MAX_JSON_BYTES = 1024 * 1024;
