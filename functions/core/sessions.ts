/**
 * onnxruntime sessions, created once per process and shared: creating one costs
 * tens of milliseconds, running one costs about a millisecond.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelEntry, modelsDir } from './manifest';

export interface SessionOptions {
  /** Threads per operator; default lets onnxruntime choose (one per core). */
  intraOpNumThreads?: number;
}

const cache = new Map<string, Promise<ort.InferenceSession>>();

export function loadSession(
  entry: ModelEntry,
  options: SessionOptions = {},
  dir = modelsDir(),
): Promise<ort.InferenceSession> {
  const key = `${dir}/${entry.file}#${options.intraOpNumThreads ?? 0}`;
  let session = cache.get(key);
  if (!session) {
    if (!existsSync(join(dir, entry.file))) {
      const hint = entry.shipped
        ? 'the checkout is incomplete'
        : 'it is a comparison-only model: run `npm run models:export`';
      return Promise.reject(new Error(`model file ${join(dir, entry.file)} is missing (${hint})`));
    }
    session = ort.InferenceSession.create(join(dir, entry.file), {
      graphOptimizationLevel: 'all',
      // The arena keeps the largest buffers of every shape seen; off, peak memory making all
      // the bundled memes fell from 289 to 263 MB at the same speed (npm run bench).
      enableCpuMemArena: false,
      ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    });
    // A failed load must not poison the cache for the next attempt.
    session.catch(() => cache.delete(key));
    cache.set(key, session);
  }
  return session;
}
