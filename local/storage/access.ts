import type { Caller } from './auth';
import { StorageError } from './errors';

// Cloud Storage's access rules as memegen's buckets are set up (infra/storage.tf): the
// functions' service accounts may do everything; anonymous callers may only read objects
// of a public bucket whose name they know (allUsers has roles/storage.legacyObjectReader,
// which is storage.objects.get alone: no listing), and nothing else anywhere: no reads or
// lists of the inbox, no writes or deletes. V4 signed URLs carry their signer's rights and
// are checked separately (signing.ts).

export type Permission =
  | 'storage.buckets.list'
  | 'storage.buckets.get'
  | 'storage.buckets.create'
  | 'storage.buckets.delete'
  | 'storage.buckets.update'
  | 'storage.objects.list'
  | 'storage.objects.get'
  | 'storage.objects.create'
  | 'storage.objects.delete'
  | 'storage.objects.update';

export function authorize(
  caller: Caller,
  permission: Permission,
  bucket: string | undefined,
  publicBuckets: ReadonlySet<string>,
): void {
  if (caller.kind === 'serviceAccount') return;
  if (permission === 'storage.objects.get' && bucket !== undefined && publicBuckets.has(bucket)) return;
  throw anonymousRefused(permission, bucket);
}

/** What GCS's JSON API answers an anonymous caller without the permission (401, reason "required"). */
export function anonymousRefused(permission: Permission, bucket: string | undefined): StorageError {
  const resource = bucket === undefined ? 'the project' : `the Google Cloud Storage bucket ${bucket}`;
  return new StorageError(
    401,
    'required',
    `Anonymous caller does not have ${permission} access to ${resource}. Permission '${permission}' denied on resource (or it may not exist).`,
    'AccessDenied',
  );
}
