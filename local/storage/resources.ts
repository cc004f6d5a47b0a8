import type { BucketRecord, NotificationConfig, ObjectRecord } from './records';

// JSON API representations, field for field as Cloud Storage returns them (numbers that
// are int64 in the API - generation, metageneration, size - are strings).

export const encodeName = (name: string): string => encodeURIComponent(name);

export function objectResource(o: ObjectRecord, baseUrl: string): Record<string, unknown> {
  const path = `b/${o.bucket}/o/${encodeName(o.name)}`;
  const resource: Record<string, unknown> = {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${baseUrl}/storage/v1/${path}`,
    mediaLink: `${baseUrl}/download/storage/v1/${path}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: o.generation,
    metageneration: o.metageneration,
    contentType: o.contentType,
    storageClass: o.storageClass,
    size: String(o.size),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: objectEtag(o),
    timeCreated: o.timeCreated,
    updated: o.updated,
    timeStorageClassUpdated: o.timeCreated,
  };
  for (const field of ['cacheControl', 'contentDisposition', 'contentEncoding', 'contentLanguage'] as const) {
    if (o[field] !== undefined) resource[field] = o[field];
  }
  if (o.metadata && Object.keys(o.metadata).length > 0) resource.metadata = o.metadata;
  return resource;
}

/** JSON API etag: changes with generation and metageneration, as in GCS. */
export function objectEtag(o: ObjectRecord): string {
  return Buffer.from(`${o.generation}/${o.metageneration}`).toString('base64');
}

/** XML API ETag: the quoted hex MD5 of the content, as GCS sends for non-composite objects. */
export function xmlEtag(o: ObjectRecord): string {
  return `"${Buffer.from(o.md5Hash, 'base64').toString('hex')}"`;
}

export function bucketResource(b: BucketRecord, baseUrl: string): Record<string, unknown> {
  return {
    kind: 'storage#bucket',
    id: b.name,
    selfLink: `${baseUrl}/storage/v1/b/${b.name}`,
    projectNumber: '0',
    name: b.name,
    timeCreated: b.timeCreated,
    updated: b.updated,
    metageneration: b.metageneration,
    location: b.location,
    locationType: 'multi-region',
    storageClass: b.storageClass,
    etag: Buffer.from(`${b.name}/${b.metageneration}`).toString('base64'),
  };
}

export function notificationResource(
  bucket: string,
  n: NotificationConfig,
  baseUrl: string,
): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    kind: 'storage#notification',
    id: n.id,
    selfLink: `${baseUrl}/storage/v1/b/${bucket}/notificationConfigs/${n.id}`,
    topic: n.topic,
    payload_format: n.payload_format,
    etag: n.etag,
  };
  if (n.event_types) resource.event_types = n.event_types;
  if (n.object_name_prefix) resource.object_name_prefix = n.object_name_prefix;
  if (n.custom_attributes) resource.custom_attributes = n.custom_attributes;
  return resource;
}
