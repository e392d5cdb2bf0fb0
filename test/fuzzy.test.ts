import { describe, expect, it } from 'vitest';
import { FuzzyIndex, MylibError, closest, getResult, levenshtein, open } from '../bindings/index.ts';
import * as reference from '../reference/levenshtein.ts';
import { randomLetters, seededRandom } from './helpers.ts';

const pairs: Array<[string, string, string]> = [
  ['both empty', '', ''],
  ['one empty', '', 'abc'],
  ['classic', 'kitten', 'sitting'],
  ['identical', 'same', 'same'],
  ['multi-byte', 'café', 'cafe'],
  ['astral', '😀a😁', 'a😀😁'],
  ['combining marks', 'e\u0301', 'é'],
  ['NUL inside', 'a\0b', 'ab'],
  ['lone surrogates (both U+FFFD)', '\uD800x', '\uDBFFx'],
  ['63 x 65 (block edge)', randomLetters(63, 1, 'ab'), randomLetters(65, 2, 'ab')],
  ['64 x 64', randomLetters(64, 3, 'abc'), randomLetters(64, 4, 'abc')],
  ['200 x 150, multi-block', randomLetters(200, 5, 'abé😀'), randomLetters(150, 6, 'abé😀')],
  ['1000 x 1000', randomLetters(1000, 7), randomLetters(1000, 8)],
];

describe('levenshtein', () => {
  it.each(pairs)('%s', (_name, a, b) => {
    const expected = reference.levenshtein(a, b);
    expect(levenshtein(a, b)).toBe(expected);
    expect(levenshtein(b, a)).toBe(expected);
  });

  it('rejects non-strings with the argument named', () => {
    expect(() => (levenshtein as (...a: unknown[]) => number)('a', 1)).toThrow(/^levenshtein: argument 'b' must be a string, got number$/);
    expect(() => (levenshtein as (...a: unknown[]) => number)('a')).toThrow(TypeError);
  });
});

function randomWords(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => randomLetters(8 + Math.floor(random() * 25), seed * 100_000 + i));
}

describe('closest (one native call over packed candidates)', () => {
  const candidates = ['apple', 'apply', 'ample', 'maple', 'apple', '', 'äpple', '😀pple', 'a\0ple'];
  const options: Array<[string, { limit?: number; maxDistance?: number }]> = [
    ['all', {}],
    ['limit 2', { limit: 2 }],
    ['limit 0', { limit: 0 }],
    ['maxDistance 1', { maxDistance: 1 }],
    ['limit 3, maxDistance 2', { limit: 3, maxDistance: 2 }],
    ['limit larger than the list', { limit: 100 }],
  ];
  it.each(options)('%s', (_name, opts) => {
    expect(closest('apple', candidates, opts)).toEqual(reference.closest('apple', candidates, opts));
  });

  it('sorts by distance then index over 2,000 random candidates, with and without a limit', () => {
    const list = randomWords(2000, 3);
    const query = randomLetters(19, 99);
    expect(closest(query, list)).toEqual(reference.closest(query, list));
    expect(closest(query, list, { limit: 10 })).toEqual(reference.closest(query, list, { limit: 10 }));
    expect(closest(query, list, { maxDistance: 15 })).toEqual(reference.closest(query, list, { maxDistance: 15 }));
  });

  it('handles an empty candidate list and non-ASCII candidates that pair surrogates when joined', () => {
    expect(closest('x', [])).toEqual([]);
    const tricky = ['a\uD83D', '\uDE00b', 'c'];
    expect(closest('c', tricky)).toEqual(reference.closest('c', tricky));
  });

  const badOptions: Array<[string, unknown, RegExp, ErrorConstructor]> = [
    ['limit -1', { limit: -1 }, /closest: argument 'limit' must be an integer from 0/, RangeError],
    ['limit NaN', { limit: NaN }, /closest: argument 'limit' must be an integer/, RangeError],
    ['limit 1.5', { limit: 1.5 }, /closest: argument 'limit'/, RangeError],
    ['limit "3"', { limit: '3' }, /closest: argument 'limit' must be a number, got string/, TypeError],
    ['maxDistance -Infinity', { maxDistance: -Infinity }, /closest: argument 'maxDistance'/, RangeError],
    ['onProgress not a function', { onProgress: 1 }, /closest: option 'onProgress' must be a function/, TypeError],
    ['options not an object', 5, /closest: argument 'options' must be an object/, TypeError],
  ];
  it.each(badOptions)('rejects %s', (_name, opts, message, type) => {
    const call = () => closest('a', ['b'], opts as never);
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  it('rejects candidate lists that are not arrays of strings, naming the element', () => {
    expect(() => closest('a', ['b', 3] as never)).toThrow(/^closest: argument 'candidates\[1\]' must be a string, got number$/);
    expect(() => closest('a', 'abc' as never)).toThrow(/closest: argument 'candidates' must be an array of strings/);
  });
});

describe('progress callbacks and cancellation (sync)', () => {
  const list = randomWords(10_000, 5);

  it('reports progress on the main thread and can cancel', () => {
    const seen: Array<[number, number]> = [];
    closest('query', list, { onProgress: (done, total) => void seen.push([done, total]) });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.at(-1)).toEqual([10_000, 10_000]);
    expect(seen.every(([done, total], i) => total === 10_000 && (i === 0 || done >= seen[i - 1]![0]))).toBe(true);

    let calls = 0;
    let caught: unknown;
    try {
      closest('query', list, { onProgress: () => ++calls < 2 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MylibError);
    expect((caught as MylibError).code).toBe('MYLIB_ERR_CANCELLED');
    expect(calls).toBe(2);
  });

  it('a throwing callback cancels the call and its error is rethrown', () => {
    const boom = new Error('callback failed');
    expect(() =>
      closest('query', list, {
        onProgress: () => {
          throw boom;
        },
      }),
    ).toThrow(boom);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
  });
});

describe('re-entrant calls from a progress callback', () => {
  const list = randomWords(12_000, 9);

  it('calls into the library from onProgress do not disturb the running call', () => {
    const inner: string[] = [];
    const outer = closest('query', list, {
      limit: 5,
      onProgress: () => {
        inner.push(getResult('inner'));
        expect(closest('ab', ['abc', 'x'], { limit: 1, onProgress: () => true })).toEqual([{ index: 0, candidate: 'abc', distance: 1 }]);
        expect(levenshtein('kitten', 'sitting')).toBe(3);
      },
    });
    expect(outer).toEqual(reference.closest('query', list, { limit: 5 }));
    expect(inner.length).toBeGreaterThanOrEqual(3);
    expect(inner.every((r) => r === 'Rust says: inner')).toBe(true);
  });

  it('FuzzyIndex.close() from its own callback waits for the call to return', () => {
    const index = new FuzzyIndex(list);
    const result = index.closest('query', { limit: 3, onProgress: () => index.close() });
    expect(result).toEqual(reference.closest('query', list, { limit: 3 }));
    expect(index.closed).toBe(true);
  });

  it('unload() from a callback waits for the call to return, then refuses calls', () => {
    const lib = open();
    const result = lib.closest('query', list, { limit: 2, onProgress: () => lib.unload() });
    expect(result).toEqual(reference.closest('query', list, { limit: 2 }));
    expect(() => lib.closest('q', ['q'])).toThrow(/after unload\(\)/);
  });
});

describe('FuzzyIndex (packed once, searched many times)', () => {
  const list = randomWords(3000, 8);

  it('gives the same answers as the one-shot form for many queries', () => {
    using index = new FuzzyIndex(list);
    expect(index.size).toBe(3000);
    for (let q = 0; q < 20; q++) {
      const query = randomLetters(5 + q, 500 + q);
      expect(index.closest(query, { limit: 5 })).toEqual(reference.closest(query, list, { limit: 5 }));
    }
  });

  it('keeps its own copy of the list', () => {
    const words = ['alpha', 'beta'];
    using index = new FuzzyIndex(words);
    words[0] = 'changed';
    expect(index.closest('alpha', { limit: 1 })).toEqual([{ index: 0, candidate: 'alpha', distance: 0 }]);
  });

  it('close() is idempotent; use after close throws a clear error; `using` closes', () => {
    const index = new FuzzyIndex(['a']);
    index.close();
    index.close();
    expect(index.closed).toBe(true);
    expect(() => index.closest('a')).toThrow(/^FuzzyIndex\.closest: the FuzzyIndex is closed/);
    let escaped: FuzzyIndex;
    {
      using scoped = new FuzzyIndex(['b']);
      escaped = scoped;
    }
    expect(escaped.closed).toBe(true);
  });

  it('rejects bad construction arguments', () => {
    expect(() => new FuzzyIndex('abc' as never)).toThrow(/FuzzyIndex: argument 'candidates' must be an array of strings/);
    expect(() => new FuzzyIndex([null] as never)).toThrow(/FuzzyIndex: argument 'candidates\[0\]' must be a string, got null/);
  });
});
