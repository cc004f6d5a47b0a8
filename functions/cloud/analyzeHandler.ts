/**
 * `analyze`: an upload landed in the inbox → faces and expressions → a render request.
 *
 * Idempotent per (bucket, object, generation): the job id comes from them, and the status
 * document says whether this work was already done, so duplicate and late deliveries are
 * acknowledged without effect.
 */
import type { Analysis } from '../core';
import { Config } from './config';
import { MalformedEvent, IncomingEvent, storageEvent, UploadedObject } from './events';
import { failOrRetry, PermanentFailure } from './failures';
import { jobIdFor } from './jobs';
import { requestFromMetadata } from './jobRequest';
import { Logger } from './log';
import { BlobStore, Publisher } from './ports';
import { RenderRequest } from './renderRequest';
import { StatusDocument } from './contract';
import { canMove, facesForStatus, isFinished, publicUrls, StatusStore } from './status';

export interface AnalyzeDependencies {
  config: Config;
  blobs: BlobStore;
  publisher: Publisher;
  /** The vision core, loaded once per instance. */
  analyze: (bytes: Uint8Array) => Promise<Analysis>;
  log: Logger;
  now?: () => Date;
}

export function createAnalyzeHandler(deps: AnalyzeDependencies): (event: IncomingEvent) => Promise<void> {
  const { config, blobs, publisher } = deps;
  const now = deps.now ?? (() => new Date());
  const statuses = new StatusStore(blobs, config.publicBucket);

  return async (event) => {
    let object: UploadedObject;
    try {
      const outcome = storageEvent(event);
      if (outcome.kind === 'ignored') {
        deps.log.log('DEBUG', `ignored: ${outcome.reason}`, { eventId: event.id });
        return;
      }
      object = outcome.object;
    } catch (error) {
      if (!(error instanceof MalformedEvent)) throw error;
      deps.log.log('ERROR', `dropped a malformed upload event: ${error.message}`, { eventId: event.id });
      return;
    }
    // Loop guard: only the inbox feeds the pipeline, whatever a misconfigured trigger sends.
    if (object.bucket !== config.inboxBucket) {
      deps.log.log(
        'WARNING',
        `ignored an object outside the inbox bucket: gs://${object.bucket}/${object.name}`,
      );
      return;
    }

    const id = jobIdFor(object);
    const log = deps.log.with({
      jobId: id,
      function: 'analyze',
      object: object.name,
      generation: object.generation,
    });
    const source = { bucket: object.bucket, object: object.name, generation: object.generation };
    const { request, warnings } = requestFromMetadata(object.metadata, config);
    for (const warning of warnings) log.log('WARNING', warning);
    const fresh = (): StatusDocument => ({
      id,
      state: 'queued',
      request,
      ...publicUrls(config, id),
      timings: {},
      createdAt: (object.createdAt ? new Date(object.createdAt) : now()).toISOString(),
      updatedAt: now().toISOString(),
    });

    try {
      const started = now();
      const tooLarge = (bytes: number): PermanentFailure =>
        new PermanentFailure(
          'TOO_LARGE',
          `the file is ${bytes.toLocaleString('en')} bytes; the limit is ${config.maxUploadBytes.toLocaleString('en')}`,
        );
      // gsutil uploads skip the signed URL's size cap: refuse before downloading.
      if (object.size !== undefined && object.size > config.maxUploadBytes) throw tooLarge(object.size);
      // The upload is fetched while the status moves to "analyzing": two round trips at once.
      const download = blobs.read(object.bucket, object.name);
      download.catch(() => undefined); // awaited below unless this is a duplicate
      const begun = await statuses.update(id, (current) => {
        if (
          isFinished(current) ||
          (current?.source?.generation === object.generation &&
            current.state !== 'queued' &&
            current.state !== 'analyzing')
        )
          return undefined;
        const base = current ?? fresh();
        const queuedMs = object.createdAt
          ? Math.max(0, started.getTime() - Date.parse(object.createdAt))
          : undefined;
        return {
          ...base,
          state: 'analyzing',
          source,
          request,
          uploadedAt: object.createdAt,
          timings: { ...base.timings, queuedMs },
          updatedAt: started.toISOString(),
        };
      });
      if (!begun) {
        log.log('INFO', 'duplicate delivery: this upload was already analysed');
        return;
      }

      const upload = await download;
      if (!upload || upload.generation !== object.generation) {
        if (isFinished(await statuses.read(id))) return;
        throw new PermanentFailure(
          'UPLOAD_MISSING',
          'the uploaded file was no longer there to analyse (replaced or deleted)',
        );
      }
      if (upload.bytes.length > config.maxUploadBytes) throw tooLarge(upload.bytes.length);
      const analysis = await deps.analyze(upload.bytes);
      const analyzed = now();
      const analyzeMs = analyzed.getTime() - started.getTime();
      const message: RenderRequest = {
        version: 1,
        id,
        source,
        request,
        analysis,
        analyzedAt: analyzed.toISOString(),
      };
      await publisher.publishJson(config.renderTopic, message, { jobId: id });
      // Published first: if writing this status fails, the retry finds "analyzing" and publishes
      // again, which render absorbs. Render may also have finished already; then nothing changes.
      await statuses.update(id, (current) =>
        current && current.state === 'analyzing' && canMove(current, 'rendering')
          ? {
              ...current,
              state: 'rendering',
              faces: facesForStatus(analysis.faces),
              timings: { ...current.timings, analyzeMs },
              updatedAt: analyzed.toISOString(),
            }
          : undefined,
      );
      log.log('INFO', `analysed: ${analysis.faces.length} face(s)`, {
        faces: analysis.faces.length,
        analyzeMs,
      });
    } catch (error) {
      return failOrRetry(
        error,
        { id, statuses, blobs, log, source, fresh },
        'analyze',
        config.maxDeliveryAttempts,
        now(),
      );
    }
  };
}
