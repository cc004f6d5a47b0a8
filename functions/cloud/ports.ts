/**
 * What the handlers need from Cloud Storage and Pub/Sub, as two small interfaces. The
 * implementations (gcs.ts) wrap the real client libraries; handlers receive them, so the
 * same handler code runs on GCP and against the local stack.
 */

export interface StoredObject {
  bytes: Buffer;
  generation: string;
  contentType?: string;
  metadata: Record<string, string>;
}

/** An object's metadata, without its bytes. */
export interface ObjectInfo {
  name: string;
  generation: string;
  contentType?: string;
  size: number;
  metadata: Record<string, string>;
  /** When this generation was written (timeCreated). */
  createdAt: string;
}

export interface WriteOptions {
  contentType: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
  /** Write only if the object's generation is this ("0": only if it does not exist). */
  ifGenerationMatch?: string;
}

export interface SignedUploadRequest {
  bucket: string;
  name: string;
  contentType: string;
  expiresAt: Date;
  /** Headers the uploader must send exactly as signed, e.g. x-goog-content-length-range, x-goog-meta-*. */
  headers: Record<string, string>;
}

export interface BlobStore {
  /**
   * The object, or undefined when it does not exist; with `generation`, that generation
   * only (undefined when the live object is another one).
   */
  read(bucket: string, name: string, generation?: string): Promise<StoredObject | undefined>;
  /** The object's metadata without downloading it, or undefined when it does not exist. */
  describe(bucket: string, name: string): Promise<ObjectInfo | undefined>;
  /** Every object whose name starts with `prefix`. */
  list(bucket: string, prefix: string): Promise<ObjectInfo[]>;
  /** Returns the new generation. Throws PreconditionFailed when ifGenerationMatch does not hold. */
  write(bucket: string, name: string, bytes: Buffer, options: WriteOptions): Promise<string>;
  /** False when there was nothing to delete (or the generation no longer matches). */
  delete(bucket: string, name: string, options?: { ifGenerationMatch?: string }): Promise<boolean>;
  /** A V4 signed URL for one PUT of the object. */
  signedUploadUrl(request: SignedUploadRequest): Promise<string>;
}

export interface Publisher {
  /** Publishes a JSON message; resolves to the message id once the topic has it. */
  publishJson(topic: string, data: unknown, attributes?: Record<string, string>): Promise<string>;
}

export class PreconditionFailed extends Error {
  override readonly name = 'PreconditionFailed';
}
