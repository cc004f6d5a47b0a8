/**
 * Cloud Functions entry point: registers `analyze`, `render`, `upload`, `deadLetter` and
 * `sweep` with the functions framework. Deployed with --entry-point / --target set to one
 * of them.
 *
 * Clients are built from the environment, as on GCP (Application Default Credentials);
 * the local stack points the same code at its servers with STORAGE_EMULATOR_HOST,
 * PUBSUB_EMULATOR_HOST and a local key file, so nothing here knows where it runs.
 */
import * as functions from '@google-cloud/functions-framework';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { defaultAnalyzer } from './core';
import { createAnalyzeHandler } from './cloud/analyzeHandler';
import { loadConfig } from './cloud/config';
import { createDeadLetterHandler } from './cloud/deadLetterHandler';
import { gcsBlobStore, pubsubPublisher } from './cloud/gcs';
import { jsonLogger } from './cloud/log';
import { loadPageAssets } from './cloud/page';
import { createRenderHandler } from './cloud/renderHandler';
import { createSweepHandler } from './cloud/sweep';
import { createUploadHandler } from './cloud/uploadHandler';

// Parsed once at start-up: a missing setting stops the instance with a clear message.
const config = loadConfig();
const log = jsonLogger({ service: 'memegen' });
const blobs = gcsBlobStore(new Storage());

functions.cloudEvent(
  'analyze',
  createAnalyzeHandler({
    config,
    blobs,
    publisher: pubsubPublisher(new PubSub()),
    analyze: async (bytes) => (await defaultAnalyzer()).analyze(bytes),
    log,
  }),
);

functions.cloudEvent('render', createRenderHandler({ config, blobs, log }));

functions.http('upload', createUploadHandler({ config, blobs, page: loadPageAssets(), log }));

functions.cloudEvent('deadLetter', createDeadLetterHandler({ config, blobs, log }));

// Built on the first tick: only the sweep's instance needs UPLOADS_TOPIC.
type SweepHandler = ReturnType<typeof createSweepHandler>;
let sweep: SweepHandler | undefined;
const sweepOnTick: SweepHandler = (event) => {
  sweep ??= createSweepHandler({ config, blobs, publisher: pubsubPublisher(new PubSub()), log });
  return sweep(event);
};
functions.cloudEvent('sweep', sweepOnTick);
