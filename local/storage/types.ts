import type { InterruptedUpload } from './inflight';

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
  /**
   * Why uploads into a bucket are refused for now (answered 503 ServiceUnavailable), or
   * undefined to accept them; the local stack refuses inbox uploads while its pipeline is down.
   */
  refuseWrites?: (bucket: string) => string | undefined;
  /**
   * Let every caller do everything, credentials or not. Only for tools whose client cannot
   * send credentials: a plain `new Storage()` under STORAGE_EMULATOR_HOST, as the cold-start
   * benchmark runs the deployed entry point. Default false: GCS's rules (access.ts).
   */
  openAccess?: boolean;
  log?: (line: string) => void;
}

export interface StorageServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Signed uploads the previous run of this root never finished (cut off by a crash). */
  interruptedUploads(): InterruptedUpload[];
  /** Forgets an interrupted upload once it has been dealt with. */
  forgetInterruptedUpload(bucket: string, name: string): Promise<void>;
  close(): Promise<void>;
}
