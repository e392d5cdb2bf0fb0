/** Pure-TypeScript references for the numeric kernels (same NaN policy: NaN is skipped). */

import type { Stats } from '../bindings/types.ts';

export type { Stats };

export function stats(values: Float64Array): Stats {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isNaN(x)) continue;
    count++;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (count === 0) return { count, mean: NaN, variance: NaN, min: NaN, max: NaN };
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    if (!Number.isNaN(d)) squares += d * d;
  }
  return { count, mean, variance: squares / count, min, max };
}

export function histogram(values: Float64Array, bins: Uint32Array, min: number, max: number): Uint32Array {
  bins.fill(0);
  const scale = bins.length / (max - min);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x >= min && x <= max) bins[Math.min(Math.floor((x - min) * scale), bins.length - 1)]!++;
  }
  return bins;
}
