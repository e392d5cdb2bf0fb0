import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_ASYNC_CALLS, asyncCallStats } from '../bindings/_async.ts';
import { FuzzyIndex, closest, closestAsync, countDoublesAsync, histogram, levenshtein, levenshteinAsync, stats, statsAsync } from '../bindings/index.ts';

const detachScript = fileURLToPath(new URL('./fixtures/hostile/detach-during-async.mts', import.meta.url));

describe('memory the caller can take away during an async call', () => {
  it('detaching (transfer + GC) or shrinking the input while the worker reads it', () => {
    // A child process: on a build that reads caller memory in place this dies with SIGSEGV.
    const output = execFileSync(process.execPath, ['--import', 'tsx', detachScript], { encoding: 'utf8', timeout: 120_000 });
    const rounds = JSON.parse(output.trim()) as unknown[];
    expect(rounds).toEqual(Array.from({ length: 4 }, () => [4 << 20, 1, (8 << 20) - 1, (1 << 20) - 1, 16]));
  });

  it('async results describe the input as it was when the call was made', async () => {
    const bytes = Buffer.alloc(1 << 20, 'a');
    const values = new Float64Array(1 << 16).fill(2);
    const pending = [countDoublesAsync(bytes), statsAsync(values)] as const;
    bytes.fill(0).write('abababab'.repeat(1000));
    values.fill(-1);
    expect(await pending[0]).toBe((1 << 20) - 1);
    expect((await pending[1]).mean).toBe(2);
  });
});

describe('unload after calls that ran threads', () => {
  it.each([2000, 40_000])('the process exits cleanly after searches over %i candidates and unload()', (count) => {
    // On a library linked without -z nodelete this child died with SIGSEGV at exit: a per-thread
    // destructor Rust's std registered on a host thread pointed into the unmapped library.
    const script = fileURLToPath(new URL('./fixtures/hostile/unload-after-threads.mts', import.meta.url));
    // execFileSync throws on a signal or a non-zero exit.
    const output = execFileSync(process.execPath, ['--import', 'tsx', script, String(count)], { encoding: 'utf8', timeout: 120_000 });
    const [fromAsync, fromSync] = JSON.parse(output.trim()) as string[];
    expect(fromAsync).toMatch(/^candidate-7/);
    expect(fromSync).toBe(fromAsync);
  });
});

describe('more async calls than koffi runs at once', () => {
  it(`500 concurrent levenshteinAsync calls all resolve (koffi's own limit is 256; the layer runs ${MAX_ASYNC_CALLS})`, async () => {
    const word = (i: number) => `ap${'p'.repeat(i % 4)}le`;
    const calls = Array.from({ length: 500 }, (_, i) => levenshteinAsync(word(i), 'maple'));
    expect(asyncCallStats().running).toBeLessThanOrEqual(MAX_ASYNC_CALLS);
    expect(asyncCallStats().waiting).toBeGreaterThan(0);
    const results = await Promise.all(calls);
    results.forEach((result, i) => {
      expect(result).toBe(levenshtein(word(i), 'maple'));
    });
    expect(asyncCallStats()).toMatchObject({ running: 0, waiting: 0 });
  });

  it('an aborted signal takes a waiting call out of the queue; the rest still run', async () => {
    const text = Buffer.alloc(1000, 'a');
    const controller = new AbortController();
    const reason = new Error('stop waiting');
    const busy = Array.from({ length: MAX_ASYNC_CALLS + 50 }, () => countDoublesAsync(text));
    const queued = Array.from({ length: 20 }, () => levenshteinAsync('x', 'y', { signal: controller.signal }));
    const waitingBefore = asyncCallStats().waiting;
    controller.abort(reason);
    expect(asyncCallStats().waiting).toBe(waitingBefore - 20);
    const settled = await Promise.allSettled(queued);
    expect(settled.every((s) => s.status === 'rejected' && s.reason === reason)).toBe(true);
    for (const result of await Promise.all(busy)) expect(result).toBe(999);
    expect(asyncCallStats()).toMatchObject({ running: 0, waiting: 0 });
  });
});

describe('closest reads the candidate list once, when called', () => {
  const list = () => ['kitten', 'sitting', 'mitten', 'bitten', 'smitten'];

  it('closestAsync: the caller empties the array while awaiting', async () => {
    const candidates = list();
    const pending = closestAsync('kitten', candidates, { limit: 3 });
    candidates.length = 0;
    expect(await pending).toEqual(closest('kitten', list(), { limit: 3 }));
  });

  it('closest: onProgress reverses the array during the call', () => {
    const candidates = list();
    const got = closest('kitten', candidates, {
      limit: 3,
      onProgress: () => {
        candidates.reverse();
        return true;
      },
    });
    expect(got).toEqual(closest('kitten', list(), { limit: 3 }));
  });

  it('FuzzyIndex.closestAsync keeps its own copy of the list', async () => {
    const candidates = list();
    using index = new FuzzyIndex(candidates);
    candidates.reverse();
    expect(await index.closestAsync('kitten', { limit: 3 })).toEqual(closest('kitten', list(), { limit: 3 }));
  });

  it('an element getter runs once: the checked value is the one searched', () => {
    let reads = 0;
    const candidates = ['abc', 'abd'];
    Object.defineProperty(candidates, 1, {
      get: () => (++reads === 1 ? 'abd' : 42),
    });
    expect(closest('abd', candidates, { limit: 1 })).toEqual([{ index: 1, candidate: 'abd', distance: 0 }]);
    expect(reads).toBe(1);
  });
});

describe('histogram ranges and aliasing', () => {
  it('the default range is the finite min and max (Infinity is not counted, not an error)', () => {
    expect([...histogram(new Float64Array([1, 2, Infinity]), new Uint32Array(2))]).toEqual([1, 1]);
    expect([...histogram(new Float64Array([-Infinity, 4, NaN]), new Uint32Array(2))]).toEqual([1, 0]);
  });

  it('no finite value: every bin is 0, whatever the bins held', () => {
    for (const values of [[], [NaN], [Infinity, -Infinity]]) {
      expect([...histogram(new Float64Array(values), new Uint32Array([9, 9]))]).toEqual([0, 0]);
    }
  });

  it('one repeated huge value lands in one bin without overflowing the range', () => {
    expect([...histogram(new Float64Array([1.7976931348623157e308, 1.7976931348623157e308]), new Uint32Array(2))].reduce((a, b) => a + b)).toBe(2);
    expect([...histogram(new Float64Array([-1e308, -1e308]), new Uint32Array(2))]).toEqual([2, 0]);
  });

  it('bins that overlap values are refused before the call', () => {
    const memory = new ArrayBuffer(64);
    const values = new Float64Array(memory, 0, 4);
    const bins = new Uint32Array(memory, 16, 4);
    expect(() => histogram(values, bins)).toThrow(/histogram: argument 'bins' overlaps argument 'values'/);
    // Adjacent, not overlapping: allowed.
    const after = new Uint32Array(memory, 32, 4);
    expect([...histogram(values, after, { min: 0, max: 1 })]).toEqual([4, 0, 0, 0]);
  });

  it('explicit non-finite range arguments are still named', () => {
    expect(() => histogram(new Float64Array([1]), new Uint32Array(1), { max: Infinity })).toThrow(/argument 'max' must be finite/);
    expect(stats(new Float64Array([1])).count).toBe(1);
  });
});
