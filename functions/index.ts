/**
 * Cloud Functions entry point (package.json "main"): registers every function with the
 * functions framework. All of them deploy from the same zip, each with its own entry point
 * (build_config.entry_point in infra/functions.tf), and each loads only its own module,
 * functions/entries/<name>.ts, on its first call: `upload`, `deadLetter` and `sweep` never
 * load onnxruntime, sharp, the canvas or the fonts, and `render` never loads the models.
 *
 * A new function: a module in entries/ exporting `create(context)`, and one line below.
 *
 * Clients are built from the environment, as on GCP (Application Default Credentials);
 * the local stack points the same code at its servers with STORAGE_EMULATOR_HOST,
 * PUBSUB_EMULATOR_HOST and a local key file, so nothing here knows where it runs.
 */
import * as functions from '@google-cloud/functions-framework';
import { loadConfig } from './cloud/config';
import { jsonLogger } from './cloud/log';
import { EntryContext, lazyHandler } from './entries/entry';

// Parsed once at start-up: a missing setting stops the instance with a clear message.
const context: EntryContext = { config: loadConfig(), log: jsonLogger({ service: 'memegen' }) };

functions.cloudEvent(
  'analyze',
  lazyHandler(() => import('./entries/analyze'), context),
);
functions.cloudEvent(
  'render',
  lazyHandler(() => import('./entries/render'), context),
);
functions.http(
  'upload',
  lazyHandler(() => import('./entries/upload'), context),
);
functions.cloudEvent(
  'deadLetter',
  lazyHandler(() => import('./entries/deadLetter'), context),
);
functions.cloudEvent(
  'sweep',
  lazyHandler(() => import('./entries/sweep'), context),
);
