/**
 * How each function's memory and vCPUs follow from what `npm run bench:functions`
 * measures under the functions framework (docs/bench/functions.json). infra/README.md
 * shows the arithmetic (written by that script), infra/variables.tf holds the results as
 * defaults, and test/infra.test.ts checks that the three agree.
 *
 * - Memory: the peak resident set of one instance serving `concurrency` requests at once
 *   (the largest photo the settings accept for the image functions), times MEMORY_HEADROOM
 *   for what one measurement does not see (other photos, heap growth before a collection,
 *   a slower garbage collector under pressure), rounded up to the next power-of-two size.
 * - vCPUs: an instance full of typical requests (`concurrency` × CPU time of one) should
 *   finish within CPU_BUDGET_MS per vCPU, so a request waits at most about that long for
 *   a processor; at least 1, because Cloud Run serves more than one request at a time
 *   only with a whole vCPU, and one of the vCPU counts Cloud Run offers.
 *
 * Cloud Run's limits (https://cloud.google.com/run/docs/configuring/services/cpu): 4 vCPUs
 * need at least 2 GiB, 6 and 8 at least 4 GiB; 1 vCPU allows at most 4 GiB, 2 at most 8.
 */
export const MEMORY_HEADROOM = 1.5;
export const CPU_BUDGET_MS = 1000;
const MEMORY_STEPS_MI = [128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];
const CPU_STEPS = [1, 2, 4, 6, 8];
const MEMORY_LIMITS_MI: Record<number, [min: number, max: number]> = {
  1: [128, 4096],
  2: [128, 8192],
  4: [2048, 16384],
  6: [4096, 24576],
  8: [4096, 32768],
};

/** What the benchmark measured for one function. */
export interface FunctionLoad {
  concurrency: number;
  /** Peak resident set (VmHWM) over the whole run, MiB. */
  peakRssMb: number;
  /** CPU time (user + system) per typical request, ms. */
  cpuMsPerRequest: number;
}

export interface FunctionSize {
  /** As Terraform takes it: "512Mi", "1Gi". */
  memory: string;
  /** As Terraform takes it: "1", "2". */
  cpu: string;
  memoryArithmetic: string;
  cpuArithmetic: string;
}

/** "256Mi" / "2Gi" → MiB. */
export function memoryMi(value: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(value);
  if (!match) throw new Error(`not a memory size in Mi or Gi: ${value}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

function memoryText(mi: number): string {
  return mi >= 1024 ? `${mi / 1024}Gi` : `${mi}Mi`;
}

export function sizeFunction(load: FunctionLoad): FunctionSize {
  const wantedMi = load.peakRssMb * MEMORY_HEADROOM;
  const busyMs = load.concurrency * load.cpuMsPerRequest;
  const neededCpu = Math.max(1, busyMs / CPU_BUDGET_MS);
  let cpu = CPU_STEPS.find((step) => step >= neededCpu);
  // More memory than a vCPU count allows needs more vCPUs.
  while (cpu !== undefined && MEMORY_LIMITS_MI[cpu][1] < wantedMi) cpu = CPU_STEPS.find((s) => s > cpu!);
  if (cpu === undefined)
    throw new Error(
      `${busyMs.toFixed(0)} ms of CPU or ${wantedMi.toFixed(0)} MiB is beyond Cloud Run's limits`,
    );
  const measuredMi = MEMORY_STEPS_MI.find((step) => step >= wantedMi)!;
  const mi = Math.max(measuredMi, MEMORY_LIMITS_MI[cpu][0]);
  const floor = mi > measuredMi ? ` (${cpu} vCPUs need at least ${memoryText(mi)})` : '';
  return {
    memory: memoryText(mi),
    cpu: String(cpu),
    memoryArithmetic: `${load.peakRssMb.toFixed(0)} MiB × ${MEMORY_HEADROOM} = ${wantedMi.toFixed(0)} MiB → ${memoryText(mi)}${floor}`,
    cpuArithmetic: `${load.concurrency} × ${load.cpuMsPerRequest.toFixed(0)} ms = ${busyMs.toFixed(0)} ms → ${cpu}`,
  };
}
