/**
 * onnxruntime sessions, created once per process and shared: creating one costs
 * tens of milliseconds, running one costs about a millisecond.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelEntry, modelsDir } from './manifest';

export interface SessionOptions {
  /** Threads per operator; default lets onnxruntime choose (one per core). */
  intraOpNumThreads?: number;
}

const cache = new Map<string, Promise<ort.InferenceSession>>();

export function loadSession(entry: ModelEntry, options: SessionOptions = {}, dir = modelsDir()): Promise<ort.InferenceSession> {
  const key = `${dir}/${entry.file}#${options.intraOpNumThreads ?? 0}`;
  let session = cache.get(key);
  if (!session) {
    session = ort.InferenceSession.create(join(dir, entry.file), {
      graphOptimizationLevel: 'all',
      ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    });
    // A failed load must not poison the cache for the next attempt.
    session.catch(() => cache.delete(key));
    cache.set(key, session);
  }
  return session;
}
