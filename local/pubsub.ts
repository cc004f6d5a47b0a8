/**
 * Pub/Sub for the local stack, behind one interface: the Cloud SDK's emulator when it is
 * installed, otherwise an in-process dispatcher that pushes the same request body
 * ({message: {data, attributes, messageId, publishTime}, subscription}) with the same
 * retry-then-dead-letter behaviour.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';

export interface PushSubscription {
  name: string;
  topic: string;
  endpoint: string;
  deadLetterTopic?: string;
  maxDeliveryAttempts: number;
}

export interface LocalPubSub {
  readonly description: string;
  /** For PUBSUB_EMULATOR_HOST, when it is the emulator. */
  readonly emulatorHost?: string;
  createTopic(topic: string): Promise<void>;
  createPushSubscription(subscription: PushSubscription): Promise<void>;
  publish(topic: string, message: { data: Buffer; attributes: Record<string, string> }): Promise<string>;
  close(): Promise<void>;
}

const EMULATOR_PATHS = [
  '/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator',
  '/usr/share/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator',
  '/opt/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator',
  join(homedir(), 'google-cloud-sdk', 'platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator'),
];

/** The emulator's launcher: $PUBSUB_EMULATOR_BIN, or where the Cloud SDK installs it. */
export function findPubSubEmulator(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  if (env.PUBSUB_EMULATOR_BIN)
    return existsSync(env.PUBSUB_EMULATOR_BIN) ? env.PUBSUB_EMULATOR_BIN : undefined;
  return EMULATOR_PATHS.find((path) => existsSync(path));
}

export class EmulatorPubSub implements LocalPubSub {
  readonly description: string;
  readonly emulatorHost: string;

  private constructor(
    private readonly process: ChildProcess,
    private readonly client: PubSub,
    host: string,
  ) {
    this.emulatorHost = host;
    this.description = `Cloud SDK Pub/Sub emulator at ${host} (pid ${process.pid})`;
  }

  static async start(
    bin: string,
    port: number,
    projectId: string,
    log: (line: string) => void,
  ): Promise<EmulatorPubSub> {
    // Its own process group, so closing ends the JVM the launcher script starts, not just the script.
    const child = spawn(bin, ['--host=127.0.0.1', `--port=${port}`], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.resume();
    child.stderr?.resume();
    const host = `127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`the Pub/Sub emulator exited at start-up (code ${child.exitCode})`);
      try {
        if ((await fetch(`http://${host}/`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        killGroup(child);
        throw new Error('the Pub/Sub emulator did not answer within 30 s');
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    log(`Pub/Sub emulator ready at ${host}`);
    const client = new PubSub({ projectId, apiEndpoint: host, emulatorMode: true });
    return new EmulatorPubSub(child, client, host);
  }

  async createTopic(topic: string): Promise<void> {
    const [exists] = await this.client.topic(topic).exists();
    if (!exists) await this.client.createTopic(topic);
  }

  async createPushSubscription(subscription: PushSubscription): Promise<void> {
    const existing = this.client.subscription(subscription.name);
    if ((await existing.exists())[0]) await existing.delete(); // endpoints change between runs
    await this.client.topic(subscription.topic).createSubscription(subscription.name, {
      pushConfig: { pushEndpoint: subscription.endpoint },
      ackDeadlineSeconds: 60,
      retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 10 } },
      ...(subscription.deadLetterTopic && {
        deadLetterPolicy: {
          deadLetterTopic: subscription.deadLetterTopic,
          maxDeliveryAttempts: subscription.maxDeliveryAttempts,
        },
      }),
    });
  }

  publish(topic: string, message: { data: Buffer; attributes: Record<string, string> }): Promise<string> {
    return this.client.topic(topic).publishMessage(message);
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
    killGroup(this.process);
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
}

/**
 * Delivers each message to every push subscription of its topic, retrying failed pushes
 * (non-2xx or no answer) with backoff from 1 s up to 10 s, and after maxDeliveryAttempts
 * publishing it to the dead-letter topic, as Pub/Sub does.
 */
export class InProcessPubSub implements LocalPubSub {
  readonly description = 'in-process Pub/Sub dispatcher (push delivery, retries, dead-lettering)';
  private readonly subscriptions = new Map<string, PushSubscription[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly log: (line: string) => void) {}

  async createTopic(topic: string): Promise<void> {
    if (!this.subscriptions.has(topic)) this.subscriptions.set(topic, []);
  }

  async createPushSubscription(subscription: PushSubscription): Promise<void> {
    const list = this.subscriptions.get(subscription.topic);
    if (!list) throw new Error(`topic ${subscription.topic} does not exist`);
    list.push(subscription);
  }

  async publish(
    topic: string,
    message: { data: Buffer; attributes: Record<string, string> },
  ): Promise<string> {
    const list = this.subscriptions.get(topic);
    if (!list) throw new Error(`topic ${topic} does not exist`);
    const messageId = String(this.nextId++);
    const body = {
      data: message.data.toString('base64'),
      attributes: message.attributes,
      messageId,
      publishTime: new Date().toISOString(),
    };
    for (const subscription of list) this.schedule(subscription, body, 1, 0);
    return messageId;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(
    subscription: PushSubscription,
    message: Record<string, unknown>,
    attempt: number,
    delayMs: number,
  ): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(subscription, message, attempt);
    }, delayMs);
    this.timers.add(timer);
  }

  private async deliver(
    subscription: PushSubscription,
    message: Record<string, unknown>,
    attempt: number,
  ): Promise<void> {
    let ok: boolean;
    try {
      const response = await fetch(subscription.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message, subscription: subscription.name }),
        signal: AbortSignal.timeout(60_000),
      });
      await response.arrayBuffer();
      ok = response.ok;
    } catch {
      ok = false;
    }
    if (ok || this.closed) return;
    if (attempt >= subscription.maxDeliveryAttempts && subscription.deadLetterTopic) {
      this.log(
        `message ${String(message.messageId)} failed ${attempt} deliveries to ${subscription.name}: dead-lettered to ${subscription.deadLetterTopic}`,
      );
      const data = Buffer.from(String(message.data), 'base64');
      await this.publish(subscription.deadLetterTopic, {
        data,
        attributes: message.attributes as Record<string, string>,
      }).catch(() => undefined);
      return;
    }
    this.schedule(subscription, message, attempt + 1, Math.min(10_000, 1000 * 2 ** (attempt - 1)));
  }
}
