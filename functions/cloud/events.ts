/**
 * Turning the CloudEvents the functions receive into plain values. Parsing fails with
 * MalformedEvent, which handlers acknowledge (a malformed message never becomes valid by
 * being retried).
 */
import { ObjectRef } from './jobs';

/** The subset of a CloudEvent the handlers read (functions-framework's CloudEvent has more). */
export interface IncomingEvent {
  id?: string;
  type: string;
  data?: unknown;
}

export const PUBSUB_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';
export const STORAGE_FINALIZED = 'google.cloud.storage.object.v1.finalized';

export class MalformedEvent extends Error {
  override readonly name = 'MalformedEvent';
}

export interface PubSubMessage {
  data: Buffer;
  attributes: Record<string, string>;
  messageId?: string;
}

/** An uploaded object as the notification describes it. */
export interface UploadedObject extends ObjectRef {
  contentType?: string;
  size?: number;
  metadata: Record<string, string>;
  /** When the upload finished (the object's timeCreated). */
  createdAt?: string;
  /**
   * Set on a notification memegen sent again itself (the sweep, or the local stack after a
   * restart), saying why: a job whose work was lost may then start its analysis over.
   */
  redelivery?: string;
}

/** The attribute that marks memegen's own redelivered notifications (see UploadedObject.redelivery). */
export const REDELIVERY_ATTRIBUTE = 'memegenRedelivery';

/**
 * An OBJECT_FINALIZE notification for an object, as Cloud Storage sends it (attributes, and
 * the object resource for the JSON_API_V1 payload), marked as memegen's redelivery with the
 * reason given.
 */
export function redeliveryNotification(
  object: { bucket: string; name: string; generation: string; resource: Record<string, unknown> },
  reason: string,
  now = new Date(),
): { payload: Record<string, unknown>; attributes: Record<string, string> } {
  return {
    payload: object.resource,
    attributes: {
      eventType: 'OBJECT_FINALIZE',
      payloadFormat: 'JSON_API_V1',
      bucketId: object.bucket,
      objectId: object.name,
      objectGeneration: object.generation,
      eventTime: now.toISOString(),
      [REDELIVERY_ATTRIBUTE]: reason,
    },
  };
}

export type StorageEventOutcome =
  { kind: 'finalized'; object: UploadedObject } | { kind: 'ignored'; reason: string };

const record = (value: unknown, what: string): Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new MalformedEvent(`${what} is not an object`);
  return value as Record<string, unknown>;
};

export function pubSubMessage(event: IncomingEvent): PubSubMessage {
  if (event.type !== PUBSUB_PUBLISHED)
    throw new MalformedEvent(`expected a ${PUBSUB_PUBLISHED} event, got ${event.type}`);
  const data = record(event.data, 'event data');
  const message = record(data.message, 'event data.message');
  const attributes = message.attributes === undefined ? {} : record(message.attributes, 'message attributes');
  return {
    data: typeof message.data === 'string' ? Buffer.from(message.data, 'base64') : Buffer.alloc(0),
    attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, String(v)])),
    messageId: typeof message.messageId === 'string' ? message.messageId : undefined,
  };
}

/**
 * A Cloud Storage notification, either through Pub/Sub (attributes eventType, bucketId,
 * objectId, objectGeneration; the object resource as JSON in data) or as a direct
 * storage.object.v1.finalized event (the object resource as data).
 */
export function storageEvent(event: IncomingEvent): StorageEventOutcome {
  if (event.type === STORAGE_FINALIZED)
    return { kind: 'finalized', object: objectResource(record(event.data, 'event data')) };
  const message = pubSubMessage(event);
  const { eventType, bucketId, objectId, objectGeneration, payloadFormat } = message.attributes;
  if (eventType !== 'OBJECT_FINALIZE')
    return {
      kind: 'ignored',
      reason: `notification of ${eventType ?? 'unknown event'}, not OBJECT_FINALIZE`,
    };
  if (!bucketId || !objectId || !objectGeneration)
    throw new MalformedEvent('notification lacks bucketId, objectId or objectGeneration');
  let resource: Record<string, unknown> = {};
  if (payloadFormat === 'JSON_API_V1' && message.data.length > 0) {
    try {
      resource = record(JSON.parse(message.data.toString('utf8')), 'notification payload');
    } catch (error) {
      throw error instanceof MalformedEvent ? error : new MalformedEvent('notification payload is not JSON');
    }
  }
  // The attributes are authoritative for identity; the payload adds metadata when present.
  const redelivery = message.attributes[REDELIVERY_ATTRIBUTE];
  return {
    kind: 'finalized',
    object: {
      ...objectResource({ ...resource, bucket: bucketId, name: objectId, generation: objectGeneration }),
      ...(redelivery && { redelivery }),
    },
  };
}

function objectResource(resource: Record<string, unknown>): UploadedObject {
  const { bucket, name, generation } = resource;
  if (
    typeof bucket !== 'string' ||
    typeof name !== 'string' ||
    (typeof generation !== 'string' && typeof generation !== 'number')
  ) {
    throw new MalformedEvent('object resource lacks bucket, name or generation');
  }
  const metadata =
    resource.metadata === undefined || resource.metadata === null
      ? {}
      : record(resource.metadata, 'object metadata');
  const size = Number(resource.size);
  return {
    bucket,
    name,
    generation: String(generation),
    contentType: typeof resource.contentType === 'string' ? resource.contentType : undefined,
    size: Number.isFinite(size) ? size : undefined,
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])),
    createdAt: typeof resource.timeCreated === 'string' ? resource.timeCreated : undefined,
  };
}
