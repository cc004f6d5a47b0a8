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

/**
 * Cloud Storage's limits on custom metadata (google.storage.v1 ServiceConstants), in UTF-8
 * bytes: a key at most 1 KiB, a value at most 4 KiB, all keys and values together at most
 * 8 KiB. Enforced on every write, so what the local stack accepts GCS accepts too.
 */
export const CUSTOM_METADATA_LIMITS = { keyBytes: 1024, valueBytes: 4096, totalBytes: 8192 } as const;

export function checkCustomMetadata(metadata: Record<string, string> | undefined): void {
  if (!metadata) return;
  let total = 0;
  for (const [key, value] of Object.entries(metadata)) {
    const keyBytes = Buffer.byteLength(key, 'utf8');
    const valueBytes = Buffer.byteLength(value, 'utf8');
    if (keyBytes > CUSTOM_METADATA_LIMITS.keyBytes)
      throw metadataTooLarge(
        `the custom metadata key "${key.slice(0, 40)}…" is ${keyBytes} bytes; the limit is ${CUSTOM_METADATA_LIMITS.keyBytes}`,
      );
    if (valueBytes > CUSTOM_METADATA_LIMITS.valueBytes)
      throw metadataTooLarge(
        `the value of custom metadata "${key}" is ${valueBytes} bytes; the limit is ${CUSTOM_METADATA_LIMITS.valueBytes}`,
      );
    total += keyBytes + valueBytes;
  }
  if (total > CUSTOM_METADATA_LIMITS.totalBytes)
    throw metadataTooLarge(
      `custom metadata totals ${total} bytes; the limit is ${CUSTOM_METADATA_LIMITS.totalBytes}`,
    );
}

const metadataTooLarge = (why: string): StorageError =>
  new StorageError(400, 'invalid', `Metadata is too large: ${why}.`, 'MetadataTooLarge');
