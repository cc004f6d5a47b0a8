/**
 * File-system errors (a missing photo, an unwritable output folder) are the user's to fix:
 * they are told in one line naming the path, never with a stack trace.
 */
const WORDS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
};

export interface FileError extends Error {
  code: string;
  path?: string;
}

export function isFileError(error: unknown): error is FileError {
  return (
    error instanceof Error &&
    typeof (error as FileError).code === 'string' &&
    (error as FileError).code in WORDS
  );
}

/** What went wrong, in words: "no such file or folder". */
export function fileProblem(error: FileError): string {
  return WORDS[error.code] ?? error.message;
}

/** "photos/a.jpg: no such file or folder" */
export function describeFileError(error: FileError): string {
  return error.path ? `${error.path}: ${fileProblem(error)}` : `${fileProblem(error)} (${error.code})`;
}
