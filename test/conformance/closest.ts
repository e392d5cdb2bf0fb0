/** closest / closestAsync and FuzzyIndex: results, options, progress, cancellation. */
import assert from 'node:assert/strict';
import { FuzzyIndex, MylibError, closest, closestAsync, getResult } from '../../bindings/index.ts';
import * as ref from '../../reference/levenshtein.ts';
import { each, group, random, randomString, test } from './harness.ts';

const WORDS = ['apple', 'apply', 'ample', 'maple', 'appeal', 'apple', 'aple', 'äpple', '🍎apple', '', 'a\0pple', 'zzz', '\uD800pple', '\uFFFDpple'];
/** Queries with NUL, lone surrogates and 4-byte characters: every call path must encode them alike. */
const QUERIES = ['apple', 'appel', '', '🍎', 'a\0pple', '\uD800pple', 'pple\uDC00'];
const OPTIONS = [
  {},
  { limit: 3 },
  { limit: 0 },
  { maxDistance: 1 },
  { maxDistance: 0 },
  { limit: 2, maxDistance: 2 },
  { limit: Infinity, maxDistance: Infinity },
];

/** A list long enough for several progress calls (every 4096 candidates). */
function bigList(count: number, seed = 4): string[] {
  const next = random(seed);
  return Array.from({ length: count }, () => randomString(next, ['a', 'b', 'c', 'é', '🦀'], 4 + Math.floor(next() * 12)));
}

group('closest', () => {
  each(
    OPTIONS,
    (o) => `options ${JSON.stringify(o)} match the reference`,
    (options) => {
      for (const query of QUERIES) {
        assert.deepEqual(closest(query, WORDS, options), ref.closest(query, WORDS, options), `query ${query}`);
      }
    },
  );

  test('an empty list gives no match', () => assert.deepEqual(closest('x', []), []));

  test('ties sort by index; each match names its candidate and index', () => {
    const matches = closest('ab', ['xx', 'ab', 'ac', 'ab', 'bb']);
    assert.deepEqual(
      matches.map((m) => m.index),
      [1, 3, 2, 4, 0],
    );
    for (const m of matches) assert.equal(m.candidate, ['xx', 'ab', 'ac', 'ab', 'bb'][m.index]);
  });

  test('10 000 random candidates against the reference', () => {
    const list = bigList(10_000);
    assert.deepEqual(closest('abcé🦀', list, { limit: 25 }), ref.closest('abcé🦀', list, { limit: 25 }));
  });

  test(
    'threads 1, 2, 0 and the default give the same result (40 000 candidates)',
    async () => {
      const list = bigList(40_000, 9);
      const expected = ref.closest('abcé🦀ab', list, { limit: 12 });
      for (const threads of [1, 2, 0, undefined]) {
        assert.deepEqual(closest('abcé🦀ab', list, { limit: 12, threads }), expected, `closest threads ${threads}`);
        assert.deepEqual(await closestAsync('abcé🦀ab', list, { limit: 12, threads }), expected, `closestAsync threads ${threads}`);
      }
      using index = new FuzzyIndex(list);
      for (const threads of [1, 2, undefined]) {
        assert.deepEqual(index.closest('abcé🦀ab', { limit: 12, threads }), expected, `FuzzyIndex.closest threads ${threads}`);
        assert.deepEqual(await index.closestAsync('abcé🦀ab', { limit: 12, threads }), expected, `FuzzyIndex.closestAsync threads ${threads}`);
      }
    },
    { timeoutMs: 30_000 },
  );

  test('onProgress: called with (done, total), increasing, ending at total', () => {
    const list = bigList(20_000);
    const calls: Array<[number, number]> = [];
    const result = closest('abc', list, { limit: 5, onProgress: (done, total) => void calls.push([done, total]) });
    assert.deepEqual(result, ref.closest('abc', list, { limit: 5 }));
    assert.ok(calls.length >= 2, `${calls.length} progress calls`);
    for (let i = 1; i < calls.length; i++) assert.ok(calls[i]![0] > calls[i - 1]![0]);
    for (const [, total] of calls) assert.equal(total, list.length);
    assert.equal(calls.at(-1)![0], list.length);
  });

  test('onProgress returning false cancels with MYLIB_ERR_CANCELLED', () => {
    let calls = 0;
    assert.throws(
      () =>
        closest('abc', bigList(20_000), {
          onProgress: () => {
            calls++;
            return false;
          },
        }),
      (error: unknown) => error instanceof MylibError && error.code === 'MYLIB_ERR_CANCELLED',
    );
    assert.equal(calls, 1);
  });

  test('onProgress throwing cancels and rethrows that very error', () => {
    const mine = new Error('stop here');
    assert.throws(
      () =>
        closest('abc', bigList(20_000), {
          onProgress: () => {
            throw mine;
          },
        }),
      (error) => error === mine,
    );
  });

  test('onProgress may call into the library again', () => {
    const seen: string[] = [];
    const list = bigList(9000);
    const result = closest('abc', list, { limit: 3, onProgress: (done) => void seen.push(getResult(String(done))) });
    assert.deepEqual(result, ref.closest('abc', list, { limit: 3 }));
    assert.equal(seen.at(-1), `Rust says: ${list.length}`);
  });

  test('the candidate array is read once: changing it in onProgress does not change the result', () => {
    const list = bigList(9000);
    const expected = ref.closest('abc', list, { limit: 4 });
    const passed = [...list];
    const result = closest('abc', passed, { limit: 4, onProgress: () => void passed.fill('abc') });
    assert.deepEqual(result, expected);
  });
});

group('closestAsync', () => {
  each(
    OPTIONS,
    (o) => `options ${JSON.stringify(o)} match the reference`,
    async (options) => {
      for (const query of QUERIES) {
        assert.deepEqual(await closestAsync(query, WORDS, options), ref.closest(query, WORDS, options), `query ${JSON.stringify(query)}`);
      }
    },
  );

  test('many calls at once', async () => {
    const queries = Array.from({ length: 64 }, (_, i) => WORDS[i % WORDS.length]!);
    const results = await Promise.all(queries.map((q) => closestAsync(q, WORDS, { limit: 3 })));
    assert.deepEqual(
      results,
      queries.map((q) => ref.closest(q, WORDS, { limit: 3 })),
    );
  });

  test('onProgress runs on the main thread and can cancel', async () => {
    let calls = 0;
    await assert.rejects(
      closestAsync('abc', bigList(20_000), {
        onProgress: () => {
          calls++;
          return false;
        },
      }),
      (error: unknown) => error instanceof MylibError && error.code === 'MYLIB_ERR_CANCELLED',
    );
    assert.equal(calls, 1);
  });

  test('an AbortSignal aborted before the call rejects with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('aborted early');
    controller.abort(reason);
    await assert.rejects(closestAsync('abc', WORDS, { signal: controller.signal }), (error) => error === reason);
    await assert.rejects(closestAsync('abc', WORDS, { signal: AbortSignal.abort() }), (error: unknown) => (error as Error).name === 'AbortError');
  });

  test('an AbortSignal aborted during the call rejects with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('aborted midway');
    let calls = 0;
    const pending = closestAsync('abc', bigList(40_000), {
      signal: controller.signal,
      onProgress: () => {
        if (++calls === 1) controller.abort(reason);
      },
    });
    await assert.rejects(pending, (error) => error === reason);
    assert.equal(calls, 1);
  });

  test(
    'an AbortSignal aborted from a timer stops a long call',
    async () => {
      const controller = new AbortController();
      const list = bigList(400_000, 5);
      const started = performance.now();
      setTimeout(() => controller.abort(new Error('timer')), 5);
      try {
        await closestAsync('abcabcabcabc', list, { signal: controller.signal });
        // The call may finish first on a fast machine; then nothing was cancelled.
      } catch (error) {
        assert.equal((error as Error).message, 'timer');
      }
      assert.ok(performance.now() - started < 20_000);
    },
    { timeoutMs: 30_000 },
  );
});

group('FuzzyIndex', () => {
  test('closest and closestAsync match the reference for every option set', async () => {
    using index = new FuzzyIndex(WORDS);
    assert.equal(index.size, WORDS.length);
    for (const options of OPTIONS) {
      for (const query of QUERIES) {
        const expected = ref.closest(query, WORDS, options);
        assert.deepEqual(index.closest(query, options), expected, `closest ${JSON.stringify(query)}`);
        assert.deepEqual(await index.closestAsync(query, options), expected, `closestAsync ${JSON.stringify(query)}`);
      }
    }
  });

  test('the list is copied at construction', () => {
    const list = ['one', 'two', 'three'];
    using index = new FuzzyIndex(list);
    list[0] = 'changed';
    assert.deepEqual(index.closest('one', { limit: 1 }), [{ index: 0, candidate: 'one', distance: 0 }]);
  });

  test('a large index with progress and cancel', async () => {
    const list = bigList(30_000);
    using index = new FuzzyIndex(list);
    let calls = 0;
    assert.deepEqual(index.closest('abc', { limit: 7, onProgress: () => void calls++ }), ref.closest('abc', list, { limit: 7 }));
    assert.ok(calls >= 2);
    assert.throws(
      () => index.closest('abc', { onProgress: () => false }),
      (e: unknown) => (e as MylibError).code === 'MYLIB_ERR_CANCELLED',
    );
    const controller = new AbortController();
    const reason = new Error('index abort');
    await assert.rejects(index.closestAsync('abc', { signal: controller.signal, onProgress: () => controller.abort(reason) }), (error) => error === reason);
  });

  test('close() is idempotent; use after close throws a clear error', async () => {
    const index = new FuzzyIndex(WORDS);
    assert.equal(index.closed, false);
    index.close();
    index.close();
    assert.equal(index.closed, true);
    assert.throws(() => index.closest('x'), /^Error: FuzzyIndex\.closest: the FuzzyIndex is closed/);
    await assert.rejects(index.closestAsync('x'), /FuzzyIndex\.closestAsync: the FuzzyIndex is closed/);
  });

  test('close() during closestAsync: the call finishes, then the index is closed', async () => {
    const list = bigList(30_000);
    const index = new FuzzyIndex(list);
    const pending = index.closestAsync('abc', { limit: 3 });
    index.close();
    assert.equal(index.closed, true);
    assert.deepEqual(await pending, ref.closest('abc', list, { limit: 3 }));
    assert.throws(() => index.closest('abc'), /closed/);
  });

  test('[Symbol.dispose] closes', () => {
    let escaped: FuzzyIndex;
    {
      using index = new FuzzyIndex(['a']);
      escaped = index;
    }
    assert.equal(escaped.closed, true);
  });
});
