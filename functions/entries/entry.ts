/**
 * What every function's module gets, and how functions/index.ts loads a module only when
 * its function is first called. All functions deploy from one zip; a Cloud Run instance
 * serves one of them, so loading the others' dependencies (onnxruntime and the models for
 * `analyze`, the canvas, sharp and the fonts for `render`) would only cost start-up time
 * and memory.
 */
import type { Config } from '../cloud/config';
import type { Logger } from '../cloud/log';

/** Parsed once at start-up by index.ts and shared by whichever function runs. */
export interface EntryContext {
  config: Config;
  log: Logger;
}

/** A function's module (functions/entries/<name>.ts): builds its handler from the context. */
export interface EntryModule<Handler> {
  create(context: EntryContext): Handler;
}

/**
 * A handler that imports its module and builds the real handler on the first call, then
 * reuses it. A failed import is not kept: the call fails (the framework answers 500, so
 * Pub/Sub delivers again) and the next call tries again.
 */
export function lazyHandler<Args extends unknown[]>(
  load: () => Promise<EntryModule<(...args: Args) => unknown>>,
  context: EntryContext,
): (...args: Args) => Promise<unknown> {
  let handler: Promise<(...args: Args) => unknown> | undefined;
  return async (...args) => {
    if (!handler) {
      handler = load().then((module) => module.create(context));
      handler.catch(() => (handler = undefined));
    }
    return (await handler)(...args);
  };
}
