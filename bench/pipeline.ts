/**
 * `npm run bench:pipeline -- [--uploads N] [--concurrency C] [--pubsub emulator|in-process] [--json]`:
 * upload → meme latency and throughput through the local stack (`npm start`'s pieces, with
 * the Pub/Sub emulator by default). Each upload goes the way the page sends it: POST
 * /api/uploads, PUT to the signed URL, poll the status document until done.
 *
 * Latency is measured twice: by the pipeline (status timings.totalMs: the object's creation
 * to the final status write) and by the client (PUT finished → status seen done, polling
 * every 20 ms).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { StatusDocument, UploadRequest, UploadTicket } from '../functions/cloud/contract';
import { startLocalStack } from '../local/stack';
import { uploadMix } from './photos';
import { Percentiles, percentiles } from './stats';

export interface PipelineFigures {
  uploads: number;
  concurrency: number;
  pubsub: string;
  done: number;
  failed: number;
  lostOrDuplicated: number;
  memesPerSecond: number;
  pipelineLatencyMs: Percentiles;
  clientLatencyMs: Percentiles;
}

export async function benchPipeline(
  uploads: number,
  concurrency: number,
  pubsub: 'emulator' | 'in-process',
): Promise<PipelineFigures> {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const stack = await startLocalStack({
    port: 0,
    pubsub,
    dataDir: join(__dirname, '..', '.cache', `bench-stack-${process.pid}`),
    log: () => undefined,
  });
  const photos = uploadMix();
  const results: { status: StatusDocument; clientMs: number }[] = [];
  try {
    // Warm-up: the first meme pays for lazy initialisation in every function.
    await oneUpload(stack.pageUrl, photos[0]!);
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < uploads) {
        const photo = photos[next++ % photos.length]!;
        results.push(await oneUpload(stack.pageUrl, photo));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    const done = results.filter((r) => r.status.state === 'done');
    const ids = new Set(results.map((r) => r.status.id));
    return {
      uploads,
      concurrency,
      pubsub: stack.pubsubDescription,
      done: done.length,
      failed: results.length - done.length,
      lostOrDuplicated: uploads - ids.size,
      memesPerSecond: Math.round((done.length / seconds) * 100) / 100,
      pipelineLatencyMs: percentiles(done.map((r) => r.status.timings.totalMs!)),
      clientLatencyMs: percentiles(done.map((r) => r.clientMs)),
    };
  } finally {
    await stack.close();
  }
}

async function oneUpload(
  pageUrl: string,
  photo: { bytes: Buffer; type: string },
): Promise<{ status: StatusDocument; clientMs: number }> {
  const response = await fetch(`${pageUrl}api/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ contentType: photo.type, size: photo.bytes.length } satisfies UploadRequest),
  });
  const upload = (await response.json()) as UploadTicket;
  const put = await fetch(upload.uploadUrl, {
    method: 'PUT',
    headers: upload.uploadHeaders,
    body: photo.bytes,
  });
  if (!put.ok) throw new Error(`upload refused: ${put.status} ${await put.text()}`);
  const uploaded = performance.now();
  for (;;) {
    const polled = await fetch(upload.statusUrl);
    const status = (await polled.json()) as StatusDocument;
    if (status.state === 'done' || status.state === 'failed')
      return { status, clientMs: performance.now() - uploaded };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      uploads: { type: 'string', default: '40' },
      concurrency: { type: 'string', default: '1' },
      pubsub: { type: 'string', default: 'emulator' },
      json: { type: 'boolean', default: false },
    },
  });
  const pubsub = values.pubsub === 'in-process' ? 'in-process' : 'emulator';
  const figures = await benchPipeline(Number(values.uploads), Number(values.concurrency), pubsub);
  if (values.json) {
    console.log(JSON.stringify(figures, null, 2));
    return;
  }
  const row = (name: string, p: Percentiles): string =>
    `${name.padEnd(34)} ${String(p.p50).padStart(8)} ${String(p.p90).padStart(8)} ${String(p.p99).padStart(8)}`;
  console.log(
    `${figures.uploads} uploads at concurrency ${figures.concurrency} through the local stack (${figures.pubsub})`,
  );
  console.log(
    `done ${figures.done}, failed ${figures.failed}, lost or duplicated ${figures.lostOrDuplicated}; ${figures.memesPerSecond} memes/s`,
  );
  console.log(
    `${'upload → meme, ms'.padEnd(34)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)}`,
  );
  console.log(row('pipeline (object created → done)', figures.pipelineLatencyMs));
  console.log(row('client (PUT finished → seen done)', figures.clientLatencyMs));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
