/** The message `analyze` publishes on the render topic and `render` consumes. */
import type { Analysis } from '../core';
import { MalformedEvent } from './events';
import { isJobId } from './jobs';
import { JobRequest } from './contract';

export interface RenderRequest {
  version: 1;
  id: string;
  source: { bucket: string; object: string; generation: string };
  request: JobRequest;
  analysis: Analysis;
  /** When analysis finished, so `render` can report the time spent waiting in the queue. */
  analyzedAt: string;
}

export function parseRenderRequest(data: Buffer): RenderRequest {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new MalformedEvent('render request is not JSON');
  }
  const message = value as Partial<RenderRequest> | null;
  const fail = (what: string): never => {
    throw new MalformedEvent(`render request ${what}`);
  };
  if (!message || typeof message !== 'object') return fail('is not an object');
  if (message.version !== 1) fail(`has unknown version ${String(message.version)}`);
  if (typeof message.id !== 'string' || !isJobId(message.id)) fail('has no valid job id');
  const source = message.source;
  if (
    !source ||
    typeof source.bucket !== 'string' ||
    typeof source.object !== 'string' ||
    typeof source.generation !== 'string'
  )
    fail('lacks its source object');
  const analysis = message.analysis;
  if (
    !analysis ||
    typeof analysis.width !== 'number' ||
    typeof analysis.height !== 'number' ||
    !Array.isArray(analysis.faces)
  )
    fail('lacks an analysis');
  for (const face of analysis!.faces) {
    if (
      !face ||
      typeof face.box?.x !== 'number' ||
      typeof face.dominant !== 'string' ||
      typeof face.emotions !== 'object'
    )
      fail('has a malformed face');
  }
  if (
    !message.request ||
    typeof message.request.style !== 'string' ||
    typeof message.request.lang !== 'string'
  )
    fail('lacks style and language');
  return message as RenderRequest;
}
