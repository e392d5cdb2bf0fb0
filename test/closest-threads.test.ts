import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FuzzyIndex, closest, closestAsync, library } from '../bindings/index.ts';
import { Status } from '../bindings/raw.ts';
import { rawFunctions } from '../bindings/unsafe.ts';
import * as reference from '../reference/levenshtein.ts';
import { seededRandom } from './helpers.ts';

type Call = (options: Record<string, unknown>) => unknown;

describe('the threads option: validation', () => {
  const index = new FuzzyIndex(['apple', 'maple']);
  const calls: Array<[string, Call]> = [
    ['closest', (options) => closest('a', ['apple'], options as never)],
    ['closestAsync', (options) => closestAsync('a', ['apple'], options as never)],
    ['FuzzyIndex.closest', (options) => index.closest('a', { limit: 1, ...options } as never)],
    ['FuzzyIndex.closestAsync', (options) => index.closestAsync('a', { limit: 1, ...options } as never)],
  ];
  const invalid: Array<[unknown, ErrorConstructor, RegExp]> = [
    ['2', TypeError, /option 'threads' must be a number, got string/],
    [null, TypeError, /option 'threads' must be a number, got null/],
    [1.5, RangeError, /option 'threads' must be an integer from 0 \(all cores\) to 1024, got 1.5/],
    [-1, RangeError, /got -1$/],
    [1025, RangeError, /got 1025$/],
    [Infinity, RangeError, /got Infinity$/],
    [NaN, RangeError, /got NaN$/],
  ];

  it.each(calls)('%s names itself and the option', async (name, call) => {
    for (const [value, type, message] of invalid) {
      let error: unknown;
      try {
        await call({ threads: value });
      } catch (e) {
        error = e;
      }
      expect(error, `threads ${String(value)}`).toBeInstanceOf(type);
      expect((error as Error).message.startsWith(`${name}: option 'threads'`), (error as Error).message).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    for (const threads of [0, 1, 2, 1024]) expect(await call({ threads })).toEqual([{ index: 0, candidate: 'apple', distance: 4 }]);
  });

  it('the raw call rejects threads above MYLIB_MAX_THREADS with MYLIB_ERR_INVALID_ARGUMENT naming it', () => {
    const raw = rawFunctions(library());
    const err = Buffer.alloc(1024);
    const query = Buffer.from('a');
    const packed = Buffer.from('apple');
    const status = raw.mylib_closest(
      query,
      1,
      packed,
      5,
      new Uint32Array([0, 5]),
      1,
      0xffffffff,
      1025,
      new Uint32Array(2),
      1,
      new BigUint64Array(1),
      null,
      null,
      err,
      err.length,
    );
    expect(status).toBe(Status.INVALID_ARGUMENT);
    expect(err.toString('utf8', 0, err.indexOf(0))).toBe("mylib_closest: argument 'threads' must be 0 (available parallelism) to 1024, got 1025");
  });
});

// Candidates from a small alphabet (ties are common), ASCII and not, some longer than 64 code
// points (the multi-block path), duplicated on purpose.
const unit = fc.constantFrom('a', 'b', 'c', 'd', 'é', 'ß', '日', '😀', '\0');
const word = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit, minLength: 60, maxLength: 90 }) },
);
const query = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit, maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit, minLength: 65, maxLength: 100 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), minLength: 65, maxLength: 80 }) },
);

/** `count` seeded words, about 16 code points each: enough candidate text for several threads. */
function bulk(count: number, seed: number): string[] {
  const next = seededRandom(seed);
  const alphabet = ['a', 'b', 'c', 'd', 'e', 'é', '日', '😀'];
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && next() < 0.1) {
      words.push(words[Math.floor(next() * i)]!);
      continue;
    }
    let text = '';
    const length = 4 + Math.floor(next() * 24);
    for (let j = 0; j < length; j++) text += alphabet[Math.floor(next() * (next() < 0.8 ? 5 : alphabet.length))];
    words.push(text);
  }
  return words;
}

describe('threads 1, 2 and the default agree with the reference (property)', () => {
  it('closest and FuzzyIndex.closest(Async) over random lists', async () => {
    await fc.assert(
      fc.asyncProperty(
        query,
        fc.array(word, { maxLength: 40 }),
        // Half the runs add 10,000 words (~200 KB of text): big enough that two threads really run.
        fc.option(fc.integer({ min: 1, max: 1 << 30 }), { nil: undefined }),
        fc.option(fc.nat(12), { nil: undefined }),
        fc.option(fc.nat(30), { nil: undefined }),
        async (q, small, bulkSeed, limit, maxDistance) => {
          const list = bulkSeed === undefined ? small : [...small, ...bulk(10_000, bulkSeed), ...small];
          const options = { limit, maxDistance };
          const expected = reference.closest(q, list, options);
          using index = new FuzzyIndex(list);
          for (const threads of [1, 2, undefined]) {
            const withThreads = threads === undefined ? options : { ...options, threads };
            expect(closest(q, list, withThreads), `closest threads ${threads}`).toEqual(expected);
            expect(index.closest(q, withThreads), `FuzzyIndex.closest threads ${threads}`).toEqual(expected);
          }
          // The async default (cores - 1) takes the same path with another thread count.
          expect(await index.closestAsync(q, options)).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
