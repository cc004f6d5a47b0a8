/**
 * Runs `npm start`'s local stack (the built dist/local/main.js) in a child
 * process for a test suite, as a user runs it, and stops it afterwards.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { findPubSubEmulator } from '../../local/pubsub';
import type { LocalStack } from '../../local/stack';

/** What --ready-json prints (the LocalStack without close), plus the test's own handles. */
export interface RunningStack extends Omit<LocalStack, 'close' | 'pubsubDescription'> {
  dataDir: string;
  /** Everything the stack logged so far (the functions' JSON lines included). */
  logs: string[];
  stop(): Promise<void>;
}

const MAIN = join(__dirname, '..', '..', 'dist', 'local', 'main.js');

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
  options: { pubsub?: 'emulator' | 'in-process'; env?: Record<string, string> } = {},
): Promise<RunningStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'memegen-stack-'));
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
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: a live child would keep Jest from exiting (and hold the emulator).
      child.kill('SIGTERM');
      reject(new Error(`the local stack did not start within 90 s:\n${logs.join('\n')}`));
    }, 90_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
      reject(new Error(`the local stack exited (code ${code}):\n${logs.join('\n')}`));
    });
  });
  return {
    ...(ready as unknown as Omit<RunningStack, 'dataDir' | 'logs' | 'stop'>),
    dataDir,
    logs,
    // Stops the stack and removes its buckets and key.
    stop: async () => {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
