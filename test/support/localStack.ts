/**
 * Runs `npm start`'s local stack (the built dist/local/main.js) in a child
 * process for a test suite, as a user runs it, and stops it afterwards.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Storage } from '@google-cloud/storage';
import { findPubSubEmulator } from '../../local/pubsub';
import type { LocalStack } from '../../local/stack';
import { localStorageClient } from '../../local/storage';

/** What --ready-json prints (the LocalStack without its functions), plus the test's own handles. */
export interface RunningStack extends Omit<
  LocalStack,
  'close' | 'failed' | 'killEmulatorNow' | 'pubsubDescription'
> {
  /** The stack's process. */
  pid: number;
  child: ChildProcess;
  /** Everything the stack logged so far (the functions' JSON lines included). */
  logs: string[];
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** A client authenticated as the stack's functions are. */
  storage(): Storage;
  /** Stops the stack and removes its data directory, unless kept for a restart. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export const MAIN = join(__dirname, '..', '..', 'dist', 'local', 'main.js');

/**
 * Whether suites that need the Pub/Sub emulator can run. Without it they are skipped with a
 * loud message, except when MEMEGEN_REQUIRE_EMULATOR=1 (set by .ci/run), where that fails.
 */
export function emulatorAvailable(suite: string): boolean {
  if (findPubSubEmulator()) return true;
  const message = `\n*** ${suite}: SKIPPED — the Cloud SDK Pub/Sub emulator is not installed (see docs/pipeline.md, "Local stack") ***\n`;
  if (process.env.MEMEGEN_REQUIRE_EMULATOR === '1')
    throw new Error(message + 'MEMEGEN_REQUIRE_EMULATOR=1 makes this a failure.');
  console.warn(message);
  return false;
}

export async function startStack(
  options: {
    pubsub?: 'emulator' | 'in-process';
    env?: Record<string, string>;
    /** Reuse a data directory (a restart); default: a new temporary one. */
    dataDir?: string;
  } = {},
): Promise<RunningStack> {
  // A data directory made here is removed if the stack fails to start; one given (a
  // restart) may hold another stack's data, and is left alone.
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'memegen-stack-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [MAIN, '--port', '0', '--ready-json', '--data', dataDir, '--pubsub', options.pubsub ?? 'emulator'],
    {
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => logs.push(line));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  );
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: a live child would keep Jest from exiting (and hold the emulator).
      child.kill('SIGTERM');
      reject(new Error(`the local stack did not start within 90 s:\n${logs.join('\n')}`));
    }, 90_000);
    let started = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      started = true;
      resolve(JSON.parse(line) as Record<string, unknown>);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      if (started) return; // a later exit (a test's kill -9) keeps the data for a restart
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
      reject(new Error(`the local stack exited (code ${code}):\n${logs.join('\n')}`));
    });
  });
  const stack = ready as unknown as Omit<RunningStack, 'child' | 'logs' | 'exited' | 'storage' | 'stop'>;
  return {
    ...stack,
    child,
    logs,
    exited,
    storage: () =>
      localStorageClient({ url: stack.storageUrl, keyFile: stack.keyFile, projectId: stack.projectId }),
    stop: async ({ keepData = false } = {}) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
