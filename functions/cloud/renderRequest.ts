/** The message `analyze` publishes on the render topic and `render` consumes. */
import { createHash, randomBytes } from 'node:crypto';
import type { Analysis } from '../core';
import { JobRequest, StatusDocument } from './contract';
import { MalformedEvent } from './events';
import { isJobId } from './jobs';

export interface RenderRequest {
  version: 2;
  id: string;
  source: { bucket: string; object: string; generation: string };
  /**
   * A secret drawn by the analysis that published this request; the job's status keeps its
   * SHA-256 (ticketSha256), so render knows the request is the job's current one and not a
   * stale, early or forged one (the status is public, the ticket is not).
   */
  ticket: string;
  request: JobRequest;
  analysis: Analysis;
  /** When analysis finished, so `render` can report the time spent waiting in the queue. */
  analyzedAt: string;
  analyzeMs?: number;
}

export function newTicket(): string {
  return randomBytes(18).toString('base64url');
}

export function ticketSha256(ticket: string): string {
  return createHash('sha256').update(ticket).digest('hex');
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
  if (message.version !== 2) fail(`has unknown version ${String(message.version)}`);
  if (typeof message.id !== 'string' || !isJobId(message.id)) fail('has no valid job id');
  if (typeof message.ticket !== 'string' || message.ticket.length < 16) fail('has no ticket');
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

/** Why a render request is not the job's current one, or undefined when it is. */
export function renderRequestMismatch(
  current: StatusDocument | undefined,
  job: RenderRequest,
): string | undefined {
  if (!current) return 'the job has no status';
  if (current.state !== 'analyzing' && current.state !== 'rendering')
    return `the job is ${current.state}, not being analysed or rendered`;
  const expected = current.source;
  if (
    !expected ||
    expected.bucket !== job.source.bucket ||
    expected.object !== job.source.object ||
    expected.generation !== job.source.generation
  )
    return 'it names another upload than the job expects';
  if (current.ticketSha256 !== ticketSha256(job.ticket)) return 'its ticket is not the current analysis';
  return undefined;
}
