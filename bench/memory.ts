/**
 * Peak memory: one fresh process (the compiled library, as the functions run it) makes a
 * meme of every bundled photo and of the synthetic 12 MP JPEG, with the deployed process
 * environment (infra/process-env.json), then reports its peak resident set size: VmHWM
 * from /proc/self/status. (getrusage's maxrss is no good here: on Linux it survives fork
 * and exec, so a child reports its parent's peak if that was higher.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deployedProcessEnv } from '../local/processEnv';
import { BenchPhoto } from './photos';

export interface MemoryFigures {
  peakRssMb: number;
  photos: number;
}

const CHILD = `
const { readFileSync, readdirSync } = require('node:fs');
const { join } = require('node:path');
const { makeMeme } = require(process.argv[1]);
(async () => {
  const dir = process.argv[2];
  for (const file of readdirSync(dir).sort()) await makeMeme(readFileSync(join(dir, file)), { seed: file });
  const status = (() => { try { return readFileSync('/proc/self/status', 'utf8'); } catch { return ''; } })();
  const hwm = /VmHWM:\\s+(\\d+) kB/.exec(status);
  process.stdout.write(JSON.stringify({ maxRssKb: hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

export async function benchMemory(photos: BenchPhoto[]): Promise<MemoryFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'memegen-memory-'));
  for (const photo of photos) writeFileSync(join(dir, photo.name), photo.bytes);
  const library = join(__dirname, '..', 'dist', 'functions', 'core', 'render', 'renderMeme.js');
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', CHILD, library, dir], {
    // As the deployed functions run: with their process environment (glibc's arenas).
    env: { ...process.env, ...deployedProcessEnv(), METADATA_SERVER_DETECTION: 'none' },
  });
  const { maxRssKb } = JSON.parse(stdout) as { maxRssKb: number };
  return { peakRssMb: Math.round(maxRssKb / 1024), photos: photos.length };
}
