/**
 * Interleaved measurement on top of mitata's `measure` (warm-up, batching of fast calls,
 * per-iteration samples). Every round measures every column once, in a rotated order, so
 * the columns of one case share the machine's state (other processes, CPU frequency) and
 * their ratios are paired round by round. A column's figure is the median over rounds of
 * its per-round median; a ratio is the median over rounds of the per-round ratios.
 */
import { do_not_optimize, measure } from 'mitata';
import { forceGc } from './memory.ts';

export interface Budget {
  /** Rounds (each column measured once per round). */
  rounds: number;
  /** Time per column per round (mitata's min_cpu_time), ms. */
  ms: number;
  /** Minimum samples per column per round (after mitata's warm-up call). */
  minSamples: number;
}

export interface Sampled {
  /** Per-round median time per call, ns. */
  rounds: number[];
}

export type Progress = (line: string) => void;

/** Measures `fns` interleaved; returns per-round medians (ns) by column id. */
export async function interleave(fns: Map<string, () => unknown>, budget: Budget): Promise<Map<string, Sampled>> {
  const ids = [...fns.keys()];
  const out = new Map<string, Sampled>(ids.map((id) => [id, { rounds: [] }]));
  for (let round = 0; round < budget.rounds; round++) {
    for (let k = 0; k < ids.length; k++) {
      const id = ids[(k + round) % ids.length]!;
      const fn = fns.get(id)!;
      // Every column's result is kept alive the same way, so V8 cannot drop pure-JS work.
      const measured = await measure(() => do_not_optimize(fn()), {
        min_cpu_time: budget.ms * 1e6,
        min_samples: budget.minSamples,
        max_samples: 1e6,
        batch_samples: 128,
        warmup_samples: 2,
        // Without a gc() to call, mitata forces one by allocating 1 GiB before each measurement;
        // the page faults and reclaim that follow slowed the next calls over a 1M-name index
        // (45 MB of native memory) from 9 ms to 13-38 ms.
        gc: forceGc,
      });
      out.get(id)!.rounds.push(measured.p50);
    }
  }
  return out;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median over rounds of a[r] / b[r] (paired within a round), with the min and max. */
export function pairedRatio(a: readonly number[], b: readonly number[]): { ratio: number; low: number; high: number } {
  const ratios = a.map((x, i) => x / b[i]!);
  return { ratio: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
}

/**
 * Time per call (ns) when `total` calls of `call` run with `inFlight` of them pending at any
 * moment (a pool of `inFlight` loops). Wall-clock, so it measures throughput.
 */
export async function throughput(call: () => Promise<unknown>, inFlight: number, total: number): Promise<{ ns: number; cores: number }> {
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      await call();
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, worker));
  const wall = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  // CPU time of this process (all threads) per wall time: ~2 means two cores were ours.
  return { ns: wall / total, cores: ((cpu.user + cpu.system) * 1e3) / wall };
}
