/**
 * The index of open jobs: one empty object per job that is not finished yet,
 * `jobs/open/<id>` in the public bucket, written before the job's first status and deleted
 * once its status is final. The sweep lists this prefix (a handful of objects: only jobs in
 * flight, or stuck) instead of the whole bucket, which holds every meme and status ever made.
 *
 * The entries hold nothing: the name is the job id, and the listing gives each one's
 * creation time, so the sweep reads a status only once it could be overdue. Anyone may
 * read an entry whose name they know (the bucket is public by name), which tells them
 * only that their own job is open; the bucket cannot be listed anonymously.
 */
import { BlobStore } from './ports';

export const OPEN_JOBS_PREFIX = 'jobs/open/';

export interface OpenJob {
  id: string;
  /** When the entry was written: the job cannot be older. */
  indexedAt: Date;
}

export class OpenJobIndex {
  constructor(
    private readonly blobs: BlobStore,
    private readonly bucket: string,
  ) {}

  async add(id: string): Promise<void> {
    await this.blobs.write(this.bucket, OPEN_JOBS_PREFIX + id, Buffer.alloc(0), {
      contentType: 'application/octet-stream',
      cacheControl: 'no-store',
    });
  }

  /** Best effort: an entry left behind points at a finished job, which the sweep drops. */
  async remove(id: string): Promise<void> {
    await this.blobs.delete(this.bucket, OPEN_JOBS_PREFIX + id).catch(() => false);
  }

  async list(): Promise<OpenJob[]> {
    const entries = await this.blobs.list(this.bucket, OPEN_JOBS_PREFIX);
    return entries.map((entry) => ({
      id: entry.name.slice(OPEN_JOBS_PREFIX.length),
      indexedAt: new Date(entry.createdAt),
    }));
  }
}
