// Preconditions (ifGenerationMatch...) are check-then-write; concurrent uploads of the
// same name must see each other's commits, so the check and the rename happen under a
// per-key lock. Bodies are streamed to temp files before the lock is taken, so a slow
// upload never blocks others.

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
