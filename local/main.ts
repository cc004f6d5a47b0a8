/**
 * `npm start`: the local stack in the foreground until Ctrl-C.
 *
 *   npm start -- [--port 8080] [--data DIR] [--pubsub auto|emulator|in-process] [--ready-json]
 *
 * --ready-json prints one JSON line with the stack's URLs once it accepts uploads (for
 * scripts and tests); otherwise a short guide is printed.
 *
 * SIGINT, SIGTERM and SIGHUP stop everything, the emulator included, within STOP_DEADLINE_MS
 * (during start-up at once: see handleSignals).
 * `npm start` runs this with `exec`, so signals sent to npm reach it; npm forwards only
 * SIGINT and SIGTERM, so the stack also stops when its parent goes away (npm killed by
 * SIGHUP or SIGKILL), instead of living on as an orphan.
 */
import { parseArgs } from 'node:util';
import { SETTINGS } from '../functions/cloud/config';
import { killRecordedEmulator } from './dataDir';
import { emulatorDiesWithItsStack } from './pubsub';
import { LocalStack, resolveDataDir, startLocalStack } from './stack';

// No metadata server on a laptop: don't let the Google client libraries probe for one.
process.env.METADATA_SERVER_DETECTION ??= 'none';

/** How long a signal may take to stop everything: within 5 s, with a margin. */
const STOP_DEADLINE_MS = 4000;

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
  const dataDir = resolveDataDir(values.data);
  const running: { stack?: LocalStack } = {};
  let stopping = false;
  const stop = (why: string, code = 0): void => {
    if (stopping) return;
    stopping = true;
    log(`memegen: stopping (${why})`);
    // Whatever hangs, the process is gone by the deadline, and the emulator with it (see 'exit').
    setTimeout(() => process.exit(code), STOP_DEADLINE_MS).unref();
    // Still starting: exit now; 'exit' kills the emulator if one was started (its pid is recorded at once).
    if (running.stack) void running.stack.close().then(() => process.exit(code));
    else process.exit(code);
  };
  process.on('exit', () => (running.stack ? running.stack.killEmulatorNow() : killRecordedEmulator(dataDir)));
  const handleSignals = (): void => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
  };
  // While the stack starts, a signal ends the process at once (the signal's default action)
  // where the emulator dies with it (emulatorDiesWithItsStack). A handler would first wait for
  // start-up's synchronous steps (creating the model sessions, loading the Pub/Sub client's
  // protos), each about 0.2 s here and several times that on a busy machine; dying at once
  // loses nothing that a crash would not, and the next start recovers from crashes. Elsewhere
  // the handler exits and the 'exit' hook kills the emulator.
  const diesOnSignalWhileStarting = emulatorDiesWithItsStack();
  if (!diesOnSignalWhileStarting) handleSignals();
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('its parent process exited');
  }, 250).unref();

  const stack = (running.stack = await startLocalStack({ port, dataDir, pubsub: mode, log, settings }));
  if (diesOnSignalWhileStarting) handleSignals();
  void stack.failed.then((reason) => stop(reason, 1));
  // Keeps the process alive (the timers above do not).
  setInterval(() => undefined, 1 << 30);

  if (values['ready-json']) {
    const { close: _close, failed: _failed, killEmulatorNow: _kill, ...urls } = stack;
    void _close;
    void _failed;
    void _kill;
    process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, ...urls }) + '\n');
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
