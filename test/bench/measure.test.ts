// bench/lib/measure.ts: what it asks of mitata.
import { describe, expect, it, vi } from 'vitest';

const seen: Array<{ gc?: unknown }> = [];
vi.mock('mitata', async (original) => {
  const real = await original<typeof import('mitata')>();
  return {
    ...real,
    measure: (fn: () => unknown, options: { gc?: unknown }) => {
      seen.push(options);
      return real.measure(fn, options as never);
    },
  };
});

describe('interleave', () => {
  it('gives mitata a real gc(), so mitata never falls back to allocating 1 GiB before a measurement', async () => {
    const { interleave } = await import('../../bench/lib/measure.ts');
    const out = await interleave(new Map([['a', () => 1]]), { rounds: 2, ms: 1, minSamples: 2 });
    expect(out.get('a')!.rounds).toHaveLength(2);
    expect(seen).toHaveLength(2);
    for (const options of seen) {
      expect(typeof options.gc).toBe('function');
      expect((options.gc as { fallback?: boolean }).fallback).toBeUndefined();
    }
  });
});
