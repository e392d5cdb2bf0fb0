// bench/lib: the anchor data (xoshiro128** letters), the busy processes of the loaded cases, the results' names.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorData, xoshiro128, xoshiro128ss } from '../../bench/lib/data.ts';
import { BusyProcesses } from '../../bench/lib/load.ts';
import { resultStem } from '../../bench/lib/report.ts';

describe('xoshiro128**', () => {
  it('matches the reference outputs for the state 1, 2, 3, 4', () => {
    const next = xoshiro128ss([1, 2, 3, 4]);
    const expected = [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804];
    expect(expected.map(() => next())).toEqual(expected);
  });

  it('gives doubles in [0, 1), the same for the same seed', () => {
    const a = xoshiro128(5);
    const b = xoshiro128(5);
    const values = Array.from({ length: 10_000 }, () => a());
    expect(values.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(values.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    const mean = values.reduce((sum, x) => sum + x, 0) / values.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });
});

describe('anchorData', () => {
  it('is one query of 19 letters and candidates of 8-32 letters, deterministic, without near-duplicate runs', () => {
    const { query, candidates } = anchorData(20_000);
    expect(query).toMatch(/^[a-z]{19}$/);
    const lengths = candidates.map((c) => c.length);
    expect(Math.min(...lengths)).toBe(8);
    expect(Math.max(...lengths)).toBe(32);
    expect(candidates.every((c) => /^[a-z]+$/.test(c))).toBe(true);
    expect(new Set(candidates).size).toBe(candidates.length);
    expect(new Set(candidates.map((c) => c.slice(0, 4))).size).toBeGreaterThan(15_000);
    expect(anchorData(20_000)).toEqual({ query, candidates });
  });
});

describe('BusyProcesses', () => {
  it('starts processes that keep running until stop() kills them', async () => {
    const busy = new BusyProcesses(2);
    await busy.start();
    const pids = busy.pids;
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(() => process.kill(pid, 0)).not.toThrow();
    busy.stop();
    expect(busy.pids).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('resultStem', () => {
  it('keeps a partial (--only) run from replacing the full run of the same day', () => {
    expect(resultStem('out', '2026-12-06', undefined)).toBe(join('out', '2026-12-06'));
    expect(resultStem('out', '2026-12-06', 'levenshtein')).toBe(join('out', '2026-12-06-only-levenshtein'));
    expect(resultStem('out', '2026-12-06', 'get_result/10 B')).toBe(join('out', '2026-12-06-only-get_result_10_B'));
  });
});
