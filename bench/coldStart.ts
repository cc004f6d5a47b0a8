/**
 * Cold starts, each in a fresh process:
 * - the CLI: `node bin/memegen.js make <photo> -o <file>` from spawn to exit, i.e. module
 *   load, ONNX sessions, fonts, analysis, rendering and the meme written;
 * - under it, the stack alone (bench/stackStartup.js): Node, the three native libraries,
 *   onnxruntime's sessions and Skia's font scan, with no work of memegen's; run
 *   interleaved with the CLI, so both meet the same machine;
 * - every deployed function under the functions framework (dist/functions/index.js, as
 *   deployed), from launching the framework to the answer to its first request, against
 *   the local storage server and the Pub/Sub emulator (bench/functions.ts, which also
 *   compares with another build and measures the functions' sizes).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FunctionHarness, FunctionName } from '../local/functionHarness';
import { findPubSubEmulator } from '../local/pubsub';
import { ColdStart, functionColdStarts } from './functions';
import { PHOTOS_DIR } from './photos';
import { Figure, figure } from './stats';

const ROOT = join(__dirname, '..');

export interface ColdStarts {
  cli: Figure;
  /** The stack's own start-up, the floor under `cli` (bench/stackStartup.js). */
  stackOnly: Figure;
  /**
   * Microseconds the first write to a fresh 4 KiB page of memory costs on this machine (the
   * kernel's page fault); a cold start writes to about 120 MB of fresh memory.
   */
  pageFaultUs: number;
  functions?: Record<FunctionName, ColdStart>;
  functionsSkipped?: string;
}

export async function benchColdStarts(processes: number): Promise<ColdStarts> {
  const dir = mkdtempSync(join(tmpdir(), 'memegen-cold-'));
  const photo = join(PHOTOS_DIR, 'faceapi_sample1.jpg');
  const cli: number[] = [];
  const stackOnly: number[] = [];
  const timed = async (args: string[]): Promise<number> => {
    const start = performance.now();
    const code = await exited(spawn(process.execPath, args, { stdio: 'ignore' }));
    if (code !== 0) throw new Error(`cold start: node ${args.join(' ')} exited with ${code}`);
    return performance.now() - start;
  };
  for (let i = 0; i < processes; i++) {
    cli.push(await timed([join(ROOT, 'bin', 'memegen.js'), 'make', photo, '-o', join(dir, `cold-${i}.jpg`)]));
    stackOnly.push(await timed([join(ROOT, 'bench', 'stackStartup.js')]));
  }
  const machine = { cli: figure(cli), stackOnly: figure(stackOnly), pageFaultUs: pageFaultMicroseconds() };
  if (!findPubSubEmulator()) return { ...machine, functionsSkipped: 'the Pub/Sub emulator is not installed' };
  const harness = await FunctionHarness.start();
  try {
    const measured = await functionColdStarts(harness, processes);
    const functions = Object.fromEntries(
      Object.entries(measured).map(([name, { after }]) => [name, after]),
    ) as Record<FunctionName, ColdStart>;
    return { ...machine, functions };
  } finally {
    await harness.close();
  }
}

/**
 * Median over three 32 MiB buffers of the time per page of writing one byte to each fresh
 * 4 KiB page (allocUnsafeSlow: memory straight from the kernel, neither zeroed nor pooled).
 */
function pageFaultMicroseconds(): number {
  const pages = (32 << 20) / 4096;
  const perPage: number[] = [];
  for (let round = 0; round < 3; round++) {
    const buffer = Buffer.allocUnsafeSlow(pages * 4096);
    const start = performance.now();
    for (let page = 0; page < pages; page++) buffer[page * 4096] = 1;
    perPage.push(((performance.now() - start) * 1000) / pages);
  }
  return figure(perPage).median;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve),
  );
}
