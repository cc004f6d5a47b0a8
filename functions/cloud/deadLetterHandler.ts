/**
 * `deadLetter`: a message Pub/Sub gave up on (every delivery failed, crashed or timed out)
 * → its job ends `failed` with RETRIES_EXHAUSTED, unless it already ended. The original
 * stays in the inbox for investigation (its lifecycle rule removes it).
 *
 * The message is the original one: an inbox notification (analyze's) or a render request
 * (render's). Only a message that is really the job's is acted on, because the dead-letter
 * topic cannot tell who published to it (on GCP only Pub/Sub may, by IAM; the local
 * emulator lets anyone): a render request must carry the job's current ticket, and a
 * notification must name the upload the job expects after the job has begun as many
 * analyses as Pub/Sub delivers. Anything else is acknowledged, logged and ignored.
 */
import { Config } from './config';
import { IncomingEvent, MalformedEvent, pubSubMessage, storageEvent } from './events';
import { jobIdFor } from './jobs';
import { Logger } from './log';
import { BlobStore } from './ports';
import { parseRenderRequest, renderRequestMismatch } from './renderRequest';
import { StatusDocument } from './contract';
import { canMove, failedStatus, RETRIES_EXHAUSTED_MESSAGE, StatusStore } from './status';

export interface DeadLetterDependencies {
  config: Config;
  blobs: BlobStore;
  log: Logger;
  now?: () => Date;
}

/** Pub/Sub's attribute naming the subscription a dead letter came from. */
const SOURCE_SUBSCRIPTION = 'CloudPubSubDeadLetterSourceSubscription';

interface DeadJob {
  id: string;
  stage: 'analyze' | 'render';
  /** Why the message is not the job's, given its status; undefined when it is. */
  mismatch: (current: StatusDocument) => string | undefined;
}

export function createDeadLetterHandler(
  deps: DeadLetterDependencies,
): (event: IncomingEvent) => Promise<void> {
  const { config } = deps;
  const now = deps.now ?? (() => new Date());
  const statuses = new StatusStore(deps.blobs, config.publicBucket);

  /** Which job a dead letter is about, from its attributes (a notification) or its data (a render request). */
  const deadJob = (event: IncomingEvent): DeadJob => {
    const message = pubSubMessage(event);
    if (message.attributes.eventType !== undefined) {
      const outcome = storageEvent(event);
      if (outcome.kind === 'ignored') throw new MalformedEvent(outcome.reason);
      const object = outcome.object;
      return {
        id: jobIdFor(object),
        stage: 'analyze',
        mismatch: (current) => {
          const source = current.source;
          if (
            !source ||
            source.bucket !== object.bucket ||
            source.object !== object.name ||
            source.generation !== object.generation
          )
            return 'it names another upload than the job expects';
          const begun = current.attempts?.analyze ?? 0;
          if (begun < config.maxDeliveryAttempts)
            return `the job began ${begun} of the ${config.maxDeliveryAttempts} analyses Pub/Sub makes`;
          return undefined;
        },
      };
    }
    const request = parseRenderRequest(message.data);
    return {
      id: request.id,
      stage: 'render',
      mismatch: (current) => renderRequestMismatch(current, request),
    };
  };

  return async (event) => {
    let job: DeadJob;
    try {
      job = deadJob(event);
    } catch (error) {
      if (!(error instanceof MalformedEvent)) throw error;
      deps.log.log('ERROR', `dropped a malformed dead letter: ${error.message}`, { eventId: event.id });
      return;
    }
    const from = pubSubMessage(event).attributes[SOURCE_SUBSCRIPTION];
    const log = deps.log.with({
      jobId: job.id,
      function: 'deadLetter',
      stage: job.stage,
      subscription: from,
    });
    const outcome: { why?: string; final?: boolean } = {};
    const failed = await statuses.update(job.id, (current) => {
      if (!current) {
        outcome.why = 'the job has no status';
        return undefined;
      }
      if (!canMove(current, 'failed')) {
        outcome.final = true;
        return undefined;
      }
      outcome.why = job.mismatch(current);
      if (outcome.why) return undefined;
      return failedStatus(current, 'RETRIES_EXHAUSTED', RETRIES_EXHAUSTED_MESSAGE, now());
    });
    if (failed)
      log.log('ERROR', `job failed: every ${job.stage} delivery failed`, { code: 'RETRIES_EXHAUSTED' });
    else if (outcome.final) log.log('INFO', 'dead letter for a job that already ended');
    else log.log('WARNING', `ignored a dead letter: ${outcome.why ?? 'it does not match its job'}`);
  };
}
