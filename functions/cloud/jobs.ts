/**
 * Job ids and the object names they come from.
 *
 * Uploads through a signed URL land at `uploads/<id>`, the id drawn at random (128 bits, so
 * status URLs cannot be guessed) when the URL was handed out. Anything else dropped in the
 * inbox (`gsutil cp`) gets an id derived from bucket, name and generation: a re-delivered
 * notification maps to the same job, a new upload under the same name to a new one.
 */
import { createHash, randomBytes } from 'node:crypto';

export const UPLOAD_PREFIX = 'uploads/';
const RANDOM_ID = /^[A-Za-z0-9_-]{22}$/;
const DERIVED_ID = /^g[0-9a-f]{32}$/;

export interface ObjectRef {
  bucket: string;
  name: string;
  generation: string;
}

export function newJobId(): string {
  return randomBytes(16).toString('base64url');
}

export function uploadObjectName(id: string): string {
  return UPLOAD_PREFIX + id;
}

export function jobIdFor(object: ObjectRef): string {
  const suffix = object.name.startsWith(UPLOAD_PREFIX) ? object.name.slice(UPLOAD_PREFIX.length) : '';
  if (RANDOM_ID.test(suffix)) return suffix;
  return (
    'g' +
    createHash('sha256')
      .update(`${object.bucket}\u0000${object.name}\u0000${object.generation}`)
      .digest('hex')
      .slice(0, 32)
  );
}

export function isJobId(value: string): boolean {
  return RANDOM_ID.test(value) || DERIVED_ID.test(value);
}

/** Parses `gs://BUCKET/OBJECT#GENERATION`, the form `gsutil ls -a` prints. */
export function parseGsUrl(url: string): ObjectRef {
  const match = /^gs:\/\/([^/]+)\/(.+)#(\d+)$/.exec(url);
  if (!match)
    throw new Error(`expected gs://BUCKET/OBJECT#GENERATION (as printed by gsutil ls -a), got "${url}"`);
  return { bucket: match[1]!, name: match[2]!, generation: match[3]! };
}
