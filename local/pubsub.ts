/**
 * Pub/Sub for the local stack, behind one interface: the Cloud SDK's emulator when it is
 * installed, otherwise an in-process dispatcher that pushes the same request body
 * ({message: {data, attributes, messageId, publishTime}, subscription}) with the same
 * retry-then-dead-letter behaviour.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { endProcessGroup } from './dataDir';

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
  /** Why nothing can be published right now (e.g. the emulator is restarting), or undefined. */
  unavailable(): string | undefined;
  close(): Promise<void>;
  /** Kills any process it started, synchronously (for a process that must exit now). */
  killNow?(): void;
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

/**
 * util-linux's setpriv, to start the emulator with a parent-death signal: the kernel kills the
 * JVM the moment the stack's process ends, however it ends (a signal, a crash, kill -9), so
 * no emulator outlives its stack, whatever the stack was doing. Where there is none that can
 * (macOS, util-linux before 2.33), the stack kills the emulator itself on the way out, and the
 * next start stops one that a crash left behind.
 */
let setprivFound: { path: string | undefined } | undefined;
function setpriv(): string | undefined {
  // --pdeathsig came in util-linux 2.33: an older setpriv would stop the emulator from starting.
  setprivFound ??= {
    path: ['/usr/bin/setpriv', '/bin/setpriv'].find(
      (path) => existsSync(path) && spawnSync(path, ['--pdeathsig', 'KILL', '--', 'true']).status === 0,
    ),
  };
  return setprivFound.path;
}

/** Whether an emulator started here dies with this process, without this process doing anything. */
export const emulatorDiesWithItsStack = (): boolean => setpriv() !== undefined;

/** One run of the emulator's JVM, in its own process group. */
class EmulatorProcess {
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<string>;

  private constructor(
    readonly child: ChildProcess,
    readonly host: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)),
    );
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Starts the JVM; `onSpawn` hears its pid at once, before it answers (a crash meanwhile must not lose it). */
  static async start(bin: string, port: number, onSpawn?: (pid: number) => void): Promise<EmulatorProcess> {
    // Its own process group, so closing ends the JVM the launcher script starts, not just the script.
    // setpriv execs the launcher, which execs the JVM: one pid throughout, the one recorded.
    const args = ['--host=127.0.0.1', `--port=${port}`];
    const tie = setpriv();
    const [command, commandArgs] = tie ? [tie, ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
    const child = spawn(command, commandArgs, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    child.stdout?.resume();
    child.stderr?.resume();
    const emulator = new EmulatorProcess(child, `127.0.0.1:${port}`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!emulator.running)
        throw new Error(`the Pub/Sub emulator exited at start-up (${await emulator.exited})`);
      if (await emulator.answers(1000)) return emulator;
      if (Date.now() > deadline) {
        await emulator.stop();
        throw new Error('the Pub/Sub emulator did not answer within 30 s');
      }
      await sleep(200);
    }
  }

  async answers(timeoutMs: number): Promise<boolean> {
    try {
      return (await fetch(`http://${this.host}/`, { signal: AbortSignal.timeout(timeoutMs) })).ok;
    } catch {
      return false;
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    await Promise.race([endProcessGroup(this.child.pid, 1500), this.exited]);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface EmulatorOptions {
  bin: string;
  port: number;
  projectId: string;
  log: (line: string) => void;
  /** Called with each emulator process started (to record its pid), and undefined once it is stopped. */
  onProcess?: (pid: number | undefined) => void;
  /** Called after the emulator died and a new one has every topic and subscription again. */
  onRestored?: () => Promise<void>;
  /** Called when the emulator cannot be kept running; the stack should stop. */
  onGaveUp?: (reason: string) => void;
}

/** How often the emulator is asked whether it is alive, and how many missed answers in a row mean it is not. */
const PROBE_INTERVAL_MS = 2000;
const PROBE_MISSES = 3;
/** More deaths than this within the window and the stack stops instead of restarting again. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

/**
 * The Cloud SDK emulator, supervised: if it dies or stops answering, it is started again on
 * the same port with every topic and subscription recreated, and onRestored runs (the stack
 * redelivers what the dead emulator held: its messages die with it). Meanwhile unavailable()
 * says why, and the stack refuses uploads.
 */
export class EmulatorPubSub implements LocalPubSub {
  readonly emulatorHost: string;
  private emulator: EmulatorProcess;
  private client: PubSub;
  private readonly topics = new Set<string>();
  private readonly subscriptions = new Map<string, PushSubscription>();
  private state: 'up' | 'restarting' | 'closed' = 'up';
  private readonly deaths: number[] = [];
  private probe: NodeJS.Timeout | undefined;
  private misses = 0;

  private constructor(
    private readonly options: EmulatorOptions,
    emulator: EmulatorProcess,
  ) {
    this.emulator = emulator;
    this.emulatorHost = emulator.host;
    this.client = this.newClient();
    this.watch();
  }

  static async start(options: EmulatorOptions): Promise<EmulatorPubSub> {
    const emulator = await EmulatorProcess.start(options.bin, options.port, options.onProcess);
    options.log(`Pub/Sub emulator ready at ${emulator.host}`);
    return new EmulatorPubSub(options, emulator);
  }

  get description(): string {
    return `Cloud SDK Pub/Sub emulator at ${this.emulatorHost} (pid ${this.emulator.pid})`;
  }

  unavailable(): string | undefined {
    if (this.state === 'up') return undefined;
    return this.state === 'restarting'
      ? 'the local Pub/Sub emulator stopped and is being restarted; try again in a few seconds'
      : 'the local stack is stopping';
  }

  async createTopic(topic: string): Promise<void> {
    this.topics.add(topic);
    const [exists] = await this.client.topic(topic).exists();
    if (!exists) await this.client.createTopic(topic);
  }

  async createPushSubscription(subscription: PushSubscription): Promise<void> {
    this.subscriptions.set(subscription.name, subscription);
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
    const down = this.unavailable();
    if (down) return Promise.reject(new Error(down));
    return this.client.topic(topic).publishMessage(message);
  }

  async close(): Promise<void> {
    this.state = 'closed';
    clearInterval(this.probe);
    await Promise.race([this.client.close().catch(() => undefined), sleep(500)]);
    await this.emulator.stop();
    this.options.onProcess?.(undefined);
  }

  killNow(): void {
    if (!this.emulator.running) return;
    try {
      process.kill(-this.emulator.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private newClient(): PubSub {
    return new PubSub({
      projectId: this.options.projectId,
      apiEndpoint: this.emulatorHost,
      emulatorMode: true,
    });
  }

  /** Notices the emulator's death: its exit, or (a hung JVM) several probes in a row without an answer. */
  private watch(): void {
    const emulator = this.emulator;
    void emulator.exited.then((how) => {
      if (this.state === 'up' && this.emulator === emulator) void this.recover(`exited (${how})`);
    });
    clearInterval(this.probe);
    this.misses = 0;
    this.probe = setInterval(() => {
      if (this.state !== 'up' || this.emulator !== emulator) return;
      void emulator.answers(PROBE_INTERVAL_MS - 200).then((ok) => {
        this.misses = ok ? 0 : this.misses + 1;
        if (this.misses >= PROBE_MISSES && this.state === 'up' && this.emulator === emulator)
          void this.recover(`stopped answering (${PROBE_MISSES} probes in a row)`);
      });
    }, PROBE_INTERVAL_MS);
    this.probe.unref();
  }

  private async recover(what: string): Promise<void> {
    this.state = 'restarting';
    const { log } = this.options;
    const now = Date.now();
    this.deaths.push(now);
    while (this.deaths.length > 0 && this.deaths[0]! < now - RESTART_WINDOW_MS) this.deaths.shift();
    log(`the Pub/Sub emulator (pid ${this.emulator.pid}) ${what}: uploads are refused until it is back`);
    if (this.deaths.length > MAX_RESTARTS)
      return this.giveUp(`the Pub/Sub emulator died ${this.deaths.length} times within a minute`);
    try {
      await this.client.close().catch(() => undefined);
      await this.emulator.stop();
      this.emulator = await EmulatorProcess.start(
        this.options.bin,
        this.options.port,
        this.options.onProcess,
      );
      this.client = this.newClient();
      for (const topic of this.topics) await this.createTopic(topic);
      for (const subscription of this.subscriptions.values()) await this.createPushSubscription(subscription);
      this.state = 'up';
      this.watch();
      log(`Pub/Sub emulator restarted (pid ${this.emulator.pid}); redelivering what the old one held`);
      await this.options.onRestored?.();
    } catch (error) {
      return this.giveUp(
        `the Pub/Sub emulator could not be restarted: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private giveUp(reason: string): void {
    this.state = 'closed';
    clearInterval(this.probe);
    void this.emulator.stop();
    this.options.onGaveUp?.(reason);
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

  unavailable(): string | undefined {
    return this.closed ? 'the local stack is stopping' : undefined;
  }

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
