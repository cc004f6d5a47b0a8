import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';

// On-disk layout. Object names may contain '/', '..', '%', spaces, any Unicode, so they
// never become path components: an object lives under the SHA-256 of its name, with a
// JSON sidecar (the record, which holds the real name) and one data file per generation.
// Bucket names are validated to [a-z0-9._-] without '..' (names.ts) and so are safe
// directory names, which keeps the tree readable when debugging.
//
//   ROOT/buckets/BUCKET/bucket.json
//   ROOT/buckets/BUCKET/objects/SHA256(name).json             the committed record
//   ROOT/buckets/BUCKET/objects/SHA256(name).GENERATION.data  its bytes
//   ROOT/uploads/UPLOAD_ID.json / .part                       resumable sessions
//   ROOT/tmp/                                                 writes in progress

export class Layout {
  constructor(readonly root: string) {}

  get bucketsDir(): string {
    return join(this.root, 'buckets');
  }
  get uploadsDir(): string {
    return join(this.root, 'uploads');
  }
  get tmpDir(): string {
    return join(this.root, 'tmp');
  }
  bucketDir(bucket: string): string {
    return join(this.bucketsDir, bucket);
  }
  bucketFile(bucket: string): string {
    return join(this.bucketDir(bucket), 'bucket.json');
  }
  objectsDir(bucket: string): string {
    return join(this.bucketDir(bucket), 'objects');
  }
  objectKey(name: string): string {
    return createHash('sha256').update(name, 'utf8').digest('hex');
  }
  sidecar(bucket: string, name: string): string {
    return join(this.objectsDir(bucket), `${this.objectKey(name)}.json`);
  }
  dataFileName(name: string, generation: string): string {
    return `${this.objectKey(name)}.${generation}.data`;
  }
  dataPath(bucket: string, dataFile: string): string {
    return join(this.objectsDir(bucket), dataFile);
  }
  /** A fresh temp file name; temp files live on the same filesystem so rename is atomic. */
  tempFile(): string {
    return join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}.tmp`);
  }
}
