/**
 * `npm start`: the local stack in the foreground until Ctrl-C.
 *
 *   npm start -- [--port 8080] [--data DIR] [--pubsub auto|emulator|in-process] [--ready-json]
 *
 * --ready-json prints one JSON line with the stack's URLs once it accepts uploads (for
 * scripts and tests); otherwise a short guide is printed.
 */
import { parseArgs } from 'node:util';
import { SETTINGS } from '../functions/cloud/config';
import { startLocalStack } from './stack';

// No metadata server on a laptop: don't let the Google client libraries probe for one.
process.env.METADATA_SERVER_DETECTION ??= 'none';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      data: { type: 'string' },
      pubsub: { type: 'string', default: 'auto' },
      'ready-json': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const mode = values.pubsub;
  if (mode !== 'auto' && mode !== 'emulator' && mode !== 'in-process')
    throw new Error(`--pubsub must be auto, emulator or in-process, got "${mode}"`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got "${values.port}"`);
  const log = values.quiet ? () => undefined : (line: string) => process.stderr.write(line + '\n');
  // Optional settings (MAX_UPLOAD_BYTES, MEME_FORMAT, …) apply locally too, from the environment.
  const settings = Object.fromEntries(
    Object.keys(SETTINGS)
      .filter((name) => !SETTINGS[name as keyof typeof SETTINGS].required && process.env[name] !== undefined)
      .map((name) => [name, process.env[name]!]),
  );
  const stack = await startLocalStack({ port, dataDir: values.data, pubsub: mode, log, settings });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // close() never rejects (it logs nothing and swallows each cleanup's error), so exit either way.
    void stack.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  if (values['ready-json']) {
    const { close: _close, ...urls } = stack;
    void _close;
    process.stdout.write(JSON.stringify({ ready: true, ...urls }) + '\n');
    return;
  }
  console.log(`
memegen is running locally.

  Upload page     ${stack.pageUrl}
  Pub/Sub         ${stack.pubsubDescription}
  Cloud Storage   ${stack.storageUrl} (local server; buckets ${stack.inboxBucket}, ${stack.publicBucket})
  Results         ${stack.publicBaseUrl}/memes/<id>.json and .jpg

Open the page and drop a photo, or from another terminal:
  curl -s -X POST ${stack.pageUrl}api/uploads -H 'content-type: application/json' \\
       -d '{"contentType":"image/jpeg","size":'$(stat -c %s photo.jpg)'}'
then PUT the photo to the returned uploadUrl with the returned uploadHeaders and poll statusUrl
(every document is declared in functions/cloud/contract.ts).
Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  console.error(
    `memegen: the local stack could not start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
