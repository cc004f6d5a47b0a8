// What the store keeps per bucket and per object (the JSON sidecars on disk), and the
// subset of object metadata that clients may write.

export interface NotificationConfig {
  id: string;
  /** "//pubsub.googleapis.com/projects/P/topics/T", as the client sends it */
  topic: string;
  event_types?: string[];
  payload_format: string;
  object_name_prefix?: string;
  custom_attributes?: Record<string, string>;
  etag: string;
}

export interface BucketRecord {
  name: string;
  timeCreated: string;
  updated: string;
  metageneration: string;
  location: string;
  storageClass: string;
  notifications: NotificationConfig[];
  nextNotificationId: number;
}

/** Metadata a client may set on upload or by patch. */
export interface WritableObjectMetadata {
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  metadata?: Record<string, string>;
}

export const WRITABLE_FIELDS = [
  'contentType',
  'cacheControl',
  'contentDisposition',
  'contentEncoding',
  'contentLanguage',
] as const;

export interface ObjectRecord extends WritableObjectMetadata {
  bucket: string;
  name: string;
  generation: string;
  metageneration: string;
  contentType: string;
  size: number;
  md5Hash: string;
  crc32c: string;
  timeCreated: string;
  updated: string;
  storageClass: string;
  /** file name of the data in the bucket's object directory (never derived from `name` text) */
  dataFile: string;
}

/** Upload/patch metadata as it arrives in JSON: unknown shape, validated field by field. */
export function pickWritableMetadata(input: unknown): WritableObjectMetadata {
  const source = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const picked: WritableObjectMetadata = {};
  for (const field of WRITABLE_FIELDS) {
    const value = source[field];
    if (typeof value === 'string') picked[field] = value;
  }
  const custom = source.metadata;
  if (custom && typeof custom === 'object') {
    picked.metadata = {};
    for (const [key, value] of Object.entries(custom as Record<string, unknown>)) {
      // GCS stores custom metadata values as strings.
      if (value !== null && value !== undefined) picked.metadata[key] = String(value);
    }
  }
  return picked;
}

/**
 * PATCH semantics of the JSON API: a field present replaces the stored one (null clears
 * it); `metadata` merges key by key, a null value removing that key, and `metadata: null`
 * removing all custom metadata.
 */
export function applyMetadataPatch(record: ObjectRecord, patch: unknown): ObjectRecord {
  if (!patch || typeof patch !== 'object') return record;
  const body = patch as Record<string, unknown>;
  const next: ObjectRecord = { ...record };
  for (const field of WRITABLE_FIELDS) {
    if (!(field in body)) continue;
    const value = body[field];
    if (value === null) {
      if (field === 'contentType') next.contentType = 'application/octet-stream';
      else delete next[field];
    } else if (typeof value === 'string') {
      next[field] = value;
    }
  }
  if ('metadata' in body) {
    if (body.metadata === null) {
      delete next.metadata;
    } else if (body.metadata && typeof body.metadata === 'object') {
      const merged: Record<string, string> = { ...(record.metadata ?? {}) };
      for (const [key, value] of Object.entries(body.metadata as Record<string, unknown>)) {
        if (value === null) delete merged[key];
        else if (value !== undefined) merged[key] = String(value);
      }
      if (Object.keys(merged).length > 0) next.metadata = merged;
      else delete next.metadata;
    }
  }
  return next;
}
