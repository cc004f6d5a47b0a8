import type { ObjectEvent } from './store';
import type { NotificationConfig } from './records';
import { objectResource } from './resources';
import type { NotificationPublisher } from './types';

// Bucket notifications, published as Cloud Storage publishes them to Pub/Sub: the
// attributes below and, for JSON_API_V1, the object resource as UTF-8 JSON. Delivery is
// asynchronous and at-least-once in GCS, so a failed publish is logged and never fails
// the write that caused it; close() waits for publishes still in flight.

const TOPIC_PREFIX = /^\/\/pubsub\.[^/]+\//;

/** "//pubsub.googleapis.com/projects/P/topics/T" → "projects/P/topics/T" */
export const topicName = (topic: string): string => topic.replace(TOPIC_PREFIX, '');

export interface NotificationMessage {
  topic: string;
  data: Buffer;
  attributes: Record<string, string>;
}

function matches(config: NotificationConfig, event: ObjectEvent): boolean {
  if (config.event_types && config.event_types.length > 0 && !config.event_types.includes(event.type))
    return false;
  return !config.object_name_prefix || event.object.name.startsWith(config.object_name_prefix);
}

export function messagesFor(event: ObjectEvent, baseUrl: string, now = new Date()): NotificationMessage[] {
  return event.bucket.notifications
    .filter((c) => matches(c, event))
    .map((config) => {
      const attributes: Record<string, string> = {
        ...(config.custom_attributes ?? {}),
        notificationConfig: `projects/_/buckets/${event.bucket.name}/notificationConfigs/${config.id}`,
        eventType: event.type,
        payloadFormat: config.payload_format,
        bucketId: event.bucket.name,
        objectId: event.object.name,
        objectGeneration: event.object.generation,
        eventTime: now.toISOString(),
      };
      if (event.overwroteGeneration) attributes.overwroteGeneration = event.overwroteGeneration;
      if (event.overwrittenByGeneration) attributes.overwrittenByGeneration = event.overwrittenByGeneration;
      const data =
        config.payload_format === 'JSON_API_V1'
          ? Buffer.from(JSON.stringify(objectResource(event.object, baseUrl)), 'utf8')
          : Buffer.alloc(0);
      return { topic: topicName(config.topic), data, attributes };
    });
}

export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly publisher: NotificationPublisher | undefined,
    private readonly baseUrl: () => string,
    private readonly log: (line: string) => void,
  ) {}

  /** Called by the store after the change is durable; never throws. */
  handle(event: ObjectEvent): void {
    const publisher = this.publisher;
    if (!publisher) return;
    for (const message of messagesFor(event, this.baseUrl())) {
      const sent = publisher
        .publish(message.topic, { data: message.data, attributes: message.attributes })
        .catch((error: unknown) => {
          this.log(
            `storage: publishing ${event.type} for gs://${event.bucket.name}/${event.object.name} to ${message.topic} failed: ${
              error instanceof Error ? error.message : String(error)
            }`,
          );
        })
        .finally(() => this.inFlight.delete(sent));
      this.inFlight.add(sent);
    }
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
