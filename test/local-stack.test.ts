/**
 * The local stack (`npm start`) survives what happens to it on a laptop: restarts, kill -9
 * with jobs in flight, a dead Pub/Sub emulator, signals from an IDE's stop button. Every
 * test runs the stack as a user does, in its own process, with the real emulator.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { StatusDocument, UploadTicket } from '../functions/cloud/contract';
import { freePort } from '../local/functionProcess';
import { findPubSubEmulator } from '../local/pubsub';
import { emulatorAvailable, MAIN, RunningStack, startStack } from './support/localStack';
import { PHOTOS } from './support/sharedData';

const photo = readFileSync(join(PHOTOS, 'matplotlib_grace_hopper.jpg'));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const emulatorPidOrZero = (dataDir: string): number => {
  try {
    return emulatorPid(dataDir) ?? 0;
  } catch {
    return 0;
  }
};
const emulatorPid = (dataDir: string): number =>
  (JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as { emulator: { pid: number } }).emulator
    .pid;

async function requestUpload(stack: RunningStack): Promise<{ status: number; ticket: UploadTicket }> {
  const response = await fetch(`${stack.pageUrl}api/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ contentType: 'image/jpeg', size: photo.length }),
  });
  return { status: response.status, ticket: (await response.json()) as UploadTicket };
}

const put = async (ticket: UploadTicket): Promise<number> =>
  (await fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.uploadHeaders, body: photo })).status;

async function finished(url: string, timeoutMs = 60_000): Promise<StatusDocument> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(url).catch(() => undefined);
    const status = response?.ok ? ((await response.json()) as StatusDocument) : undefined;
    if (status && (status.state === 'done' || status.state === 'failed')) return status;
    if (Date.now() > deadline) throw new Error(`job at ${url} still ${status?.state ?? 'missing'}`);
    await sleep(200);
  }
}

/** `what`, when a function, is asked at the deadline (to say what was still wrong). */
async function until(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string | (() => string),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`${typeof what === 'string' ? what : what()}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Which of these processes are still alive, with their state and what they wait in, for a failure. */
const stillThere = (processes: Record<string, number>): string =>
  Object.entries(processes)
    .filter(([, pid]) => alive(pid))
    .map(([name, pid]) => {
      const read = (file: string): string => {
        try {
          return readFileSync(`/proc/${pid}/${file}`, 'utf8').trim();
        } catch {
          return '?';
        }
      };
      const state = /^\d+ \(.*\) (\S)/.exec(read('stat'))?.[1] ?? '?';
      return `${name} (pid ${pid}, state ${state}, waiting in ${read('wchan') || '-'})`;
    })
    .join(', ');

const describeWithEmulator = emulatorAvailable('local stack recovery') ? describe : describe.skip;

describeWithEmulator('the local stack recovers', () => {
  it('keeps its storage port and signing key: an upload URL handed out before a restart still works after it', async () => {
    const first = await startStack();
    const { ticket } = await requestUpload(first);
    await first.stop({ keepData: true });
    const second = await startStack({ dataDir: first.dataDir });
    try {
      expect(second.storageUrl).toBe(first.storageUrl);
      expect(await put(ticket)).toBe(200);
      expect(await finished(ticket.statusUrl)).toMatchObject({ state: 'done' });
    } finally {
      await second.stop();
    }
  }, 180_000);

  it('after kill -9 with jobs in flight, the emulator dies with the stack, and after a restart every job ends: done, or UPLOAD_INTERRUPTED for a PUT the crash cut off', async () => {
    const first = await startStack();
    const tickets = await Promise.all(
      Array.from({ length: 6 }, async () => (await requestUpload(first)).ticket),
    );
    for (const ticket of tickets) expect(await put(ticket)).toBe(200);
    // One upload is half sent when the stack dies.
    const { ticket: cut } = await requestUpload(first);
    const slowBody = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(photo.subarray(0, photo.length / 2));
      },
    });
    const cutPut = fetch(cut.uploadUrl, {
      method: 'PUT',
      headers: { ...cut.uploadHeaders, 'Content-Length': String(photo.length) },
      body: slowBody,
      duplex: 'half',
    } as RequestInit).catch(() => undefined);
    const inflight = join(first.dataDir, 'storage', 'inflight');
    await until(() => existsSync(inflight) && readdirSync(inflight).length > 0, 10_000, 'the PUT began');
    const oldEmulator = emulatorPid(first.dataDir);
    first.child.kill('SIGKILL');
    await first.exited;
    await cutPut;
    // The kernel ends it (its parent-death signal): no JVM is left holding the port and memory.
    await until(() => !alive(oldEmulator), 5000, 'the emulator dies with its stack');

    const second = await startStack({ dataDir: first.dataDir });
    try {
      const statuses = await Promise.all(tickets.map((ticket) => finished(ticket.statusUrl)));
      expect(statuses.map((status) => status.state)).toEqual(tickets.map(() => 'done'));
      expect(await finished(cut.statusUrl, 60_000)).toMatchObject({
        state: 'failed',
        code: 'UPLOAD_INTERRUPTED',
      });
    } finally {
      await second.stop();
    }
  }, 240_000);

  it('when the emulator dies, uploads are refused until a new one runs with its topics and subscriptions; jobs then flow again', async () => {
    const stack = await startStack();
    try {
      const { ticket: before } = await requestUpload(stack);
      const { ticket: waiting } = await requestUpload(stack);
      expect(await put(before)).toBe(200);
      process.kill(emulatorPid(stack.dataDir), 'SIGKILL');
      await until(async () => (await requestUpload(stack)).status === 503, 5000, 'the API refuses uploads');
      const refused = await requestUpload(stack);
      expect(refused.ticket).toMatchObject({ code: 'UNAVAILABLE' });
      expect(await put(waiting)).toBe(503); // the inbox refuses photos too: nothing could process them
      await until(async () => (await requestUpload(stack)).status === 201, 60_000, 'the emulator is back');
      expect(stack.logs.join('\n')).toMatch(/Pub\/Sub emulator restarted/);
      expect(await finished(before.statusUrl)).toMatchObject({ state: 'done' });
      expect(await put(waiting)).toBe(200);
      expect(await finished(waiting.statusUrl)).toMatchObject({ state: 'done' });
    } finally {
      await stack.stop();
    }
  }, 180_000);

  it('a start stops the emulator an earlier run left behind (where none can be tied to its stack, as on macOS), and then runs jobs', async () => {
    // What such a run leaves: an emulator in its own process group, its pid in stack.json.
    const dataDir = mkdtempSync(join(tmpdir(), 'memegen-leftover-'));
    const port = await freePort();
    const leftover = spawn(findPubSubEmulator()!, ['--host=127.0.0.1', `--port=${port}`], {
      detached: true,
      stdio: 'ignore',
    });
    const pid = leftover.pid!;
    writeFileSync(join(dataDir, 'stack.json'), JSON.stringify({ emulator: { pid, port } }));
    try {
      const stack = await startStack({ dataDir });
      try {
        expect(alive(pid)).toBe(false);
        expect(stack.logs.join('\n')).toMatch(`earlier run left behind (pid ${pid})`);
        const { ticket } = await requestUpload(stack);
        expect(await put(ticket)).toBe(200);
        expect(await finished(ticket.statusUrl)).toMatchObject({ state: 'done' });
      } finally {
        await stack.stop();
      }
    } finally {
      if (alive(pid)) process.kill(-pid, 'SIGKILL');
    }
  }, 120_000);

  it('refuses a second stack on the same data directory, which leaves the first one alone', async () => {
    const stack = await startStack();
    const emulator = emulatorPid(stack.dataDir);
    try {
      await expect(startStack({ dataDir: stack.dataDir })).rejects.toThrow(
        /another memegen stack .* is using/,
      );
      // The refused one touched nothing of the running stack's: not its emulator, not its uploads.
      expect(emulatorPid(stack.dataDir)).toBe(emulator);
      expect(alive(emulator)).toBe(true);
      expect((await requestUpload(stack)).status).toBe(201);
    } finally {
      await stack.stop();
    }
  }, 120_000);
});

/** Starts `npm start` (which builds first) or node directly, and waits for its ready line. */
async function launch(
  how: 'npm' | 'node',
): Promise<{ child: ChildProcess; ready: { pid: number; dataDir: string }; exited: Promise<unknown> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'memegen-signals-'));
  const args = ['--port', '0', '--ready-json', '--data', dataDir, '--pubsub', 'emulator'];
  const child =
    how === 'npm'
      ? spawn('npm', ['start', '--silent', '--', ...args], {
          cwd: join(__dirname, '..'),
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stderr!.resume();
  const ready = await new Promise<{ pid: number; dataDir: string }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as { pid: number; dataDir: string });
    });
    void exited.then(() => reject(new Error(`${how} start exited before it was ready`)));
  });
  return { child, ready, exited };
}

describeWithEmulator('signals stop everything within 5 s', () => {
  it.each([
    ['npm start', 'SIGTERM', 'npm'],
    ['npm start', 'SIGHUP', 'npm'],
    ['node dist/local/main.js', 'SIGINT', 'node'],
  ] as const)(
    '%s receives %s: the node process and the emulator are gone',
    async (_name, signal, how) => {
      const { child, ready, exited } = await launch(how);
      const emulator = emulatorPid(ready.dataDir);
      expect([alive(ready.pid), alive(emulator)]).toEqual([true, true]);
      const sent = Date.now();
      child.kill(signal);
      await until(
        () => !alive(ready.pid) && !alive(emulator),
        5000,
        () => `${signal} stops the stack; still there: ${stillThere({ node: ready.pid, emulator })}`,
      );
      expect(Date.now() - sent).toBeLessThan(5000);
      await exited;
    },
    240_000,
  );
  it('a SIGTERM while the stack is still starting stops it and the emulator it had begun to start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'memegen-signals-'));
    const child = spawn(process.execPath, [MAIN, '--port', '0', '--ready-json', '--data', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let ready = false;
    createInterface({ input: child.stdout! }).on('line', () => (ready = true));
    const logs: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => logs.push(line));
    // The emulator's pid is recorded the moment it is spawned, seconds before it answers.
    await until(
      () => existsSync(join(dataDir, 'stack.json')) && emulatorPidOrZero(dataDir) > 0,
      60_000,
      'spawned',
    );
    const emulator = emulatorPid(dataDir);
    child.kill('SIGTERM');
    await until(
      () => !alive(child.pid!) && !alive(emulator),
      5000,
      () =>
        `SIGTERM during start-up stops everything; still there: ${stillThere({ node: child.pid!, emulator })}; ` +
        `the stack logged:\n${logs.join('\n')}`,
    );
    await exited;
    expect(ready).toBe(false);
  }, 120_000);
});
