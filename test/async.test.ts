import { describe, expect, it } from 'vitest';
import { FuzzyIndex, MylibError, closest, closestAsync, countDoublesAsync, levenshtein, levenshteinAsync, open, stats, statsAsync } from '../bindings/index.ts';
import * as reference from '../reference/levenshtein.ts';
import { countDoubles as referenceCountDoubles } from '../reference/text.ts';
import { randomLetters, seededRandom } from './helpers.ts';

function randomWords(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => randomLetters(8 + Math.floor(random() * 25), seed * 1_000_000 + i));
}

describe('async calls on koffi worker threads', () => {
  it('200 concurrent calls all resolve with correct results', async () => {
    const list = randomWords(500, 1);
    const values = Float64Array.from({ length: 10_000 }, (_, i) => Math.sin(i));
    const expectedStats = stats(values);
    const query = (i: number) => randomLetters(10, 1000 + i);
    const text = (i: number) => randomLetters(1000, 2000 + i, 'ab');
    // One check per async function, taken in turn.
    const checks: Array<(i: number) => Promise<void>> = [
      (i) => closestAsync(query(i), list, { limit: 3 }).then((got) => expect(got).toEqual(reference.closest(query(i), list, { limit: 3 }))),
      (i) => countDoublesAsync(i % 2 ? text(i) : Buffer.from(text(i))).then((got) => expect(got).toBe(referenceCountDoubles(text(i)))),
      (i) => levenshteinAsync(query(i), list[i]!).then((got) => expect(got).toBe(reference.levenshtein(query(i), list[i]!))),
      () => statsAsync(values).then((got) => expect(got).toEqual(expectedStats)),
    ];
    await Promise.all(Array.from({ length: 200 }, (_, i) => checks[i % checks.length]!(i)));
  });

  it('the event loop keeps turning while a heavy call runs', async () => {
    // Edit distance of two 60k-letter strings: about 56M bit-parallel steps on one thread, a call
    // of a few hundred milliseconds whatever the machine's load (a search over a list now takes
    // tens of milliseconds, too short to judge on a loaded machine).
    const a = randomLetters(60_000, 11, 'abcd');
    const b = randomLetters(60_000, 12, 'abcd');
    let turns = 0;
    let running = true;
    const spin = () => {
      turns++;
      if (running) setImmediate(spin);
    };
    let timerFired = false;
    setTimeout(() => {
      timerFired = true;
    }, 1);
    setImmediate(spin);
    const started = performance.now();
    const distance = await levenshteinAsync(a, b);
    const turnsDuringCall = turns;
    running = false;
    const elapsed = performance.now() - started;
    expect(distance).toBe(levenshtein(a, b));
    console.log(`event loop turns during a ${elapsed.toFixed(0)} ms async call: ${turnsDuringCall}`);
    // A call that blocked the main thread would allow at most one turn, after it returned.
    // The machines are 2 shared cores, so only "several turns and a timer" is asserted.
    expect(turnsDuringCall).toBeGreaterThanOrEqual(3);
    expect(timerFired).toBe(true);
  });

  it('an AbortSignal cancels a running call; the promise rejects with the signal reason', async () => {
    const list = randomWords(100_000, 3);
    const controller = new AbortController();
    let progressCalls = 0;
    const promise = closestAsync('query', list, {
      signal: controller.signal,
      onProgress: () => {
        progressCalls++;
        controller.abort();
      },
    });
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    expect(progressCalls).toBe(1);
  });

  it('an already aborted signal rejects before any native work', async () => {
    const reason = new Error('stop now');
    await expect(closestAsync('q', ['a'], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('a throwing progress callback becomes a rejected promise, not a crash', async () => {
    const list = randomWords(20_000, 4);
    const boom = new Error('progress failed');
    await expect(
      closestAsync('query', list, {
        onProgress: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    await expect(closestAsync('q', ['q'])).resolves.toEqual([{ index: 0, candidate: 'q', distance: 0 }]);
  });

  it('returning false from onProgress rejects with MYLIB_ERR_CANCELLED', async () => {
    const list = randomWords(20_000, 5);
    const error = await closestAsync('query', list, { onProgress: () => false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MylibError);
    expect((error as MylibError).code).toBe('MYLIB_ERR_CANCELLED');
  });

  it('FuzzyIndex.close() during an async search waits for it, then frees', async () => {
    const list = randomWords(50_000, 6);
    const index = new FuzzyIndex(list);
    const pending = index.closestAsync('query', { limit: 2 });
    index.close();
    expect(() => index.closest('x')).toThrow(/closed/);
    expect(await pending).toEqual(closest('query', list, { limit: 2 }));
    expect(index.closed).toBe(true);
  });

  it('unload() during an async call lets it finish, then refuses new calls', async () => {
    const lib = open();
    const list = randomWords(30_000, 7);
    const pending = lib.closestAsync('query', list, { limit: 1 });
    lib.unload();
    await expect(pending).resolves.toHaveLength(1);
    expect(() => lib.closest('q', ['q'])).toThrow(/after unload\(\)/);
  });
});
