import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { receiveToFile } from './body';
import { badRequest, StorageError } from './errors';
import { readJsonIfExists, removeQuietly, writeFileAtomic } from './files';
import { ContentHasher, type ContentDigest } from './hashing';
import { MAX_OBJECT_BYTES, tooLarge } from './limits';
import { KeyedMutex } from './mutex';
import type { Preconditions } from './preconditions';
import type { ObjectRecord, WritableObjectMetadata } from './records';
import type { FileStore } from './store';

// Resumable upload sessions (uploadType=resumable): a POST opens a session, then PUTs
// carry the bytes, whole or in chunks with Content-Range "bytes FIRST-LAST/TOTAL", where
// LAST and TOTAL may be '*' when the client does not know them yet. Sessions live on disk
// (ROOT/uploads) so an interrupted upload can resume after a restart; the bytes received
// so far are simply the size of the session's .part file.

interface SessionRecord {
  id: string;
  bucket: string;
  name: string;
  metadata: WritableObjectMetadata;
  preconditions: Preconditions;
}

export type ChunkResult = { done: true; object: ObjectRecord } | { done: false; received: number };

interface ContentRange {
  first?: number;
  last?: number;
  total?: number;
}

const SESSION_ID = /^[0-9a-f]{32}$/;
const FINISHED_KEPT = 1000;

export function parseContentRange(header: string | undefined): ContentRange {
  if (header === undefined) return { first: 0 };
  const m = /^bytes (?:\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(header.trim());
  if (!m) throw badRequest(`Invalid Content-Range '${header}'.`);
  const num = (text: string | undefined): number | undefined =>
    text === undefined || text === '*' ? undefined : Number(text);
  return { first: num(m[1]), last: num(m[2]), total: num(m[3]) };
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

async function digestFile(path: string): Promise<ContentDigest> {
  const hasher = new ContentHasher();
  for await (const chunk of createReadStream(path)) hasher.update(chunk as Buffer);
  return hasher.digest();
}

export class ResumableSessions {
  private readonly locks = new KeyedMutex();
  /** Finished sessions, so a status query after the final chunk still gets the object. */
  private readonly finished = new Map<string, ObjectRecord>();

  constructor(private readonly store: FileStore) {}

  private sessionFile(id: string): string {
    return join(this.store.layout.uploadsDir, `${id}.json`);
  }
  private partFile(id: string): string {
    return join(this.store.layout.uploadsDir, `${id}.part`);
  }

  async start(session: Omit<SessionRecord, 'id'>): Promise<string> {
    const id = randomBytes(16).toString('hex');
    await writeFileAtomic(
      this.sessionFile(id),
      JSON.stringify({ ...session, id }),
      this.store.layout.tempFile(),
    );
    return id;
  }

  async put(id: string, body: Readable, contentRangeHeader: string | undefined): Promise<ChunkResult> {
    if (!SESSION_ID.test(id)) throw new StorageError(404, 'notFound', 'No such upload session.');
    return this.locks.run(id, async () => {
      const done = this.finished.get(id);
      if (done) return { done: true, object: done };
      const session = await readJsonIfExists<SessionRecord>(this.sessionFile(id));
      if (!session)
        throw new StorageError(
          404,
          'notFound',
          'No such upload session (it may have been completed or cancelled).',
        );
      const part = this.partFile(id);
      let received = await sizeOf(part);
      const range = parseContentRange(contentRangeHeader);

      if (range.first !== undefined) {
        if (range.first !== received) {
          // Out of step with what we hold: tell the client where to resume.
          body.resume();
          return { done: false, received };
        }
        const digest = await receiveToFile(
          body,
          part,
          {
            maxBytes: MAX_OBJECT_BYTES - received,
            error: () => tooLarge(MAX_OBJECT_BYTES),
          },
          true,
        );
        received += digest.size;
      }

      const total = range.total;
      if (total !== undefined && received > total) {
        throw badRequest(`Received ${received} bytes for an upload declared as ${total} bytes.`);
      }
      const complete =
        (total !== undefined && received === total) ||
        // "bytes N-*/*": the rest of the object is this request's body.
        (range.first !== undefined && range.last === undefined && total === undefined);
      if (!complete) return { done: false, received };

      try {
        const object = await this.store.commitObject({
          bucket: session.bucket,
          name: session.name,
          tempFile: part,
          digest: await digestFile(part),
          metadata: session.metadata,
          preconditions: session.preconditions,
        });
        this.remember(id, object);
        return { done: true, object };
      } finally {
        await removeQuietly(this.sessionFile(id));
        await removeQuietly(part);
      }
    });
  }

  private remember(id: string, object: ObjectRecord): void {
    this.finished.set(id, object);
    // Only recent sessions can still be asked about; keep the map bounded.
    if (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.keys().next().value as string);
  }

  async cancel(id: string): Promise<void> {
    if (!SESSION_ID.test(id)) return;
    await this.locks.run(id, async () => {
      await removeQuietly(this.sessionFile(id));
      await removeQuietly(this.partFile(id));
    });
  }
}
