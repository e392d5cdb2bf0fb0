/** Argument errors (TypeError/RangeError naming function and argument) and Rust-side errors. */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import {
  FuzzyIndex,
  MylibError,
  WordCounter,
  closest,
  closestAsync,
  countDoubles,
  countDoublesAsync,
  getResult,
  histogram,
  levenshtein,
  stats,
  statsAsync,
  statusName,
} from '../../bindings/index.ts';
import { CONSTANTS, STATUS_NAMES } from '../../bindings/raw.ts';
import { add, debugPanic } from '../../bindings/unsafe.ts';
import { each, group, test } from './harness.ts';

type Call = () => unknown;
// The typed signatures forbid these calls; the suite makes them on purpose.
const loose = <F>(fn: F) => fn as unknown as (...args: unknown[]) => unknown;

const SYNC: Array<[string, Call, ErrorConstructor, RegExp]> = [
  ['getResult(42)', () => loose(getResult)(42), TypeError, /^getResult: argument 'text' must be a string, got number$/],
  ['getResult(null)', () => loose(getResult)(null), TypeError, /^getResult: argument 'text' must be a string, got null$/],
  ['getResult(Buffer)', () => loose(getResult)(Buffer.from('x')), TypeError, /^getResult: argument 'text' must be a string, got an instance of Buffer$/],
  ['getResult(10n)', () => loose(getResult)(10n), TypeError, /^getResult: argument 'text' must be a string, got bigint$/],
  ['getResult()', () => loose(getResult)(), TypeError, /^getResult: expected 1 argument\(s\) \(text\), got 0$/],
  ['getResult(a, b)', () => loose(getResult)('a', 'b'), TypeError, /^getResult: expected 1 argument\(s\) \(text\), got 2$/],
  ['add(1.5, 1)', () => add(1.5, 1), RangeError, /^add: argument 'a' must be a 32-bit integer, got 1.5$/],
  ['add(1, "2")', () => loose(add)(1, '2'), TypeError, /^add: argument 'b' must be a number, got string$/],
  ['countDoubles(1)', () => loose(countDoubles)(1), TypeError, /^countDoubles: argument 'input' must be a string or a Uint8Array, got number$/],
  ['countDoubles([1, 1])', () => loose(countDoubles)([1, 1]), TypeError, /^countDoubles: argument 'input' .* got an array$/],
  ['countDoubles(Float64Array)', () => loose(countDoubles)(new Float64Array(2)), TypeError, /got an instance of Float64Array$/],
  ['levenshtein("a", 1)', () => loose(levenshtein)('a', 1), TypeError, /^levenshtein: argument 'b' must be a string, got number$/],
  ['closest(1, [])', () => loose(closest)(1, []), TypeError, /^closest: argument 'query' must be a string, got number$/],
  ['closest("a", "b")', () => loose(closest)('a', 'b'), TypeError, /^closest: argument 'candidates' must be an array of strings, got string$/],
  ['closest("a", ["x", 1])', () => loose(closest)('a', ['x', 1]), TypeError, /^closest: argument 'candidates\[1\]' must be a string, got number$/],
  ['closest limit -1', () => closest('a', ['b'], { limit: -1 }), RangeError, /^closest: argument 'limit' must be an integer from 0/],
  ['closest maxDistance 1.5', () => closest('a', ['b'], { maxDistance: 1.5 }), RangeError, /^closest: argument 'maxDistance' must be an integer/],
  ['closest threads "2"', () => loose(closest)('a', ['b'], { threads: '2' }), TypeError, /^closest: option 'threads' must be a number, got string$/],
  [
    'closest threads 1025',
    () => closest('a', ['b'], { threads: 1025 }),
    RangeError,
    /^closest: option 'threads' must be an integer from 0 \(all cores\) to 1024, got 1025$/,
  ],
  ['closest onProgress 1', () => loose(closest)('a', ['b'], { onProgress: 1 }), TypeError, /^closest: option 'onProgress' must be a function, got number$/],
  ['closest options "x"', () => loose(closest)('a', ['b'], 'x'), TypeError, /^closest: argument 'options' must be an object, got string$/],
  ['stats([1, 2])', () => loose(stats)([1, 2]), TypeError, /^stats: argument 'values' must be a Float64Array, got an array$/],
  ['histogram(values, [])', () => loose(histogram)(new Float64Array(1), []), TypeError, /^histogram: argument 'bins' must be a Uint32Array, got an array$/],
  ['histogram zero bins', () => histogram(new Float64Array(1), new Uint32Array(0)), RangeError, /^histogram: argument 'bins' must hold at least one bin$/],
  [
    'histogram min NaN',
    () => histogram(new Float64Array(1), new Uint32Array(1), { min: NaN }),
    RangeError,
    /^histogram: argument 'min' must be finite, got NaN$/,
  ],
  [
    'histogram min > max',
    () => histogram(new Float64Array(1), new Uint32Array(1), { min: 2, max: 1 }),
    RangeError,
    /^histogram: 'min' must be less than 'max', got 2 and 1$/,
  ],
  [
    'histogram bins over values',
    () => {
      const memory = new ArrayBuffer(64);
      return histogram(new Float64Array(memory, 0, 4), new Uint32Array(memory, 16, 4));
    },
    RangeError,
    /^histogram: argument 'bins' overlaps argument 'values'/,
  ],
  [
    'new FuzzyIndex("x")',
    () => new (FuzzyIndex as unknown as new (x: unknown) => unknown)('x'),
    TypeError,
    /^FuzzyIndex: argument 'candidates' must be an array of strings, got string$/,
  ],
  [
    'WordCounter lowercase "yes"',
    () => new (WordCounter as unknown as new (x: unknown) => unknown)({ lowercase: 'yes' }),
    TypeError,
    /^WordCounter: option 'lowercase' must be a boolean, got string$/,
  ],
  [
    'WordCounter.feed(42)',
    () => {
      using counter = new WordCounter();
      return loose(counter.feed.bind(counter))(42);
    },
    TypeError,
    /^WordCounter\.feed: argument 'chunk' must be a Uint8Array or a string, got number$/,
  ],
  [
    'WordCounter.top(-1)',
    () => {
      using counter = new WordCounter();
      return counter.top(-1);
    },
    RangeError,
    /^WordCounter\.top: argument 'k' must be an integer from 0/,
  ],
];

const ASYNC: Array<[string, () => Promise<unknown>, ErrorConstructor, RegExp]> = [
  [
    'countDoublesAsync(1)',
    () => loose(countDoublesAsync)(1) as Promise<unknown>,
    TypeError,
    /^countDoublesAsync: argument 'input' must be a string or a Uint8Array, got number$/,
  ],
  ['statsAsync("x")', () => loose(statsAsync)('x') as Promise<unknown>, TypeError, /^statsAsync: argument 'values' must be a Float64Array, got string$/],
  [
    'closestAsync signal "x"',
    () => loose(closestAsync)('a', ['b'], { signal: 'x' }) as Promise<unknown>,
    TypeError,
    /^closestAsync: option 'signal' must be an AbortSignal, got string$/,
  ],
  ['closestAsync limit 0.5', () => closestAsync('a', ['b'], { limit: 0.5 }), RangeError, /^closestAsync: argument 'limit' must be an integer/],
];

group('argument errors', () => {
  each(
    SYNC,
    ([name, , type]) => `${name} throws ${type.name}`,
    ([, call, type, message]) => {
      assert.throws(call, (error: unknown) => {
        assert.ok(error instanceof type, `expected ${type.name}, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
        assert.match(error.message, message);
        return true;
      });
    },
  );

  each(
    ASYNC,
    ([name, , type]) => `${name} rejects with ${type.name} (does not throw synchronously)`,
    async ([, call, type, message]) => {
      let pending: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        pending = call();
      });
      await assert.rejects(pending!, (error: unknown) => {
        assert.ok(error instanceof type, `expected ${type.name}, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
        assert.match(error.message, message);
        return true;
      });
    },
  );
});

group('errors from Rust', () => {
  test('a Rust panic becomes a MylibError (MYLIB_ERR_PANIC) with its message, and the library keeps working', () => {
    assert.throws(
      () => debugPanic('deliberate panic ✓'),
      (error: unknown) => {
        assert.ok(error instanceof MylibError);
        assert.ok(error instanceof Error);
        assert.equal(error.name, 'MylibError');
        assert.equal(error.code, 'MYLIB_ERR_PANIC');
        assert.equal(error.status, 6);
        assert.match(error.message, /^mylib_debug_panic: Rust panicked: deliberate panic ✓ \(at rustlib\/ffi\/meta\.rs:\d+\)$/);
        return true;
      },
    );
    assert.equal(getResult('still alive'), 'Rust says: still alive');
  });

  test('a cancelled call is a MylibError with code MYLIB_ERR_CANCELLED and status 5', () => {
    const list = Array.from({ length: 5000 }, (_, i) => `w${i}`);
    assert.throws(
      () => closest('w', list, { onProgress: () => false }),
      (error: unknown) => error instanceof MylibError && error.code === 'MYLIB_ERR_CANCELLED' && error.status === 5 && /cancel/i.test(error.message),
    );
  });

  test('statusName: the library names every status of the table; anything else is MYLIB_ERR_UNKNOWN', () => {
    for (const [code, name] of Object.entries(STATUS_NAMES)) assert.equal(statusName(Number(code)), name);
    for (const code of [-1, 8, 2 ** 31 - 1, -(2 ** 31)]) assert.equal(statusName(code), 'MYLIB_ERR_UNKNOWN');
    assert.throws(() => statusName(1.5), RangeError);
  });

  test('a message longer than MYLIB_ERR_MAX_LEN arrives cut, with the marker, never longer', () => {
    assert.throws(
      () => debugPanic('é'.repeat(2000)),
      (error: unknown) => {
        assert.ok(error instanceof MylibError);
        assert.ok(Buffer.byteLength(error.message) <= CONSTANTS.MYLIB_ERR_MAX_LEN, `${Buffer.byteLength(error.message)} bytes`);
        assert.match(error.message, /^mylib_debug_panic: Rust panicked: é+ \[truncated\]$/);
        return true;
      },
    );
  });
});
