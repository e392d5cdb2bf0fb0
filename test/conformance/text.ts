/** getResult, countDoubles(+Async), levenshtein(+Async), add: the string and byte kernels. */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { MAX_ASYNC_CALLS, MylibError, countDoubles, countDoublesAsync, getResult, levenshtein, levenshteinAsync } from '../../bindings/index.ts';
import { add } from '../../bindings/unsafe.ts';
import * as refLevenshtein from '../../reference/levenshtein.ts';
import * as refText from '../../reference/text.ts';
import { each, group, random, randomString, test } from './harness.ts';

/** Code points from every UTF-8 length, NUL and a combining mark. */
const ALPHABET = ['a', 'b', 'é', 'ß', '世', '界', '🦀', '😀', '\0', '\u0301'];

group('add', () => {
  test('adds and wraps at 32 bits', () => {
    assert.equal(add(2, 3), 5);
    assert.equal(add(-7, 3), -4);
    assert.equal(add(0x7fffffff, 1), -0x80000000);
  });
});

group('getResult', () => {
  each(
    [
      ['empty', ''],
      ['ASCII', 'hello'],
      ['multi-byte (2, 3 and 4 bytes)', 'héllo 世界 🦀'],
      ['NUL inside', 'a\0b\0'],
      ['only NUL', '\0'],
    ] as const,
    ([name]) => name,
    ([, text]) => assert.equal(getResult(text), refText.getResult(text)),
  );

  each(
    [
      ['lone high surrogate at the end', 'x\uD83D', 'x\uFFFD'],
      ['lone low surrogate at the start', '\uDC00x', '\uFFFDx'],
      ['two high surrogates', '\uD800\uD800', '\uFFFD\uFFFD'],
      ['reversed pair', '\uDE00\uD83D', '\uFFFD\uFFFD'],
    ] as const,
    ([name]) => `lone surrogate -> U+FFFD: ${name}`,
    ([, text, expected]) => assert.equal(getResult(text), `Rust says: ${expected}`),
  );

  test('long strings on both sides of the scratch size', () => {
    const next = random(1);
    for (const length of [4095, 4096, 4097, 20_000, 300_000]) {
      const ascii = 'x'.repeat(length);
      assert.equal(getResult(ascii), refText.getResult(ascii), `ASCII length ${length}`);
      const mixed = randomString(next, ALPHABET, length);
      assert.equal(getResult(mixed), refText.getResult(mixed), `mixed length ${length}`);
    }
  });

  test('a 4 MiB string', () => {
    const text = '世'.repeat(4 << 20);
    const result = getResult(text);
    assert.equal(result.length, 'Rust says: '.length + text.length);
    assert.ok(result.endsWith('世世世'));
  });
});

group('countDoubles', () => {
  each(
    ['', 'a', 'aabbb', 'abc', '🦀🦀', '🦀🦀🦀', 'éé', 'e\u0301e\u0301', '\0\0', '\uD800\uD800', '\uD800\uDC00\uD800\uDC00', 'aa\uD83D'],
    (text) => `string ${JSON.stringify(text)}`,
    (text) => assert.equal(countDoubles(text), refText.countDoublesString(text)),
  );

  test('random strings against the reference', () => {
    const next = random(2);
    for (let i = 0; i < 200; i++) {
      const text = randomString(next, ['a', 'b', '🦀', 'é', '\uD800'], Math.floor(next() * 40));
      assert.equal(countDoubles(text), refText.countDoublesString(text), JSON.stringify(text));
    }
  });

  each(
    [
      ['Buffer', Buffer.from('aabbb')],
      ['Uint8Array', new Uint8Array([1, 1, 2, 2, 2])],
      ['bytes that are not UTF-8', new Uint8Array([0xff, 0xff, 0xc3, 0xc3])],
      ['empty', new Uint8Array(0)],
      ['a multi-byte character counts bytes', Buffer.from('🦀🦀')],
    ] as const,
    ([name]) => `bytes: ${name}`,
    ([, bytes]) => assert.equal(countDoubles(bytes), refText.countDoublesBytes(bytes)),
  );

  test('bytes: a view with an offset reads only its own window', () => {
    const whole = new Uint8Array([7, 7, 1, 2, 2, 3, 9, 9]);
    const view = whole.subarray(2, 6); // [1, 2, 2, 3]
    assert.equal(countDoubles(view), 1);
    assert.equal(countDoubles(Buffer.from(whole.buffer, 1, 2)), 0); // [7, 1]
  });

  test('bytes: 1 MiB', () => {
    const bytes = new Uint8Array(1 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i >> 1) & 0xff;
    assert.equal(countDoubles(bytes), refText.countDoublesBytes(bytes));
  });
});

group('countDoublesAsync', () => {
  test('string and bytes give what the sync call gives', async () => {
    for (const input of ['', 'aabbb', '🦀🦀x', 'a\0\0', '\uD800\uD800', '\uDC00\uFFFD', Buffer.from('zzz'), new Uint8Array([5, 5, 5, 5])]) {
      assert.equal(await countDoublesAsync(input), refText.countDoubles(input), JSON.stringify(input));
    }
  });

  test('the input is copied at the call: overwriting it afterwards changes nothing', async () => {
    const bytes = Buffer.from('aaaaaaaa');
    const pending = countDoublesAsync(bytes);
    bytes.write('abcdefgh');
    assert.equal(await pending, 7);
  });

  test(
    `${MAX_ASYNC_CALLS + 100} calls at once all settle with the right value`,
    async () => {
      const inputs = Array.from({ length: MAX_ASYNC_CALLS + 100 }, (_, i) => 'a'.repeat(i % 50) + 'b'.repeat(i % 7));
      const results = await Promise.all(inputs.map((s) => countDoublesAsync(s)));
      assert.deepEqual(
        results,
        inputs.map((s) => refText.countDoublesString(s)),
      );
    },
    { timeoutMs: 30_000 },
  );

  test('returns a Promise and does not block the event loop', async () => {
    const pending = countDoublesAsync('x'.repeat(1 << 20));
    assert.ok(pending instanceof Promise);
    let ticked = false;
    setTimeout(() => (ticked = true), 0);
    assert.equal(await pending, (1 << 20) - 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(ticked);
  });
});

group('levenshtein', () => {
  each(
    [
      ['kitten', 'sitting', 3],
      ['', '', 0],
      ['', 'abc', 3],
      ['abc', '', 3],
      ['flaw', 'lawn', 2],
      ['🦀', '🦐', 1],
      ['a\0b', 'ab', 1],
      ['\uD800', '\uFFFD', 0],
      ['naïve', 'naive', 1],
    ] as const,
    ([a, b]) => `${JSON.stringify(a)} vs ${JSON.stringify(b)}`,
    ([a, b, expected]) => {
      assert.equal(levenshtein(a, b), expected);
      assert.equal(levenshtein(b, a), expected);
      assert.equal(refLevenshtein.levenshtein(a, b), expected);
    },
  );

  test('random pairs up to 200 code points against the reference', () => {
    const next = random(3);
    for (let i = 0; i < 150; i++) {
      const a = randomString(next, ALPHABET, Math.floor(next() * 200));
      const b = randomString(next, ALPHABET, Math.floor(next() * 200));
      assert.equal(levenshtein(a, b), refLevenshtein.levenshtein(a, b), `${JSON.stringify(a)} / ${JSON.stringify(b)}`);
    }
  });
});

group('levenshteinAsync', () => {
  test('random pairs (short and multi-block) equal levenshtein, several in flight', async () => {
    const next = random(5);
    const pairs = Array.from(
      { length: 60 },
      () => [randomString(next, ALPHABET, Math.floor(next() * 300)), randomString(next, ALPHABET, Math.floor(next() * 300))] as const,
    );
    const results = await Promise.all(pairs.map(([a, b]) => levenshteinAsync(a, b)));
    assert.deepEqual(
      results,
      pairs.map(([a, b]) => levenshtein(a, b)),
    );
    assert.equal(await levenshteinAsync('kitten', 'sitting'), 3);
    assert.equal(await levenshteinAsync('\uD800', '\uFFFD'), 0);
  });

  test(
    'onProgress: text code points, increasing, last call done === total; false cancels',
    async () => {
      const next = random(6);
      const a = randomString(next, ['a', 'b'], 5000);
      const b = randomString(next, ['a', 'b'], 300_000);
      const calls: Array<[number, number]> = [];
      assert.equal(await levenshteinAsync(a, b, { onProgress: (done, total) => void calls.push([done, total]) }), levenshtein(a, b));
      assert.ok(calls.length >= 2, `${calls.length} progress calls`);
      for (let i = 1; i < calls.length; i++) assert.ok(calls[i]![0] > calls[i - 1]![0]);
      assert.equal(calls.at(-1)![0], calls.at(-1)![1]);
      await assert.rejects(
        levenshteinAsync('abc', 'abd', { onProgress: () => false }),
        (error: unknown) => error instanceof MylibError && error.code === 'MYLIB_ERR_CANCELLED',
      );
    },
    { timeoutMs: 30_000 },
  );

  test('an AbortSignal aborted before the call rejects with its reason', async () => {
    const reason = new Error('early');
    await assert.rejects(levenshteinAsync('a', 'b', { signal: AbortSignal.abort(reason) }), (error) => error === reason);
  });

  test(
    'two 200k-character strings: an abort after the start rejects promptly with the reason; the event loop turns',
    async () => {
      const a = randomString(random(7), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 200_000);
      const b = randomString(random(8), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 200_000);
      const controller = new AbortController();
      const reason = new Error('aborted midway');
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 1);
      let abortedAt = 0;
      let calls = 0;
      const pending = levenshteinAsync(a, b, {
        signal: controller.signal,
        onProgress: () => {
          if (++calls === 1) {
            setTimeout(() => {
              abortedAt = performance.now();
              controller.abort(reason);
            }, 0);
          }
        },
      });
      try {
        await assert.rejects(pending, (error) => error === reason);
      } finally {
        clearInterval(ticker);
      }
      assert.ok(abortedAt > 0);
      // The next progress step is tens of milliseconds away; the whole call takes seconds.
      assert.ok(performance.now() - abortedAt < 1000, `settled ${(performance.now() - abortedAt).toFixed(0)} ms after abort`);
      assert.ok(ticks >= 1, 'a timer fired while the call ran');
      assert.equal(await levenshteinAsync('flaw', 'lawn'), 2);
    },
    { timeoutMs: 30_000 },
  );

  test('rejects bad arguments naming the function', async () => {
    const loose = levenshteinAsync as (...args: unknown[]) => Promise<number>;
    await assert.rejects(loose('a', 1), /^TypeError: levenshteinAsync: argument 'b' must be a string, got number$/);
    await assert.rejects(loose('a', 'b', { signal: 1 }), /^TypeError: levenshteinAsync: option 'signal' must be an AbortSignal, got number$/);
  });
});
