import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { badRequest, bucketNotFound, notFound, StorageError } from './errors';
import { readJsonIfExists, removeQuietly, writeFileAtomic } from './files';
import { nextGeneration, observeGeneration } from './generation';
import type { ContentDigest } from './hashing';
import { Layout } from './layout';
import { checkCustomMetadata } from './limits';
import { KeyedMutex } from './mutex';
import { checkBucketName, checkObjectName } from './names';
import { checkPreconditions, type Preconditions } from './preconditions';
import {
  applyMetadataPatch,
  type BucketRecord,
  type NotificationConfig,
  type ObjectRecord,
  type WritableObjectMetadata,
} from './records';

// The filesystem-backed store: buckets, objects and notification configs. It knows
// nothing about HTTP; both APIs and the resumable sessions call it.

export type ObjectEventType = 'OBJECT_FINALIZE' | 'OBJECT_DELETE' | 'OBJECT_METADATA_UPDATE';

export interface ObjectEvent {
  type: ObjectEventType;
  bucket: BucketRecord;
  object: ObjectRecord;
  overwroteGeneration?: string;
  overwrittenByGeneration?: string;
}

export interface CommitRequest {
  bucket: string;
  name: string;
  /** a fully written temp file from Layout.tempFile(); the store takes ownership */
  tempFile: string;
  digest: ContentDigest;
  metadata: WritableObjectMetadata;
  preconditions: Preconditions;
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

export class FileStore {
  readonly layout: Layout;
  private readonly locks = new KeyedMutex();
  /**
   * Every bucket's objects by name, read from the sidecars once and then kept current by
   * this store's own writes (it is the only writer of its root: one server per data
   * directory), so a listing by prefix costs no file reads. The sweep lists its small
   * prefix of the public bucket every few seconds, however many memes the bucket holds.
   */
  private readonly listings = new Map<string, Map<string, ObjectRecord>>();
  /** Changes per bucket, so a listing read from disk while one happened is not cached stale. */
  private readonly changes = new Map<string, number>();

  private constructor(
    root: string,
    private readonly onEvent: (event: ObjectEvent) => void,
  ) {
    this.layout = new Layout(root);
  }

  static async open(root: string, onEvent: (event: ObjectEvent) => void): Promise<FileStore> {
    const store = new FileStore(root, onEvent);
    await store.init();
    return store;
  }

  private async init(): Promise<void> {
    // Leftover temp files are writes that never committed: never visible, safe to drop.
    await rm(this.layout.tmpDir, { recursive: true, force: true });
    for (const dir of [this.layout.bucketsDir, this.layout.uploadsDir, this.layout.tmpDir]) {
      await mkdir(dir, { recursive: true });
    }
    // Generations must keep increasing across restarts.
    for (const bucket of await this.listBuckets()) {
      for (const object of await this.listObjects(bucket.name)) observeGeneration(object.generation);
    }
  }

  // ---- buckets ----

  async createBucket(
    name: string,
    options: { location?: string; storageClass?: string },
  ): Promise<BucketRecord> {
    checkBucketName(name);
    return this.locks.run(`bucket:${name}`, async () => {
      if (await readJsonIfExists(this.layout.bucketFile(name))) {
        throw new StorageError(409, 'conflict', `Bucket ${name} already exists.`, 'BucketAlreadyExists');
      }
      const now = new Date().toISOString();
      const record: BucketRecord = {
        name,
        timeCreated: now,
        updated: now,
        metageneration: '1',
        location: (options.location ?? 'US').toUpperCase(),
        storageClass: options.storageClass ?? 'STANDARD',
        notifications: [],
        nextNotificationId: 1,
      };
      await mkdir(this.layout.objectsDir(name), { recursive: true });
      await writeFileAtomic(this.layout.bucketFile(name), JSON.stringify(record), this.layout.tempFile());
      return record;
    });
  }

  async getBucket(name: string): Promise<BucketRecord> {
    const record = /^[a-z0-9._-]+$/.test(name)
      ? await readJsonIfExists<BucketRecord>(this.layout.bucketFile(name))
      : undefined;
    if (!record) throw bucketNotFound(name);
    return record;
  }

  async listBuckets(): Promise<BucketRecord[]> {
    const names = (await readdir(this.layout.bucketsDir)).sort();
    const records = await Promise.all(
      names.map((n) => readJsonIfExists<BucketRecord>(this.layout.bucketFile(n))),
    );
    return records.filter((r): r is BucketRecord => r !== undefined);
  }

  async deleteBucket(name: string): Promise<void> {
    await this.getBucket(name);
    await this.locks.run(`bucket:${name}`, async () => {
      if ((await this.listObjects(name)).length > 0) {
        throw new StorageError(
          409,
          'conflict',
          `The bucket you tried to delete is not empty: ${name}`,
          'BucketNotEmpty',
        );
      }
      await rm(this.layout.bucketDir(name), { recursive: true, force: true });
      this.listings.delete(name);
      this.changes.set(name, (this.changes.get(name) ?? 0) + 1);
    });
  }

  /** Read-modify-write of a bucket's notification configs, serialized per bucket. */
  async updateNotifications<T>(
    bucket: string,
    change: (
      configs: NotificationConfig[],
      record: BucketRecord,
    ) => { configs: NotificationConfig[]; result: T },
  ): Promise<T> {
    return this.locks.run(`bucket:${bucket}`, async () => {
      const record = await this.getBucket(bucket);
      const { configs, result } = change(record.notifications, record);
      const next: BucketRecord = { ...record, notifications: configs, updated: new Date().toISOString() };
      await writeFileAtomic(this.layout.bucketFile(bucket), JSON.stringify(next), this.layout.tempFile());
      return result;
    });
  }

  // ---- objects ----

  async findObject(bucket: string, name: string): Promise<ObjectRecord | undefined> {
    return readJsonIfExists<ObjectRecord>(this.layout.sidecar(bucket, name));
  }

  async getObject(bucket: string, name: string, generation?: string): Promise<ObjectRecord> {
    await this.getBucket(bucket);
    const record = await this.findObject(bucket, name);
    if (!record || (generation !== undefined && record.generation !== generation))
      throw notFound(`${bucket}/${name}`);
    return record;
  }

  /**
   * Opens the current generation's data. An overwrite may delete the data file between
   * reading the sidecar and opening it; reading the sidecar again then finds the new one.
   */
  async openObject(
    bucket: string,
    name: string,
    generation?: string,
  ): Promise<{ record: ObjectRecord; handle: FileHandle }> {
    for (let attempt = 0; ; attempt++) {
      const record = await this.getObject(bucket, name, generation);
      try {
        const handle = await open(this.layout.dataPath(bucket, record.dataFile), 'r');
        return { record, handle };
      } catch (error) {
        if (!isMissing(error) || attempt >= 3) throw error;
      }
    }
  }

  async listObjects(bucket: string): Promise<ObjectRecord[]> {
    let listing = this.listings.get(bucket);
    if (!listing) {
      const before = this.changes.get(bucket) ?? 0;
      listing = new Map((await this.readObjects(bucket)).map((record) => [record.name, record]));
      if ((this.changes.get(bucket) ?? 0) === before) this.listings.set(bucket, listing);
    }
    return [...listing.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private changed(bucket: string, name: string, record: ObjectRecord | undefined): void {
    this.changes.set(bucket, (this.changes.get(bucket) ?? 0) + 1);
    const listing = this.listings.get(bucket);
    if (!listing) return;
    if (record) listing.set(name, record);
    else listing.delete(name);
  }

  private async readObjects(bucket: string): Promise<ObjectRecord[]> {
    let entries: string[];
    try {
      entries = await readdir(this.layout.objectsDir(bucket));
    } catch (error) {
      if (isMissing(error)) throw bucketNotFound(bucket);
      throw error;
    }
    const sidecars = entries.filter((e) => e.endsWith('.json'));
    const records = await Promise.all(
      sidecars.map((e) => readJsonIfExists<ObjectRecord>(`${this.layout.objectsDir(bucket)}/${e}`)),
    );
    return records.filter((r): r is ObjectRecord => r !== undefined);
  }

  /** Publishes a fully received temp file as the object's next generation. */
  async commitObject(request: CommitRequest): Promise<ObjectRecord> {
    const { bucket, name } = request;
    try {
      checkObjectName(name);
      checkCustomMetadata(request.metadata.metadata);
      const bucketRecord = await this.getBucket(bucket);
      const { record, previous } = await this.locks.run(`object:${bucket}/${name}`, async () => {
        const previous = await this.findObject(bucket, name);
        checkPreconditions(previous, request.preconditions);
        const generation = nextGeneration();
        const now = new Date().toISOString();
        const record: ObjectRecord = {
          ...request.metadata,
          bucket,
          name,
          generation,
          metageneration: '1',
          contentType: request.metadata.contentType || 'application/octet-stream',
          size: request.digest.size,
          md5Hash: request.digest.md5Hash,
          crc32c: request.digest.crc32c,
          timeCreated: now,
          updated: now,
          storageClass: bucketRecord.storageClass,
          dataFile: this.layout.dataFileName(name, generation),
        };
        await rename(request.tempFile, this.layout.dataPath(bucket, record.dataFile));
        await writeFileAtomic(
          this.layout.sidecar(bucket, name),
          JSON.stringify(record),
          this.layout.tempFile(),
        );
        this.changed(bucket, name, record);
        if (previous) await removeQuietly(this.layout.dataPath(bucket, previous.dataFile));
        return { record, previous };
      });
      this.onEvent({
        type: 'OBJECT_FINALIZE',
        bucket: bucketRecord,
        object: record,
        overwroteGeneration: previous?.generation,
      });
      if (previous) {
        this.onEvent({
          type: 'OBJECT_DELETE',
          bucket: bucketRecord,
          object: previous,
          overwrittenByGeneration: record.generation,
        });
      }
      return record;
    } finally {
      await removeQuietly(request.tempFile);
    }
  }

  async deleteObject(
    bucket: string,
    name: string,
    preconditions: Preconditions,
    generation?: string,
  ): Promise<ObjectRecord> {
    const bucketRecord = await this.getBucket(bucket);
    const deleted = await this.locks.run(`object:${bucket}/${name}`, async () => {
      const current = await this.findObject(bucket, name);
      if (!current || (generation !== undefined && current.generation !== generation))
        throw notFound(`${bucket}/${name}`);
      checkPreconditions(current, preconditions);
      // Removing the sidecar is the commit point; the data file is garbage afterwards.
      await rm(this.layout.sidecar(bucket, name));
      this.changed(bucket, name, undefined);
      await removeQuietly(this.layout.dataPath(bucket, current.dataFile));
      return current;
    });
    this.onEvent({ type: 'OBJECT_DELETE', bucket: bucketRecord, object: deleted });
    return deleted;
  }

  async patchObject(
    bucket: string,
    name: string,
    patch: unknown,
    preconditions: Preconditions,
  ): Promise<ObjectRecord> {
    if (!patch || typeof patch !== 'object') throw badRequest('The request body must be a JSON object.');
    const bucketRecord = await this.getBucket(bucket);
    const updated = await this.locks.run(`object:${bucket}/${name}`, async () => {
      const current = await this.findObject(bucket, name);
      if (!current) throw notFound(`${bucket}/${name}`);
      checkPreconditions(current, preconditions);
      const next: ObjectRecord = {
        ...applyMetadataPatch(current, patch),
        metageneration: String(Number(current.metageneration) + 1),
        updated: new Date().toISOString(),
      };
      checkCustomMetadata(next.metadata);
      await writeFileAtomic(this.layout.sidecar(bucket, name), JSON.stringify(next), this.layout.tempFile());
      this.changed(bucket, name, next);
      return next;
    });
    this.onEvent({ type: 'OBJECT_METADATA_UPDATE', bucket: bucketRecord, object: updated });
    return updated;
  }
}
