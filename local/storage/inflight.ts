import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonIfExists, removeQuietly, writeFileAtomic } from './files';
import type { Layout } from './layout';

// Uploads through signed URLs that were cut off by a crash. A marker file is written when
// a signed PUT starts and removed when it ends, however it ends; markers found at start-up
// are uploads the last run never finished. The local stack uses them to settle the jobs
// waiting for those uploads (see local/recovery.ts). A marker stays until it is forgotten,
// so a second crash before that does not lose it.

export interface InterruptedUpload {
  bucket: string;
  name: string;
  /** When the cut-off PUT started. */
  startedAt: string;
}

interface Marker extends InterruptedUpload {
  file: string;
}

export class InflightUploads {
  private leftovers: Marker[] = [];

  private constructor(private readonly layout: Layout) {}

  private get dir(): string {
    return join(this.layout.root, 'inflight');
  }

  /** Reads the markers a previous run left behind. */
  static async open(layout: Layout): Promise<InflightUploads> {
    const uploads = new InflightUploads(layout);
    await mkdir(uploads.dir, { recursive: true });
    for (const entry of (await readdir(uploads.dir)).filter((e) => e.endsWith('.json')).sort()) {
      const file = join(uploads.dir, entry);
      const marker = await readJsonIfExists<InterruptedUpload>(file).catch(() => undefined);
      if (marker && typeof marker.bucket === 'string' && typeof marker.name === 'string')
        uploads.leftovers.push({ ...marker, file });
      else await removeQuietly(file);
    }
    return uploads;
  }

  /** Records an upload in progress; call the returned function when it ends. */
  async begin(bucket: string, name: string): Promise<() => Promise<void>> {
    const file = join(this.dir, `${Date.now()}-${randomBytes(8).toString('hex')}.json`);
    const marker: InterruptedUpload = { bucket, name, startedAt: new Date().toISOString() };
    await writeFileAtomic(file, JSON.stringify(marker), this.layout.tempFile());
    return () => removeQuietly(file);
  }

  /** Uploads the previous run left unfinished, one entry per object. */
  interrupted(): InterruptedUpload[] {
    const byObject = new Map<string, InterruptedUpload>();
    for (const { bucket, name, startedAt } of this.leftovers)
      byObject.set(`${bucket}\u0000${name}`, { bucket, name, startedAt });
    return [...byObject.values()];
  }

  /** Drops the markers of an object once whoever cares has dealt with them. */
  async forget(bucket: string, name: string): Promise<void> {
    const gone = this.leftovers.filter((m) => m.bucket === bucket && m.name === name);
    this.leftovers = this.leftovers.filter((m) => !gone.includes(m));
    for (const marker of gone) await removeQuietly(marker.file);
  }
}
