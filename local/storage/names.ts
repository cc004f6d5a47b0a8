import { badRequest } from './errors';

// Names are validated the way Cloud Storage validates them, so code that works against
// the local server does not fail in the cloud on a name GCS would refuse. Object names
// are never used as file paths (see layout.ts); these checks are about fidelity, not safety.

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

export function checkBucketName(name: string): string {
  if (!BUCKET_NAME.test(name) || name.includes('..')) {
    throw badRequest(`Invalid bucket name: '${name}'`, 'InvalidBucketName');
  }
  return name;
}

export function checkObjectName(name: string): string {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0 || bytes > 1024) throw badRequest('Object name must be 1 to 1024 bytes of UTF-8.');
  if (/[\r\n]/.test(name)) throw badRequest('Object names cannot contain carriage return or line feed.');
  if (name === '.' || name === '..') throw badRequest(`Object name cannot be '${name}'.`);
  return name;
}
