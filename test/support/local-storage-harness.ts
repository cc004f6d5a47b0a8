import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '@google-cloud/storage';
import {
  createLocalCredentials,
  localStorageClient,
  startStorageServer,
  type NotificationPublisher,
  type StorageServer,
} from '../../local/storage';

/** A real NotificationPublisher that keeps what it is given, for tests to inspect. */
export class CollectingPublisher implements NotificationPublisher {
  readonly messages: Array<{ topic: string; data: Buffer; attributes: Record<string, string> }> = [];
  failWith: Error | undefined;

  async publish(topic: string, message: { data: Buffer; attributes: Record<string, string> }): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.messages.push({ topic, ...message });
  }

  async waitFor(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} messages, got ${this.messages.length}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

export interface LocalStorageFixture {
  /** temp directory holding `data/` (the server root) and `creds/` */
  dir: string;
  root: string;
  server: StorageServer;
  storage: Storage;
  credentials: ReturnType<typeof createLocalCredentials>;
  publisher: CollectingPublisher;
  logs: string[];
  close(): Promise<void>;
}

export async function startLocalStorage(publicBuckets: string[] = []): Promise<LocalStorageFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'local-storage-test-'));
  const root = join(dir, 'data');
  const credentials = createLocalCredentials(join(dir, 'creds'), 'memegen-test');
  const publisher = new CollectingPublisher();
  const logs: string[] = [];
  const server = await startStorageServer({
    root,
    port: 0,
    signers: { [credentials.clientEmail]: credentials.publicKeyPem },
    publicBuckets,
    notifications: publisher,
    log: (line) => logs.push(line),
  });
  const storage = localStorageClient({
    url: server.url,
    projectId: credentials.projectId,
    keyFile: credentials.keyFile,
  });
  return {
    dir,
    root,
    server,
    storage,
    credentials,
    publisher,
    logs,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
