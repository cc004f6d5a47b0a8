/**
 * One deployed function run the way its Cloud Run instance runs it: the functions
 * framework in a child process of its own, loading the compiled entry module
 * (dist/functions/index.js, package.json "main") with --target=<entry point>. The
 * benchmark measures cold starts, memory and CPU this way, and the tests check what each
 * function loads.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { deployedProcessEnv } from './processEnv';

const ROOT = join(__dirname, '..');
const FRAMEWORK = join(
  ROOT,
  'node_modules',
  '@google-cloud',
  'functions-framework',
  'build',
  'src',
  'main.js',
);
export const DEPLOYED_ENTRY = join(ROOT, 'dist', 'functions', 'index.js');

export interface FunctionProcessOptions {
  /** The entry point, e.g. "analyze". */
  target: string;
  signatureType: 'http' | 'cloudevent';
  /** The module the framework loads (default: the deployed entry, dist/functions/index.js). */
  source?: string;
  env: Record<string, string | undefined>;
  /** Modules to load before the framework (node --require). */
  preload?: string[];
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for the child to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

let clockTicks: number | undefined;
/** Kernel clock ticks per second (the unit of utime and stime in /proc/<pid>/stat). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim();
    clockTicks = Number(out) > 0 ? Number(out) : 100;
  }
  return clockTicks;
}

export class FunctionProcess {
  /** performance.now() when the process was spawned. */
  readonly startedAt: number;
  private readonly exited: Promise<number | null>;
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.startedAt = performance.now();
    this.exited = new Promise((resolve) =>
      child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve),
    );
    // Kept (the last 20 kB) for error messages; the functions log every request.
    const keep = (chunk: Buffer): void =>
      void (this.output = (this.output + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(options: FunctionProcessOptions): Promise<FunctionProcess> {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        ...(options.preload ?? []).flatMap((module) => ['--require', module]),
        FRAMEWORK,
        `--target=${options.target}`,
        `--signature-type=${options.signatureType}`,
        `--port=${port}`,
        `--source=${options.source ?? DEPLOYED_ENTRY}`,
      ],
      // The deployed process environment wins, as on Cloud Run, where it is part of the function.
      { env: { ...options.env, ...deployedProcessEnv() }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new FunctionProcess(child, `http://127.0.0.1:${port}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** What the process printed last (its logs), for error messages. */
  get logs(): string {
    return this.output;
  }

  /**
   * Sends a request as soon as the port accepts connections (polling every 5 ms while the
   * framework starts), and returns the response with its body read.
   */
  async request(
    path: string,
    init: RequestInit,
    timeoutMs = 120_000,
  ): Promise<{ status: number; body: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const response = await fetch(`${this.url}${path}`, init);
        return { status: response.status, body: await response.text() };
      } catch (error) {
        if (this.child.exitCode !== null)
          throw new Error(`the ${path} request found the function exited:\n${this.output}`, { cause: error });
        // Only a refused connection (not listening yet) is retried: anything else may have
        // reached the function, and sending it again would be a second request.
        const refused = (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
        if (!refused || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  }

  /** Resident memory now and at its peak (VmRSS, VmHWM), MiB. */
  memory(): { rssMb: number; peakRssMb: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (field: string): number =>
      Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  }

  /** CPU time used so far (user + system), ms. */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces, inside parentheses).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
  }

  /** SIGTERM (the framework exits at once, as on Cloud Run) and wait for the exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
