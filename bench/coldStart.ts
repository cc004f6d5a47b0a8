/**
 * Cold starts, each in a fresh process:
 * - the CLI: `node bin/memegen.js make <photo> -o <file>` from spawn to exit, i.e. module
 *   load, ONNX sessions, fonts, analysis, rendering and the meme written;
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
  functions?: Record<FunctionName, ColdStart>;
  functionsSkipped?: string;
}

export async function benchColdStarts(processes: number): Promise<ColdStarts> {
  const dir = mkdtempSync(join(tmpdir(), 'memegen-cold-'));
  const photo = join(PHOTOS_DIR, 'faceapi_sample1.jpg');
  const cli: number[] = [];
  for (let i = 0; i < processes; i++) {
    const start = performance.now();
    await exited(
      spawn(
        process.execPath,
        [join(ROOT, 'bin', 'memegen.js'), 'make', photo, '-o', join(dir, `cold-${i}.jpg`)],
        { stdio: 'ignore' },
      ),
    );
    cli.push(performance.now() - start);
  }
  if (!findPubSubEmulator())
    return { cli: figure(cli), functionsSkipped: 'the Pub/Sub emulator is not installed' };
  const harness = await FunctionHarness.start();
  try {
    const measured = await functionColdStarts(harness, processes);
    const functions = Object.fromEntries(
      Object.entries(measured).map(([name, { after }]) => [name, after]),
    ) as Record<FunctionName, ColdStart>;
    return { cli: figure(cli), functions };
  } finally {
    await harness.close();
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve),
  );
}
