// The public contract of the local storage server (re-exported by index.ts).

export interface NotificationPublisher {
  /** topic is the full name "projects/P/topics/T" given when the notification config was created */
  publish(topic: string, message: { data: Buffer; attributes: Record<string, string> }): Promise<void>;
}

export interface StorageServerOptions {
  /** directory for all data (created if missing) */
  root: string;
  /** 0 or undefined = random free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** public keys allowed to sign V4 URLs, by client_email */
  signers: Record<string, string /* PEM public key */>;
  /** buckets whose objects anyone may GET without a signature (the public bucket) */
  publicBuckets?: string[];
  notifications?: NotificationPublisher;
  log?: (line: string) => void;
}

export interface StorageServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  close(): Promise<void>;
}
