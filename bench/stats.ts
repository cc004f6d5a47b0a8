/** Summaries of repeated timings: medians and tails, with the number of runs they come from. */
export interface Figure {
  median: number;
  p90: number;
  runs: number;
}

export function figure(times: number[]): Figure {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: round(at(0.5)), p90: round(at(0.9)), runs: times.length };
}

/** Latency percentiles (nearest rank), 0.1 ms resolution. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  runs: number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN, 1);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), runs: values.length };
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Collects named samples across runs and summarises each. */
export class Samples {
  private readonly values = new Map<string, number[]>();

  add(name: string, value: number): void {
    const list = this.values.get(name) ?? [];
    list.push(value);
    this.values.set(name, list);
  }

  figures(): Record<string, Figure> {
    return Object.fromEntries([...this.values].map(([name, list]) => [name, figure(list)]));
  }
}
