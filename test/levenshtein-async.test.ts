import { describe, expect, it } from 'vitest';
import { MylibError, levenshtein, levenshteinAsync, open } from '../bindings/index.ts';
import * as reference from '../reference/levenshtein.ts';
import { randomLetters } from './helpers.ts';

const pairs: Array<[string, string]> = [
  ['', ''],
  ['', 'abc'],
  ['kitten', 'sitting'],
  ['café', 'cafe'],
  ['😀a😁', 'a😀😁'],
  ['a\0b', 'ab'],
  ['\uD800x', '\uDBFFx'],
  [randomLetters(200, 5, 'abé😀'), randomLetters(150, 6, 'abé😀')],
  [randomLetters(3000, 7), randomLetters(2500, 8)],
];

/** Counts event-loop turns (setImmediate) until stopped. */
function turnCounter(): { stop(): number } {
  let turns = 0;
  let running = true;
  const spin = () => {
    turns++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  return {
    stop() {
      running = false;
      return turns;
    },
  };
}

describe('levenshteinAsync', () => {
  it.each(pairs.map(([a, b], i) => [i, a, b] as const))('pair %i equals levenshtein and the reference', async (_i, a, b) => {
    const expected = levenshtein(a, b);
    if (a.length < 1000) expect(expected).toBe(reference.levenshtein(a, b));
    expect(await levenshteinAsync(a, b)).toBe(expected);
    expect(await levenshteinAsync(b, a)).toBe(expected);
  });

  it('many calls in flight all settle with the sync results', async () => {
    const inputs = Array.from({ length: 40 }, (_, i) => [randomLetters(50 + i, i), randomLetters(70, 100 + i)] as const);
    const results = await Promise.all(inputs.map(([a, b]) => levenshteinAsync(a, b)));
    expect(results).toEqual(inputs.map(([a, b]) => levenshtein(a, b)));
  });

  it('reports progress in text code points, increasing, ending with done === total', async () => {
    // 5000 x 300k: 79 blocks, a progress call about every 2^24 / 79 = 212k text code points.
    const a = randomLetters(5000, 11, 'ab');
    const b = randomLetters(300_000, 12, 'ab');
    const calls: Array<[number, number]> = [];
    const distance = await levenshteinAsync(a, b, { onProgress: (done, total) => void calls.push([done, total]) });
    expect(distance).toBe(levenshtein(a, b));
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThan(calls[i - 1]![0]);
    const [done, total] = calls.at(-1)!;
    expect(done).toBe(total);
    expect(total).toBeLessThanOrEqual(b.length);
  });

  it.each([
    // 64 blocks, a step of 2^24 / 64 = 262144 text code points: the text is exactly two steps.
    ['ab'.repeat(2048), 'ba'.repeat(262_144)],
    // One block, a step of 2^24 code points: the text is exactly one step.
    ['xy', 'ab'.repeat(2 ** 23)],
  ])('reports done === total exactly once when the text is a multiple of the step (%#)', async (a, b) => {
    const calls: Array<[number, number]> = [];
    await levenshteinAsync(a, b, { onProgress: (done, total) => void calls.push([done, total]) });
    const total = b.length;
    expect(calls.filter(([done]) => done === total)).toEqual([[total, total]]);
    expect(calls.at(-1)).toEqual([total, total]);
  });

  it('onProgress returning false rejects with MYLIB_ERR_CANCELLED; throwing rejects with that error', async () => {
    const a = randomLetters(50, 13);
    const b = randomLetters(60, 14);
    await expect(levenshteinAsync(a, b, { onProgress: () => false })).rejects.toMatchObject({ code: 'MYLIB_ERR_CANCELLED' });
    const mine = new Error('stop');
    await expect(
      levenshteinAsync(a, b, {
        onProgress: () => {
          throw mine;
        },
      }),
    ).rejects.toBe(mine);
  });

  it('an AbortSignal aborted before the call rejects with its reason without calling Rust', async () => {
    const reason = new Error('early');
    await expect(levenshteinAsync('a', 'b', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('two 200k-character strings: an abort after the call started rejects promptly with the reason; the event loop keeps turning', async () => {
    // About 2 s of work on this machine (O(n * m / 64)); a progress step every ~50 ms.
    const a = randomLetters(200_000, 21);
    const b = randomLetters(200_000, 22);
    const controller = new AbortController();
    const reason = new Error('user aborted');
    const turns = turnCounter();
    let timerFired = false;
    setTimeout(() => (timerFired = true), 1);
    let abortedAt = 0;
    let progressCalls = 0;
    const pending = levenshteinAsync(a, b, {
      signal: controller.signal,
      onProgress: () => {
        // The first progress call proves the native call is running; abort from a later turn,
        // as a user's handler would.
        if (++progressCalls === 1) {
          setImmediate(() => {
            abortedAt = performance.now();
            controller.abort(reason);
          });
        }
      },
    });
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    const settledAt = performance.now();
    const turnsDuringCall = turns.stop();
    expect(error).toBe(reason);
    expect(abortedAt).toBeGreaterThan(0);
    // Bounded, not timed to the millisecond: the next progress step comes within ~50 ms; a
    // call that ran to the end would take seconds.
    expect(settledAt - abortedAt).toBeLessThan(1000);
    expect(turnsDuringCall).toBeGreaterThanOrEqual(3);
    expect(timerFired).toBe(true);
    // The library stays usable.
    expect(await levenshteinAsync('kitten', 'sitting')).toBe(3);
  }, 30_000);

  it('copies its inputs: the result describes the strings as passed', async () => {
    const lib = open();
    try {
      const a = randomLetters(1000, 31);
      const b = randomLetters(1000, 32);
      const pending = lib.levenshteinAsync(a, b);
      // Sync calls reuse the instance's scratch buffers; the async call must not share them.
      for (let i = 0; i < 20; i++) lib.levenshtein(randomLetters(900, 40 + i), randomLetters(800, 60 + i));
      expect(await pending).toBe(lib.levenshtein(a, b));
    } finally {
      lib.unload();
    }
  });

  it('unload() while a call runs: the call finishes first', async () => {
    const lib = open();
    const a = randomLetters(20_000, 41);
    const b = randomLetters(20_000, 42);
    const pending = lib.levenshteinAsync(a, b);
    lib.unload();
    expect(await pending).toBe(levenshtein(a, b));
    await expect(lib.levenshteinAsync('a', 'b')).rejects.toThrow(/after unload\(\)/);
  });

  it('rejects bad arguments with the function and argument named', async () => {
    const call = levenshteinAsync as (...args: unknown[]) => Promise<number>;
    await expect(call('a')).rejects.toThrow(/^levenshteinAsync: expected 2 to 3 argument\(s\) \(a, b, options\?\), got 1$/);
    await expect(call('a', 1)).rejects.toThrow(/^levenshteinAsync: argument 'b' must be a string, got number$/);
    await expect(call('a', 'b', { signal: 'x' })).rejects.toThrow(/^levenshteinAsync: option 'signal' must be an AbortSignal, got string$/);
    await expect(call('a', 'b', { onProgress: 1 })).rejects.toThrow(/^levenshteinAsync: option 'onProgress' must be a function, got number$/);
    await expect(call('a', 'b', null)).rejects.toThrow(TypeError);
    await expect(call('a', 'b', { onProgress: () => false })).rejects.toBeInstanceOf(MylibError);
  });
});
