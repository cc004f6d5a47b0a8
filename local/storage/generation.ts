// Object generations in GCS are microsecond timestamps that only ever grow; handlers
// rely on "newer generation = newer object" (e.g. to ignore stale notifications), so
// two writes in the same microsecond, or a clock step backwards, must still increase.

let last = 0;

export function nextGeneration(): string {
  const nowMicros = Date.now() * 1000 + Math.floor(Number(process.hrtime.bigint() % 1000n));
  last = Math.max(nowMicros, last + 1);
  return String(last);
}

/** Called at start-up with the largest generation on disk, so a restart never reuses one. */
export function observeGeneration(generation: string): void {
  const value = Number(generation);
  if (Number.isFinite(value) && value > last) last = value;
}
