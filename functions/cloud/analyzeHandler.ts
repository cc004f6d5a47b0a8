/**
 * `analyze`: an upload landed in the inbox → faces and expressions → a render request.
 *
 * Idempotent per (bucket, object, generation): the job id comes from them, and the status
 * document says whether this work was already done, so duplicate and late deliveries are
 * acknowledged without effect. A job acts only on the upload generation it expects: the
 * first one it saw (signed URLs are create-only, so normally the only one). A notification
 * for an object generation that is not in the inbox (stale or forged) is ignored; another
 * generation arriving for a job that already has one, or has ended, is deleted unprocessed.
 */
import type { Analysis } from '../core';
import { Config } from './config';
import { MalformedEvent, IncomingEvent, storageEvent, UploadedObject } from './events';
import { failOrRetry, PermanentFailure } from './failures';
import { jobIdFor } from './jobs';
import { requestFromMetadata } from './jobRequest';
import { Logger } from './log';
import { StatusDocument } from './contract';
import { BlobStore, ObjectInfo, Publisher } from './ports';
import { newTicket, RenderRequest, ticketSha256 } from './renderRequest';
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

/** What the status says to do with a delivery for an upload that is in the inbox. */
type Decision = { kind: 'begin' } | { kind: 'duplicate'; leftover: boolean } | { kind: 'stray'; why: string };

/**
 * A delivery either begins (or, when memegen redelivered a job whose work was lost, begins
 * again) the job's analysis, is a duplicate of work done or under way, or brings an upload
 * generation the job does not expect.
 */
function decide(current: StatusDocument | undefined, object: UploadedObject): Decision {
  const expected = current?.source?.generation;
  if (expected !== undefined && expected !== object.generation)
    return { kind: 'stray', why: `the job expects generation ${expected}` };
  if (isFinished(current)) {
    if (expected === undefined) return { kind: 'stray', why: `the job already ended (${current!.state})` };
    // render deletes the original after the meme; a crash in between can leave it behind.
    return { kind: 'duplicate', leftover: current!.state === 'done' };
  }
  if (!current || current.state === 'queued' || current.state === 'analyzing') return { kind: 'begin' };
  return object.redelivery ? { kind: 'begin' } : { kind: 'duplicate', leftover: false };
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
      ...(object.redelivery && { redelivery: object.redelivery }),
    });
    const source = { bucket: object.bucket, object: object.name, generation: object.generation };

    // The object itself, not the notification, says what was uploaded: a notification can be
    // late (the object replaced or deleted since), or forged where anyone can publish.
    let info: ObjectInfo | undefined;
    try {
      info = await blobs.describe(object.bucket, object.name);
    } catch (error) {
      log.log('ERROR', 'could not look up the upload; Pub/Sub will deliver again', { error });
      throw error;
    }
    if (!info || info.generation !== object.generation) {
      log.log(
        'INFO',
        'ignored a notification for an upload generation that is not in the inbox (stale or forged)',
        {
          liveGeneration: info?.generation,
        },
      );
      return;
    }
    const { request, warnings } = requestFromMetadata(info.metadata, config);
    for (const warning of warnings) log.log('WARNING', warning);
    const createdAt = info.createdAt;
    const fresh = (): StatusDocument => ({
      id,
      state: 'queued',
      request,
      ...publicUrls(config, id),
      timings: {},
      createdAt,
      updatedAt: now().toISOString(),
    });

    try {
      const started = now();
      const tooLarge = (bytes: number): PermanentFailure =>
        new PermanentFailure(
          'TOO_LARGE',
          `the file is ${bytes.toLocaleString('en')} bytes; the limit is ${config.maxUploadBytes.toLocaleString('en')}`,
        );
      const ticket = newTicket();
      const seen: { decision: Decision } = { decision: { kind: 'begin' } };
      const begun = await statuses.update(id, (current) => {
        seen.decision = decide(current, object);
        if (seen.decision.kind !== 'begin') return undefined;
        const base = current ?? fresh();
        const queuedMs = Math.max(0, started.getTime() - Date.parse(createdAt));
        return {
          ...base,
          state: 'analyzing',
          source,
          request,
          uploadedAt: createdAt,
          ticketSha256: ticketSha256(ticket),
          attempts: { ...base.attempts, analyze: (base.attempts?.analyze ?? 0) + 1 },
          timings: { ...base.timings, queuedMs },
          updatedAt: started.toISOString(),
        };
      });
      if (!begun) return settle(seen.decision);

      // gsutil uploads skip the signed URL's size cap: refuse before downloading.
      if (info.size > config.maxUploadBytes) throw tooLarge(info.size);
      const upload = await blobs.read(object.bucket, object.name, object.generation);
      if (!upload) {
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
        version: 2,
        id,
        source,
        ticket,
        request,
        analysis,
        analyzedAt: analyzed.toISOString(),
        analyzeMs,
      };
      await publisher.publishJson(config.renderTopic, message, { jobId: id });
      // Published first: if writing this status fails, the retry analyses again and publishes
      // a request with a new ticket, which replaces this one. Render may also have moved the
      // job on already; a newer delivery's ticket means this one's request is void.
      await statuses.update(id, (current) =>
        current && current.ticketSha256 === ticketSha256(ticket) && canMove(current, 'rendering')
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

    async function settle(decision: Decision): Promise<void> {
      if (decision.kind === 'begin') return;
      if (decision.kind === 'duplicate') {
        log.log('INFO', 'duplicate delivery: this upload was already analysed');
        if (
          decision.leftover &&
          (await blobs.delete(object.bucket, object.name, { ifGenerationMatch: object.generation }))
        )
          log.log('INFO', 'deleted the original a finished job had left in the inbox');
        return;
      }
      // Only this generation: nothing else under the name is touched.
      await blobs.delete(object.bucket, object.name, { ifGenerationMatch: object.generation });
      log.log('WARNING', `deleted an upload this job does not expect, unprocessed: ${decision.why}`);
    }
  };
}
