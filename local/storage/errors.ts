// One error type for both APIs: the JSON API answers `{ error: { code, message, errors } }`
// (which @google-cloud/storage turns into an ApiError carrying `code`), the XML API
// answers `<Error><Code/><Message/></Error>` as browsers and curl users see from GCS.

export class StorageError extends Error {
  constructor(
    readonly status: number,
    /** JSON API `reason`, e.g. "notFound", "conditionNotMet". */
    readonly reason: string,
    message: string,
    /** XML API `Code`, e.g. "NoSuchKey", "SignatureDoesNotMatch". */
    readonly xmlCode: string = reason,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export const notFound = (what: string, xmlCode = 'NoSuchKey'): StorageError =>
  new StorageError(404, 'notFound', `No such object: ${what}`, xmlCode);

export const bucketNotFound = (bucket: string): StorageError =>
  new StorageError(404, 'notFound', `The specified bucket does not exist: ${bucket}`, 'NoSuchBucket');

export const badRequest = (message: string, xmlCode = 'InvalidArgument'): StorageError =>
  new StorageError(400, 'invalid', message, xmlCode);

export const preconditionFailed = (message: string): StorageError =>
  new StorageError(412, 'conditionNotMet', message, 'PreconditionFailed');

export const forbidden = (message: string, xmlCode = 'AccessDenied'): StorageError =>
  new StorageError(403, 'forbidden', message, xmlCode);

export function jsonErrorBody(error: StorageError): string {
  return JSON.stringify({
    error: {
      code: error.status,
      message: error.message,
      errors: [{ message: error.message, domain: 'global', reason: error.reason }],
    },
  });
}

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function xmlErrorBody(error: StorageError): string {
  return (
    "<?xml version='1.0' encoding='UTF-8'?>" +
    `<Error><Code>${escapeXml(error.xmlCode)}</Code><Message>${escapeXml(error.message)}</Message></Error>`
  );
}
