/**
 * The deployed functions under the functions framework, each in processes of its own as
 * on Cloud Run (local/functionProcess.ts), against the local storage server and the
 * Pub/Sub emulator:
 *
 * - cold start: from launching the framework to the answer to the function's first
 *   request (analyze: an inbox notification; render: the render request analyze published;
 *   upload: POST /api/uploads; deadLetter: a dead-lettered inbox notification; sweep: a
 *   Scheduler tick), and the resident memory right after it;
 * - load, for sizing (infra/sizing.ts) of analyze, render and upload (deadLetter and sweep
 *   have fixed small sizes in infra/lifecycle.tf): one instance serving `concurrency` requests at once
 *   (its default in infra/variables.tf), `rounds` times: peak resident memory, and CPU
 *   time per request. The image functions get a typical 12 MP photo (CPU) and the largest
 *   the settings accept, 50 MP (memory).
 *
 *   npm run bench:functions -- [--runs N] [--rounds N] [--before PATH] [--write]
 *
 * `--before PATH` also measures the cold starts of another build's entry module (e.g. the
 * commit before a change), alternating with this one, so both come from the same minutes
 * of the same machine; `--before-label TEXT` says what it is. Such a build, sharing this
 * checkout's node_modules:
 *
 *   mkdir /tmp/before && git archive COMMIT | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/
 *   (cd /tmp/before && npx tsc -p tsconfig.build.json)   # then --before /tmp/before/dist/functions/index.js
 *
 * `--write` writes docs/bench/functions.json and the generated part of infra/README.md
 * (cold starts, the sizing arithmetic).
 */
import { cpus, loadavg } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FunctionLoad, FunctionSize, sizeFunction } from '../infra/sizing';
import {
  FunctionHarness,
  FunctionName,
  FunctionRequest as Request,
  FUNCTIONS,
} from '../local/functionHarness';
import { DEPLOYED_ENTRY, FunctionProcess } from '../local/functionProcess';
import { benchPhotos, PHOTOS_DIR, SYNTHETIC_12MP } from './photos';
import { Figure, figure, round } from './stats';

const ROOT = join(__dirname, '..');
/** The photo of the cold starts (1920×1280, three faces), as the other benchmarks use. */
const COLD_START_PHOTO = 'faceapi_sample1.jpg';
/** The largest photo the default MAX_INPUT_PIXELS accepts (50 MP), same content. */
const SYNTHETIC_50MP = 'synthetic-50mp.jpg';
export const RESULTS_FILE = join(ROOT, 'docs', 'bench', 'functions.json');
const README = join(ROOT, 'infra', 'README.md');
const MARKERS = ['<!-- bench:functions:start -->', '<!-- bench:functions:end -->'] as const;

/** The first request a fresh instance of each function gets. */
async function firstRequest(harness: FunctionHarness, name: FunctionName, photo: Buffer): Promise<Request> {
  if (name === 'analyze') return harness.analyzeRequest(COLD_START_PHOTO, photo);
  if (name === 'render') return harness.renderRequest(COLD_START_PHOTO);
  if (name === 'deadLetter') return harness.deadLetterRequest(COLD_START_PHOTO, photo);
  if (name === 'sweep') return harness.sweepRequest();
  return harness.uploadRequest();
}

async function answer(fn: FunctionProcess, request: Request): Promise<void> {
  const { status, body } = await fn.request(request.path, request.init);
  if (status >= 300) throw new Error(`answered ${status} ${body}\n${fn.logs}`);
}

export interface ColdStart {
  /** Launch → first answer, ms. */
  ms: Figure;
  /** Resident memory right after the first answer, MiB (median). */
  rssMb: number;
}

/**
 * Cold starts of every function, `runs` processes each; with `before`, the same for that
 * entry module, run alternately with ours.
 */
export async function functionColdStarts(
  harness: FunctionHarness,
  runs: number,
  before?: string,
): Promise<Record<FunctionName, { after: ColdStart; before?: ColdStart }>> {
  const photo = readFileSync(join(PHOTOS_DIR, COLD_START_PHOTO));
  const sources: [label: 'after' | 'before', source: string][] = [['after', DEPLOYED_ENTRY]];
  if (before) sources.push(['before', before]);
  const result = {} as Record<FunctionName, { after: ColdStart; before?: ColdStart }>;
  // analyze first: its render requests are render's first requests.
  for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
    const times: Record<string, number[]> = { after: [], before: [] };
    const rss: Record<string, number[]> = { after: [], before: [] };
    for (let i = 0; i < runs; i++) {
      for (const [label, source] of i % 2 === 0 ? sources : [...sources].reverse()) {
        const request = await firstRequest(harness, name, photo);
        const fn = await FunctionProcess.start({
          target: name,
          signatureType: FUNCTIONS[name],
          source,
          env: harness.env,
        });
        try {
          await answer(fn, request);
          times[label].push(performance.now() - fn.startedAt);
          rss[label].push(fn.memory().rssMb);
        } finally {
          await fn.stop();
        }
      }
    }
    const summary = (label: string): ColdStart => ({
      ms: figure(times[label]),
      rssMb: round(figure(rss[label]).median, 0),
    });
    result[name] = { after: summary('after'), ...(before && { before: summary('before') }) };
  }
  return result;
}

/** The functions sized from measurements, each with its variable in infra/variables.tf. */
export const SIZED_FUNCTIONS = ['analyze', 'render', 'upload'] as const;
export type SizedFunction = (typeof SIZED_FUNCTIONS)[number];

export interface LoadFigures extends FunctionLoad {
  requests: number;
  /** CPU per request and peak memory with each photo (image functions). */
  photos?: Record<string, { cpuMsPerRequest: number; peakRssMb: number }>;
}

/** The concurrency each function is deployed with: its default in infra/variables.tf. */
export function deployedConcurrency(name: string): number {
  const variables = readFileSync(join(ROOT, 'infra', 'variables.tf'), 'utf8');
  const block = new RegExp(`variable "${name}" \\{[\\s\\S]*?\\n\\}`).exec(variables)?.[0] ?? '';
  const value = /concurrency\s*=\s*optional\(number,\s*(\d+)\)/.exec(block)?.[1];
  if (!value) throw new Error(`infra/variables.tf has no default concurrency for ${name}`);
  return Number(value);
}

/**
 * One instance of a function under `rounds` bursts of `concurrency` requests (after its
 * first, cold, request): CPU per request over the bursts and the peak resident memory.
 */
async function underLoad(
  harness: FunctionHarness,
  name: FunctionName,
  concurrency: number,
  rounds: number,
  request: () => Promise<Request>,
): Promise<{ cpuMsPerRequest: number; peakRssMb: number }> {
  const requests: Request[] = [];
  for (let i = 0; i < 1 + concurrency * rounds; i++) requests.push(await request());
  const fn = await FunctionProcess.start({ target: name, signatureType: FUNCTIONS[name], env: harness.env });
  try {
    await answer(fn, requests[0]);
    const cpuBefore = fn.cpuMs();
    for (let round = 0; round < rounds; round++) {
      const burst = requests.slice(1 + round * concurrency, 1 + (round + 1) * concurrency);
      await Promise.all(burst.map((r) => answer(fn, r)));
    }
    return {
      cpuMsPerRequest: round((fn.cpuMs() - cpuBefore) / (concurrency * rounds), 1),
      peakRssMb: round(fn.memory().peakRssMb, 0),
    };
  } finally {
    await fn.stop();
  }
}

export async function functionLoads(
  harness: FunctionHarness,
  rounds: number,
): Promise<Record<SizedFunction, LoadFigures>> {
  const all = await benchPhotos();
  const typical = all.find((p) => p.name === SYNTHETIC_12MP)!.bytes;
  const largest = await photo50mp();
  const photos: [string, Buffer][] = [
    [SYNTHETIC_12MP, typical],
    [SYNTHETIC_50MP, largest],
  ];
  const result = {} as Record<SizedFunction, LoadFigures>;
  for (const name of SIZED_FUNCTIONS) {
    const concurrency = deployedConcurrency(name);
    if (name === 'upload') {
      const load = await underLoad(harness, name, concurrency, rounds, async () => harness.uploadRequest());
      result[name] = { concurrency, requests: concurrency * rounds, ...load };
      continue;
    }
    const byPhoto: Record<string, { cpuMsPerRequest: number; peakRssMb: number }> = {};
    for (const [photo, bytes] of photos) {
      if (name === 'render') await topUpRenderRequests(harness, photo, bytes, 1 + concurrency * rounds);
      byPhoto[photo] = await underLoad(harness, name, concurrency, rounds, () =>
        name === 'analyze' ? harness.analyzeRequest(photo, bytes) : harness.renderRequest(photo),
      );
    }
    result[name] = {
      concurrency,
      requests: concurrency * rounds,
      cpuMsPerRequest: byPhoto[SYNTHETIC_12MP].cpuMsPerRequest,
      peakRssMb: Math.max(...Object.values(byPhoto).map((p) => p.peakRssMb)),
      photos: byPhoto,
    };
  }
  return result;
}

/** Runs analyze (unmeasured) until `count` render requests for the photo are waiting. */
async function topUpRenderRequests(
  harness: FunctionHarness,
  photo: string,
  bytes: Buffer,
  count: number,
): Promise<void> {
  const missing = count - harness.renderRequestsFor(photo);
  if (missing <= 0) return;
  const fn = await FunctionProcess.start({
    target: 'analyze',
    signatureType: 'cloudevent',
    env: harness.env,
  });
  try {
    for (let i = 0; i < missing; i++) await answer(fn, await harness.analyzeRequest(photo, bytes));
  } finally {
    await fn.stop();
  }
  const deadline = Date.now() + 30_000;
  while (harness.renderRequestsFor(photo) < count && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
}

/** faceapi_sample1.jpg enlarged to 8660×5773 (50 MP, the default MAX_INPUT_PIXELS), quality 92. */
async function photo50mp(): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  return sharp(readFileSync(join(PHOTOS_DIR, COLD_START_PHOTO)))
    .resize(8660, 5773)
    .jpeg({ quality: 92 })
    .toBuffer();
}

export interface FunctionsReport {
  /** loadAverage: the 1-minute load average when the run started and ended (other work on the machine slows everything down). */
  machine: { cpus: number; cpu: string; node: string; loadAverage: [number, number] };
  runs: number;
  rounds: number;
  /** What "before" was, when it was measured. */
  before?: string;
  coldStarts: Record<FunctionName, { after: ColdStart; before?: ColdStart }>;
  loads: Record<SizedFunction, LoadFigures>;
  sizes: Record<SizedFunction, FunctionSize>;
}

/** The generated part of infra/README.md. */
export function readmeSection(report: FunctionsReport): string {
  const names = Object.keys(report.coldStarts) as FunctionName[];
  const cold = (c?: ColdStart): string =>
    c ? `${c.ms.median.toFixed(0)} ms (p90 ${c.ms.p90.toFixed(0)}), ${c.rssMb} MiB` : '–';
  const lines = [
    MARKERS[0],
    `<!-- Written by \`npm run bench:functions -- --write\` (bench/functions.ts) from docs/bench/functions.json; do not edit. -->`,
    '',
    `Measured on ${report.machine.cpus} × ${report.machine.cpu}, Node ${report.machine.node}, with a load average of ${report.machine.loadAverage[0]} at the start and ${report.machine.loadAverage[1]} at the end (other work shares the machine: the times are long in absolute terms; compare within the run), each function in processes of its own under the functions framework (\`npm run bench:functions\`).`,
    '',
    `**Cold start**: launch → answer to the first request (analyze: an inbox notification for a 1920×1280 photo; render: the render request analyze published for it; upload: \`POST /api/uploads\`${names.includes('sweep') ? '; deadLetter: a dead-lettered inbox notification; sweep: a Scheduler tick' : ''}), median of ${report.runs} processes, and resident memory right after it${report.before ? `; *before*: ${report.before}, measured alternately with *after* in the same run` : ''}.`,
    '',
    report.before ? '| function | before | after |' : '| function | cold start |',
    report.before ? '|---|---|---|' : '|---|---|',
    ...names.map((name) =>
      report.before
        ? `| \`${name}\` | ${cold(report.coldStarts[name].before)} | ${cold(report.coldStarts[name].after)} |`
        : `| \`${name}\` | ${cold(report.coldStarts[name].after)} |`,
    ),
    '',
    `**Sizes** (rule: \`infra/sizing.ts\`): one instance serving its default concurrency at once, ${report.rounds} times; memory from the peak resident set (the image functions: the larger of a 12 MP and a 50 MP photo, the largest the settings accept), vCPUs from the CPU time per request with the 12 MP photo.`,
    '',
    '| function | concurrency | peak RSS | memory: peak × headroom → size | CPU per request | vCPUs: concurrency × CPU ≤ 1 s per vCPU |',
    '|---|---|---|---|---|---|',
    ...SIZED_FUNCTIONS.map((name) => {
      const load = report.loads[name];
      const size = report.sizes[name];
      const photos = load.photos
        ? ` (${Object.entries(load.photos)
            .map(([photo, p]) => `${photo.replace(/^synthetic-|\.jpg$/g, '')}: ${p.peakRssMb.toFixed(0)}`)
            .join(', ')})`
        : '';
      return `| \`${name}\` | ${load.concurrency} | ${load.peakRssMb.toFixed(0)} MiB${photos} | ${size.memoryArithmetic} | ${load.cpuMsPerRequest.toFixed(1)} ms | ${size.cpuArithmetic} |`;
    }),
    MARKERS[1],
  ];
  return lines.join('\n');
}

export function replaceSection(readme: string, section: string): string {
  const start = readme.indexOf(MARKERS[0]);
  const end = readme.indexOf(MARKERS[1]);
  if (start < 0 || end < start)
    throw new Error(`infra/README.md has no ${MARKERS[0]} … ${MARKERS[1]} section`);
  return `${readme.slice(0, start)}${section}${readme.slice(end + MARKERS[1].length)}`;
}

export function readReport(): FunctionsReport {
  return JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as FunctionsReport;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '2' },
      before: { type: 'string' },
      'before-label': { type: 'string' },
      write: { type: 'boolean', default: false },
    },
  });
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const progress = (line: string): void => void process.stderr.write(`bench:functions: ${line}\n`);
  const loadAtStart = loadavg()[0];
  const harness = await FunctionHarness.start();
  try {
    progress(`cold starts, ${values.runs} processes per function${values.before ? ' and build' : ''}`);
    const coldStarts = await functionColdStarts(harness, Number(values.runs), values.before);
    progress(`load, ${values.rounds} bursts at each function's concurrency`);
    const loads = await functionLoads(harness, Number(values.rounds));
    const sizes = Object.fromEntries(
      Object.entries(loads).map(([name, load]) => [name, sizeFunction(load)]),
    ) as Record<SizedFunction, FunctionSize>;
    const report: FunctionsReport = {
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        loadAverage: [round(loadAtStart, 1), round(loadavg()[0], 1)],
      },
      runs: Number(values.runs),
      rounds: Number(values.rounds),
      ...(values.before && { before: values['before-label'] ?? values.before }),
      coldStarts,
      loads,
      sizes,
    };
    const section = readmeSection(report);
    console.log(section);
    if (values.write) {
      writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(README, replaceSection(readFileSync(README, 'utf8'), section));
      progress(`wrote ${RESULTS_FILE} and the generated section of infra/README.md`);
    }
  } finally {
    await harness.close();
  }
}

if (require.main === module)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
