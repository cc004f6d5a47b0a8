/**
 * `render`: a render request → the meme and the final status in the public bucket, then the
 * original deleted from the inbox. Renders are deterministic per job (the job id seeds the
 * caption), so a duplicate delivery rewrites identical bytes: still exactly one meme.
 *
 * Only the job's current request is acted on: its ticket must match the status's, and its
 * source the upload generation the job expects. Anything else (a request for a job that
 * is not being analysed, a stale one replaced by a newer analysis, a forged one) is
 * acknowledged, logged and ignored: it never fails a job.
 */
import { renderMeme } from '../core/rendering';
import { Config } from './config';
import { IncomingEvent, MalformedEvent, pubSubMessage } from './events';
import { failOrRetry, PermanentFailure } from './failures';
import { Logger } from './log';
import { BlobStore } from './ports';
import { parseRenderRequest, RenderRequest, renderRequestMismatch } from './renderRequest';
import { StatusDocument } from './contract';
import { canMove, facesForStatus, isFinished, memeObjectName, publicUrls, StatusStore } from './status';

/** Memes never change once written (same job → same bytes), so browsers and CDNs may keep them. */
export const MEME_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export interface RenderDependencies {
  config: Config;
  blobs: BlobStore;
  log: Logger;
  now?: () => Date;
}

export function createRenderHandler(deps: RenderDependencies): (event: IncomingEvent) => Promise<void> {
  const { config, blobs } = deps;
  const now = deps.now ?? (() => new Date());
  const statuses = new StatusStore(blobs, config.publicBucket);

  return async (event) => {
    let job: RenderRequest;
    try {
      job = parseRenderRequest(pubSubMessage(event).data);
    } catch (error) {
      if (!(error instanceof MalformedEvent)) throw error;
      deps.log.log('ERROR', `dropped a malformed render request: ${error.message}`, { eventId: event.id });
      return;
    }
    const { id, source } = job;
    const log = deps.log.with({
      jobId: id,
      function: 'render',
      object: source.object,
      generation: source.generation,
    });
    const fresh = (): StatusDocument => ({
      id,
      state: 'rendering',
      request: job.request,
      ...publicUrls(config, id),
      source,
      timings: {},
      createdAt: job.analyzedAt,
      updatedAt: now().toISOString(),
    });

    try {
      const started = now();
      // The upload is fetched while the status records this delivery: two round trips at once.
      const download = blobs.read(source.bucket, source.object, source.generation);
      download.catch(() => undefined); // awaited below unless the request is not the job's
      let finished = false;
      let mismatch: string | undefined;
      const begun = await statuses.update(id, (current) => {
        finished = isFinished(current);
        mismatch = finished ? undefined : renderRequestMismatch(current, job);
        if (finished || mismatch) return undefined;
        return {
          ...current!,
          state: 'rendering',
          faces: current!.faces ?? facesForStatus(job.analysis.faces),
          attempts: { ...current!.attempts, render: (current!.attempts?.render ?? 0) + 1 },
          updatedAt: started.toISOString(),
        };
      });
      if (!begun) {
        if (finished) log.log('INFO', 'duplicate delivery: this meme is already finished');
        else log.log('WARNING', `ignored a render request: ${mismatch ?? 'it does not match its job'}`);
        return;
      }
      const upload = await download;
      if (!upload) {
        if (isFinished(await statuses.read(id))) return; // a concurrent delivery finished and deleted it
        throw new PermanentFailure(
          'UPLOAD_MISSING',
          'the uploaded file was no longer there to render (replaced or deleted)',
        );
      }
      const meme = await renderMeme(upload.bytes, job.analysis, {
        style: job.request.style,
        lang: job.request.lang,
        caption: job.request.caption,
        seed: id,
        format: config.memeFormat,
        maxSide: config.memeMaxSide,
        limitInputPixels: config.maxInputPixels,
      });
      await blobs.write(config.publicBucket, memeObjectName(id, config.memeFormat), meme.bytes, {
        contentType: meme.contentType,
        cacheControl: MEME_CACHE_CONTROL,
      });
      const done = now();
      const renderMs = done.getTime() - started.getTime();
      const waitMs = Math.max(0, started.getTime() - Date.parse(job.analyzedAt));
      const written = await statuses.update(id, (current) => {
        if (!canMove(current, 'done')) return undefined;
        const base = current ?? fresh();
        const totalMs = done.getTime() - Date.parse(base.uploadedAt ?? base.createdAt);
        return {
          ...base,
          state: 'done',
          request: job.request,
          faces: base.faces ?? facesForStatus(job.analysis.faces),
          caption: meme.caption,
          meme: {
            width: meme.width,
            height: meme.height,
            contentType: meme.contentType,
            bytes: meme.bytes.length,
          },
          timings: {
            ...base.timings,
            ...(base.timings.analyzeMs === undefined &&
              job.analyzeMs !== undefined && { analyzeMs: job.analyzeMs }),
            waitMs,
            renderMs,
            totalMs,
          },
          updatedAt: done.toISOString(),
        };
      });
      await blobs.delete(source.bucket, source.object, { ifGenerationMatch: source.generation });
      log.log('INFO', written ? 'meme done' : 'meme rewritten by a duplicate delivery', {
        renderMs,
        waitMs,
        bytes: meme.bytes.length,
      });
    } catch (error) {
      return failOrRetry(
        error,
        { id, statuses, blobs, log, source, fresh },
        'render',
        config.maxDeliveryAttempts,
        now(),
      );
    }
  };
}
