/**
 * `npm run bench:fault -- [--load N] [--concurrency C] [--in-flight M] [--pubsub emulator|in-process] [--json]`:
 * load, then a crash. Runs `npm start`'s stack (dist/local/main.js) in a child process:
 *
 *   1. N uploads (default 200), C at a time (20), each the way the page sends it (POST
 *      /api/uploads, PUT to the signed URL, poll the status until it is final);
 *   2. M more (50) started at once, and `kill -9` of the stack while they are in flight:
 *      every ticket issued, most photos sent, the rest cut off mid-PUT; the Pub/Sub emulator
 *      is left running, as a kill -9 leaves it;
 *   3. a restart on the same data directory. Clients whose PUT was cut off send it again
 *      with the same URL (still valid: the port and signing key survive); a 412 means the
 *      first one had landed. Then every job's status is polled until it is final.
 *
 * Checked: every one of the N + M jobs ends `done` or `failed` with a code, none is stuck
 * (the verdict: all final within 60 s of the restart command), none is duplicated (each done
 * job logged "meme done" exactly once across both runs, and the public bucket holds exactly
 * its meme and status). The report goes to docs/bench/fault.md (and stdout); --json prints
 * the figures as JSON instead.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { StatusDocument, UploadTicket } from '../functions/cloud/contract';
import { findPubSubEmulator } from '../local/pubsub';
import { localStorageClient } from '../local/storage';
import { uploadMix } from './photos';
import { percentiles, Percentiles } from './stats';

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'local', 'main.js');
const REPORT = join(ROOT, 'docs', 'bench', 'fault.md');
/** The acceptance criterion: every job final within this long after the restart command. */
const RECOVERY_BUDGET_MS = 60_000;
/** How long to keep polling after the budget, to report how late a straggler would be. */
const GIVE_UP_MS = 180_000;

interface Ready {
  pid: number;
  pageUrl: string;
  storageUrl: string;
  keyFile: string;
  projectId: string;
  publicBucket: string;
  pubsub: string;
}

interface Stack {
  child: ChildProcess;
  ready: Ready;
  exited: Promise<unknown>;
}

interface Job {
  phase: 'load' | 'crash';
  photo: { bytes: Buffer; type: string };
  ticket: UploadTicket;
  put: 'sent' | 'cut off' | 'resent' | 'landed before the crash';
  final?: StatusDocument;
  /** Client side: from the PUT to the final status (load phase only). */
  clientMs?: number;
  /** When the final status was first seen, ms after the restart command (crash phase and stragglers). */
  finalAfterRestartMs?: number;
}

export interface FaultFigures {
  pubsub: string;
  /** The machine, and how busy it was (1-minute load average) at the start and at the end. */
  machine: { cpus: number; loadAverage: { start: number; end: number } };
  load: {
    uploads: number;
    concurrency: number;
    seconds: number;
    memesPerSecond: number;
    clientMs: Percentiles;
  };
  crash: {
    inFlight: number;
    putsSentBeforeKill: number;
    putsCutOff: number;
    resentLanded: number;
    resent412: number;
  };
  restart: { readyMs: number; allFinalMs: number | undefined; finalMs: Percentiles };
  outcome: {
    jobs: number;
    done: number;
    failed: Record<string, number>;
    stuck: number;
    duplicated: number;
    memeDoneLines: Record<string, number>;
  };
  recoveryBudgetMs: number;
  met: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function startStack(dataDir: string, pubsub: string, logs: string[]): Promise<Stack> {
  const child = spawn(
    process.execPath,
    [MAIN, '--port', '0', '--ready-json', '--data', dataDir, '--pubsub', pubsub],
    { env: { ...process.env, METADATA_SERVER_DETECTION: 'none' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  createInterface({ input: child.stderr! }).on('line', (line) => logs.push(line));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = await new Promise<Ready>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as Ready);
    });
    void exited.then(() => reject(new Error(`the stack exited:\n${logs.slice(-20).join('\n')}`)));
  });
  return { child, ready, exited };
}

async function requestTicket(stack: Stack, photo: Job['photo']): Promise<UploadTicket> {
  for (;;) {
    const response = await fetch(`${stack.ready.pageUrl}api/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contentType: photo.type, size: photo.bytes.length }),
    });
    if (response.status === 201) return (await response.json()) as UploadTicket;
    if (response.status !== 503) throw new Error(`POST /api/uploads answered ${response.status}`);
    await sleep(500); // the stack is starting or restarting its emulator
  }
}

async function putPhoto(job: Job): Promise<number> {
  const response = await fetch(job.ticket.uploadUrl, {
    method: 'PUT',
    headers: job.ticket.uploadHeaders,
    body: job.photo.bytes,
  });
  await response.arrayBuffer();
  return response.status;
}

async function readStatus(url: string): Promise<StatusDocument | undefined> {
  try {
    const response = await fetch(url);
    return response.ok ? ((await response.json()) as StatusDocument) : undefined;
  } catch {
    return undefined; // the stack is down (killed, restarting)
  }
}

const isFinal = (status: StatusDocument | undefined): boolean =>
  status?.state === 'done' || status?.state === 'failed';

export async function benchFault(options: {
  load: number;
  concurrency: number;
  inFlight: number;
  pubsub: 'emulator' | 'in-process';
}): Promise<FaultFigures> {
  const dataDir = join(ROOT, '.cache', `bench-fault-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const photos = uploadMix();
  const logs: string[] = [];
  const jobs: Job[] = [];
  const loadAtStart = loadavg()[0]!;
  let stack = await startStack(dataDir, options.pubsub, logs);
  let second: Stack | undefined;
  try {
    // ---- 1. load ----
    const loadStart = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < options.load) {
        const photo = photos[next++ % photos.length]!;
        const job: Job = { phase: 'load', photo, ticket: await requestTicket(stack, photo), put: 'sent' };
        jobs.push(job);
        const status = await putPhoto(job);
        if (status !== 200) throw new Error(`PUT answered ${status}`);
        const sent = performance.now();
        for (;;) {
          const current = await readStatus(job.ticket.statusUrl);
          if (isFinal(current)) {
            job.final = current;
            job.clientMs = performance.now() - sent;
            break;
          }
          await sleep(100);
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const loadSeconds = (performance.now() - loadStart) / 1000;

    // ---- 2. uploads in flight, then kill -9 ----
    const crashJobs: Job[] = await Promise.all(
      Array.from({ length: options.inFlight }, async (_, i) => {
        const photo = photos[i % photos.length]!;
        return {
          phase: 'crash' as const,
          photo,
          ticket: await requestTicket(stack, photo),
          put: 'cut off' as const,
        };
      }),
    );
    jobs.push(...crashJobs);
    let landed = 0;
    const puts = crashJobs.map((job) =>
      putPhoto(job).then(
        (status) => {
          if (status === 200) {
            job.put = 'sent';
            landed++;
          }
        },
        () => undefined, // cut off by the kill
      ),
    );
    // Kill once most photos are in: the rest are mid-PUT, and the pipeline is busy with the others.
    while (landed < Math.ceil(options.inFlight * 0.8)) await sleep(5);
    stack.child.kill('SIGKILL');
    await stack.exited;
    await Promise.all(puts);
    const putsSentBeforeKill = crashJobs.filter((job) => job.put === 'sent').length;

    // ---- 3. restart on the same data directory ----
    const restartAt = performance.now();
    second = await startStack(dataDir, options.pubsub, logs);
    stack = second;
    const readyMs = performance.now() - restartAt;
    let resentLanded = 0;
    let resent412 = 0;
    for (const job of crashJobs.filter((j) => j.put === 'cut off')) {
      const status = await putPhoto(job);
      if (status === 200) {
        job.put = 'resent';
        resentLanded++;
      } else if (status === 412) {
        job.put = 'landed before the crash';
        resent412++;
      } else throw new Error(`resending a cut-off PUT answered ${status}`);
    }
    for (;;) {
      const open = jobs.filter((job) => !isFinal(job.final));
      if (open.length === 0 || performance.now() - restartAt > GIVE_UP_MS) break;
      await Promise.all(
        open.map(async (job) => {
          const current = await readStatus(job.ticket.statusUrl);
          if (!isFinal(current)) return;
          job.final = current;
          job.finalAfterRestartMs = performance.now() - restartAt;
        }),
      );
      await sleep(200);
    }

    // ---- checks ----
    const storage = localStorageClient({
      url: second.ready.storageUrl,
      keyFile: second.ready.keyFile,
      projectId: second.ready.projectId,
    });
    const [objects] = await storage.bucket(second.ready.publicBucket).getFiles({ prefix: 'memes/' });
    const objectsOf = new Map<string, string[]>();
    for (const object of objects) {
      const id = /^memes\/([^.]+)\./.exec(object.name)?.[1];
      if (id) objectsOf.set(id, [...(objectsOf.get(id) ?? []), object.name.slice(object.name.indexOf('.'))]);
    }
    const memeDone = new Map<string, number>();
    for (const line of logs) {
      if (!line.includes('"message":"meme done"')) continue;
      const id = /"jobId":"([^"]+)"/.exec(line)?.[1];
      if (id) memeDone.set(id, (memeDone.get(id) ?? 0) + 1);
    }
    const done = jobs.filter((job) => job.final?.state === 'done');
    const failed: Record<string, number> = {};
    for (const job of jobs.filter((j) => j.final?.state === 'failed')) {
      const code = job.final!.code ?? 'NO CODE';
      failed[code] = (failed[code] ?? 0) + 1;
    }
    const duplicated = jobs.filter((job) => {
      const id = job.ticket.id;
      const expected = job.final?.state === 'done' ? ['.jpg', '.json'] : ['.json'];
      const stored = (objectsOf.get(id) ?? []).sort();
      return (
        (memeDone.get(id) ?? 0) > (job.final?.state === 'done' ? 1 : 0) || stored.join() !== expected.join()
      );
    }).length;
    const memeDoneLines: Record<string, number> = {};
    for (const job of done) {
      const count = String(memeDone.get(job.ticket.id) ?? 0);
      memeDoneLines[count] = (memeDoneLines[count] ?? 0) + 1;
    }
    const stuck = jobs.filter((job) => !isFinal(job.final)).length;
    const afterRestart = jobs
      .filter((job) => job.finalAfterRestartMs !== undefined)
      .map((job) => job.finalAfterRestartMs!);
    const allFinalMs = stuck === 0 ? Math.max(readyMs, ...afterRestart) : undefined;
    return {
      pubsub: second.ready.pubsub,
      machine: {
        cpus: availableParallelism(),
        loadAverage: { start: Math.round(loadAtStart * 10) / 10, end: Math.round(loadavg()[0]! * 10) / 10 },
      },
      load: {
        uploads: options.load,
        concurrency: options.concurrency,
        seconds: Math.round(loadSeconds * 10) / 10,
        memesPerSecond: Math.round((options.load / loadSeconds) * 100) / 100,
        clientMs: percentiles(jobs.filter((job) => job.clientMs !== undefined).map((job) => job.clientMs!)),
      },
      crash: {
        inFlight: options.inFlight,
        putsSentBeforeKill,
        putsCutOff: options.inFlight - putsSentBeforeKill,
        resentLanded,
        resent412,
      },
      restart: {
        readyMs: Math.round(readyMs),
        allFinalMs: allFinalMs && Math.round(allFinalMs),
        finalMs: percentiles(afterRestart),
      },
      outcome: {
        jobs: jobs.length,
        done: done.length,
        failed,
        stuck,
        duplicated,
        memeDoneLines,
      },
      recoveryBudgetMs: RECOVERY_BUDGET_MS,
      met: stuck === 0 && duplicated === 0 && allFinalMs !== undefined && allFinalMs <= RECOVERY_BUDGET_MS,
    };
  } finally {
    for (const running of [stack, second]) {
      if (running && running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGTERM');
        await running.exited;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function faultReport(figures: FaultFigures, command: string): string {
  const ms = (value: number | undefined): string =>
    value === undefined ? '—' : `${(value / 1000).toFixed(1)} s`;
  const failed = Object.entries(figures.outcome.failed)
    .map(([code, count]) => `${count} ${code}`)
    .join(', ');
  return `<!-- Generated by \`${command}\` (bench/fault.ts); do not edit by hand. -->

# Load, then kill -9 of the local stack

\`${command}\`, Pub/Sub: ${figures.pubsub}, on ${figures.machine.cpus} CPUs with a load average of
${figures.machine.loadAverage.start} at the start and ${figures.machine.loadAverage.end} at the end
(other work on the machine slows everything here). ${figures.load.uploads} uploads at concurrency
${figures.load.concurrency}, then ${figures.crash.inFlight} more started at once and the stack
killed with \`kill -9\` while they were in flight, then restarted on the same data directory.

| | |
|---|---|
| load: ${figures.load.uploads} uploads, ${figures.load.concurrency} at a time | ${figures.load.seconds} s, ${figures.load.memesPerSecond} memes/s |
| load: PUT → final status, p50 / p90 / p99 | ${ms(figures.load.clientMs.p50)} / ${ms(figures.load.clientMs.p90)} / ${ms(figures.load.clientMs.p99)} |
| at the kill: photos in / cut off mid-PUT | ${figures.crash.putsSentBeforeKill} / ${figures.crash.putsCutOff} |
| cut-off PUTs resent after the restart: landed / 412 (had landed before the kill) | ${figures.crash.resentLanded} / ${figures.crash.resent412} |
| restart command → stack ready | ${ms(figures.restart.readyMs)} |
| restart command → a job's final status, p50 / p90 / p99 | ${ms(figures.restart.finalMs.p50)} / ${ms(figures.restart.finalMs.p90)} / ${ms(figures.restart.finalMs.p99)} |
| restart command → every job final | ${ms(figures.restart.allFinalMs)} (budget ${ms(figures.recoveryBudgetMs)}) |
| jobs | ${figures.outcome.jobs}: ${figures.outcome.done} done${failed ? `, ${failed}` : ''} |
| stuck (not final) | ${figures.outcome.stuck} |
| duplicated (a second "meme done", or objects other than the job's meme and status) | ${figures.outcome.duplicated} |
| **every job done or failed with a code, none stuck or duplicated, within ${ms(figures.recoveryBudgetMs)}** | **${figures.met ? 'met' : 'NOT met'}** |
`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      load: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '20' },
      'in-flight': { type: 'string', default: '50' },
      pubsub: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const pubsub = (values.pubsub ?? (findPubSubEmulator() ? 'emulator' : 'in-process')) as
    'emulator' | 'in-process';
  const figures = await benchFault({
    load: Number(values.load),
    concurrency: Number(values.concurrency),
    inFlight: Number(values['in-flight']),
    pubsub,
  });
  if (values.json) {
    process.stdout.write(JSON.stringify(figures, null, 1) + '\n');
  } else {
    const report = faultReport(figures, 'npm run bench:fault');
    mkdirSync(join(ROOT, 'docs', 'bench'), { recursive: true });
    writeFileSync(REPORT, report);
    process.stdout.write(report);
  }
  if (!figures.met) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
