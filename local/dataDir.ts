/**
 * What one local stack's data directory remembers between runs, beside the buckets and the
 * signing key: the storage server's port (so the signed URLs and status URLs handed out
 * before a restart keep working), the pid of the Pub/Sub emulator it started (so a run that
 * was killed before it could stop the emulator is cleaned up by the next one), and a lock,
 * so two stacks never share one directory.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DataDirState {
  storagePort?: number;
  /** The emulator this directory's stack started, while it runs. */
  emulator?: { pid: number; port: number };
}

const STATE_FILE = 'stack.json';
const LOCK_FILE = 'stack.pid';

export function readState(dir: string): DataDirState {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as DataDirState;
  } catch {
    return {};
  }
}

export function updateState(dir: string, change: (state: DataDirState) => DataDirState): void {
  writeFileSync(join(dir, STATE_FILE), JSON.stringify(change(readState(dir)), null, 2) + '\n');
}

/** The command line of a live process, or undefined when there is none with that pid. */
export function commandOf(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    const ps = spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
    return ps.status === 0 ? ps.stdout.trim() : undefined;
  }
}

/** The pid in the directory's lock file, if there is one. */
function lockHolder(dir: string): number | undefined {
  try {
    return Number(readFileSync(join(dir, LOCK_FILE), 'utf8').trim());
  } catch {
    return undefined;
  }
}

/**
 * Takes the directory for this process. Refuses while another live stack holds it; a lock
 * left by a stack that died (its pid gone, or reused by another program) is taken over.
 */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  const holder = lockHolder(dir);
  if (holder !== undefined && holder !== process.pid) {
    const command = commandOf(holder);
    if (command && /local[/\\]main/.test(command))
      throw new Error(
        `another memegen stack (pid ${holder}) is using ${dir}; stop it first, or start with another --data`,
      );
  }
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    try {
      if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}

/**
 * Stops the emulator a killed run left behind, found by the pid it recorded. The pid is
 * only signalled if it is still a Pub/Sub emulator (a recycled pid is left alone); the
 * emulator runs in its own process group, which is ended whole.
 */
export async function stopLeftoverEmulator(dir: string, log: (line: string) => void): Promise<void> {
  const recorded = readState(dir).emulator;
  if (!recorded) return;
  const command = commandOf(recorded.pid);
  if (command && /pubsub-emulator/.test(command)) {
    log(`stopping the Pub/Sub emulator an earlier run left behind (pid ${recorded.pid})`);
    await endProcessGroup(recorded.pid, 3000);
  }
  updateState(dir, ({ emulator: _gone, ...rest }) => rest);
}

/**
 * Kills the recorded emulator at once, synchronously (a process about to exit cannot wait):
 * for a stack stopped while it was still starting. Only the process holding the directory's
 * lock may: one that was refused the directory must not touch the emulator of the stack
 * that holds it.
 */
export function killRecordedEmulator(dir: string): void {
  if (lockHolder(dir) !== process.pid) return;
  const recorded = readState(dir).emulator;
  if (!recorded || !/pubsub-emulator/.test(commandOf(recorded.pid) ?? '')) return;
  try {
    process.kill(-recorded.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** SIGTERM to a process group, SIGKILL if it is still there after `graceMs`; resolves when it is gone. */
export async function endProcessGroup(pid: number, graceMs: number): Promise<void> {
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pid, name);
    } catch {
      try {
        process.kill(pid, name);
      } catch {
        // already gone
      }
    }
  };
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return !isZombie(pid);
    } catch {
      return false;
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (alive()) signal('SIGKILL');
}

/** A process that exited but was not yet reaped by its parent still answers kill(pid, 0). */
function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
