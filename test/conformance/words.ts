/** WordCounter: chunks split anywhere, top(k) ordering, lowercase, invalid UTF-8, close. */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { WordCounter } from '../../bindings/index.ts';
import * as ref from '../../reference/words.ts';
import { each, group, test } from './harness.ts';

function countBoth(chunks: Array<Uint8Array | string>, k: number, lowercase = false) {
  using counter = new WordCounter({ lowercase });
  const expected = new ref.WordCounter({ lowercase });
  for (const chunk of chunks) {
    assert.equal(counter.feed(chunk), counter, 'feed() returns this');
    expected.feed(chunk);
  }
  return { actual: counter.top(k), expected: expected.top(k) };
}

group('WordCounter', () => {
  each(
    [
      ['empty', ''],
      ['simple', 'the cat and the hat and the bat'],
      ['digits and punctuation', 'v2.0, v2.0; x86_64 42 42 42'],
      ['mixed scripts', 'héllo wörld 日本語 héllo 😀 Ωμέγα'],
      ['NUL separates', 'a\0a\0b'],
      ['case', 'Word word WORD word'],
      ['lone surrogates separate', 'ab\uD800cd ab\uDC00cd'],
    ] as const,
    ([name]) => `${name}: bytes and string, as is and lowercased, match the reference`,
    ([, text]) => {
      for (const lowercase of [false, true]) {
        const bytes = countBoth([Buffer.from(text)], 100, lowercase);
        assert.deepEqual(bytes.actual, bytes.expected);
        const string = countBoth([text], 100, lowercase);
        assert.deepEqual(string.actual, string.expected);
      }
    },
  );

  test('a chunk boundary at every byte offset (inside UTF-8 characters too) gives the same counts', () => {
    const bytes = Buffer.from('naïve café 😀 日本 naïve, x1 😀😀 café');
    const whole = countBoth([bytes], 50).expected;
    for (let split = 0; split <= bytes.length; split++) {
      const { actual } = countBoth([bytes.subarray(0, split), bytes.subarray(split)], 50);
      assert.deepEqual(actual, whole, `split at ${split}`);
    }
  });

  test('one byte per chunk', () => {
    const bytes = Buffer.from('日本語 日本語 ok ok ok 🦀');
    const chunks = Array.from(bytes, (b) => new Uint8Array([b]));
    const { actual, expected } = countBoth(chunks, 10);
    assert.deepEqual(actual, expected);
    assert.deepEqual(actual[0], { word: 'ok', count: 3 });
  });

  test('invalid UTF-8 separates words (no error)', () => {
    const { actual, expected } = countBoth([Buffer.from([0x61, 0x62, 0xff, 0x63, 0xe6]), Buffer.from('de')], 10);
    assert.deepEqual(actual, expected);
    assert.deepEqual(actual.map((w) => w.word).sort(), ['ab', 'c', 'de']);
  });

  test('top(k): highest count first, ties in code point order, k limits', () => {
    using counter = new WordCounter();
    counter.feed('b a c b a b \u{1F600}x \uFFFDy');
    assert.deepEqual(counter.top(2), [
      { word: 'b', count: 3 },
      { word: 'a', count: 2 },
    ]);
    assert.deepEqual(counter.top(0), []);
    assert.deepEqual(
      counter.top().map((w) => w.word),
      ['b', 'a', 'c', 'x', 'y'],
    );
    assert.deepEqual(counter.top(100), new ref.WordCounter().feed('b a c b a b \u{1F600}x \uFFFDy').top(100));
  });

  test('a chunk given as a view with an offset', () => {
    using counter = new WordCounter();
    const bytes = Buffer.from('xxxx hello world yyyy');
    counter.feed(bytes.subarray(5, 16));
    assert.deepEqual(counter.top(), [
      { word: 'hello', count: 1 },
      { word: 'world', count: 1 },
    ]);
  });

  test('close() is idempotent; use after close throws a clear error', () => {
    const counter = new WordCounter();
    counter.feed('a');
    counter.close();
    counter.close();
    assert.equal(counter.closed, true);
    assert.throws(() => counter.feed('a'), /^Error: WordCounter\.feed: the WordCounter is closed/);
    assert.throws(() => counter.top(), /WordCounter\.top: the WordCounter is closed/);
  });

  test('a 2 MiB stream in 64 KiB chunks', () => {
    const text = 'lorem ipsum dolor sit amet 😀 '.repeat(70_000);
    const bytes = Buffer.from(text);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 65_536) chunks.push(bytes.subarray(i, i + 65_536));
    const { actual, expected } = countBoth(chunks, 10);
    assert.deepEqual(actual, expected);
  });
});
