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
      // The arena keeps its buffers between runs. With it off, every run of YuNet (whose input
      // size follows each picture's shape) allocates its large buffers anew, and new shapes then
      // ran 2-5x slower for several runs with spikes to 300 ms, and the heap fragmented. Five
      // bundled photos analysed 7 times each, arena on vs off in alternating processes (3
      // pairs): first analysis 36-179 vs 57-254 ms, resident memory 282-289 vs 316-375 MB.
      enableCpuMemArena: true,
      // Memory patterns plan one block for all of a run's activations, per input shape, and
      // keep every plan; YuNet sees a new shape with nearly every picture, so the arena grew by
      // each shape's block. Without them, analysing the ten bundled photos in one process
      // grew resident memory by 61 MB instead of 79 MB; a YuNet run at 640×448 took 6.6 ms
      // against 6.5 ms with them (sessions of both kinds interleaved in one process).
      enableMemPattern: false,
      ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    });
    // A failed load must not poison the cache for the next attempt.
    session.catch(() => cache.delete(key));
    cache.set(key, session);
  }
  return session;
}
